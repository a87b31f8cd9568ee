from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasConfig(AppConfig):
    name = "seuil.cas"
    label = "cas"
    verbose_name = _("CAS")

    def ready(self) -> None:
        from seuil.cas.registration import CAS_OPTIONS
        from seuil.cas.views import origins_of_login
        from seuil.mfa.signin import redirects_after
        from seuil.sso.registration import add_service_options

        add_service_options(CAS_OPTIONS)
        redirects_after(origins_of_login)
