from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SamlConfig(AppConfig):
    name = "seuil.saml"
    label = "saml"
    verbose_name = _("SAML 2.0")

    def ready(self) -> None:
        from seuil.core.hooks import after_session_end
        from seuil.saml import checks  # noqa: F401 - registers the system checks
        from seuil.saml.backchannel import session_ended
        from seuil.saml.registration import SAML_OPTIONS
        from seuil.sso.registration import add_service_options

        add_service_options(SAML_OPTIONS)
        after_session_end(session_ended)
