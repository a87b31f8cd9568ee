from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SsoConfig(AppConfig):
    name = "seuil.sso"
    verbose_name = _("Authentification unique")

    def ready(self) -> None:
        from seuil.mfa.signin import redirects_after
        from seuil.sso import checks  # noqa: F401 -- registers the signing key's check
        from seuil.sso.toolkit import speak_french
        from seuil.sso.views import origins_of_authorization

        speak_french()
        redirects_after(origins_of_authorization)
