from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SamlConfig(AppConfig):
    name = "seuil.saml"
    label = "saml"
    verbose_name = _("SAML 2.0")
