from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecoveryConfig(AppConfig):
    name = "seuil.recovery"
    verbose_name = _("Mot de passe oublié")

    def ready(self) -> None:
        from seuil.recovery import mails  # noqa: F401 -- declares its mail kinds
