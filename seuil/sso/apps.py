from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SsoConfig(AppConfig):
    name = "seuil.sso"
    verbose_name = _("Authentification unique")

    def ready(self) -> None:
        from seuil.core.hooks import after_session_end
        from seuil.mfa.signin import redirects_after
        from seuil.sso import checks  # noqa: F401 -- registers the signing key's check
        from seuil.sso.chains import session_ended
        from seuil.sso.toolkit import speak_french
        from seuil.sso.views import origins_of_authorization

        speak_french()
        after_session_end(session_ended)
        redirects_after(origins_of_authorization)
