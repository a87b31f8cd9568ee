from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasConfig(AppConfig):
    name = "seuil.cas"
    label = "cas"
    verbose_name = _("CAS")

    def ready(self) -> None:
        from seuil.cas.registration import CAS_OPTIONS
        from seuil.cas.session import session_ended
        from seuil.cas.views import origins_of_login
        from seuil.core.hooks import after_session_end
        from seuil.mfa.signin import redirects_after
        from seuil.sso.registration import add_service_options

        add_service_options(CAS_OPTIONS)
        after_session_end(session_ended)
        redirects_after(origins_of_login)
