from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasConfig(AppConfig):
    name = "seuil.cas"
    label = "cas"
    verbose_name = _("CAS")

    def ready(self) -> None:
        from seuil.cas.registration import CAS_OPTIONS
        from seuil.cas.session import session_ended
        from seuil.core.hooks import after_session_end
        from seuil.sso.registration import add_service_options

        add_service_options(CAS_OPTIONS)
        after_session_end(session_ended)
