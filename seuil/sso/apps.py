from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SsoConfig(AppConfig):
    name = "seuil.sso"
    verbose_name = _("Authentification unique")

    def ready(self) -> None:
        from seuil.mfa.signin import redirects_after
        from seuil.sso.views import origins_of_authorization

        redirects_after(origins_of_authorization)
