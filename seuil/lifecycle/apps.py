from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LifecycleConfig(AppConfig):
    name = "seuil.lifecycle"
    verbose_name = _("Cycle de vie des comptes")

    def ready(self) -> None:
        from seuil.lifecycle import mails  # noqa: F401 -- declares its mail kinds
