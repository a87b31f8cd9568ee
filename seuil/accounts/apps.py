from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "seuil.accounts"
    verbose_name = _("Comptes")

    def ready(self) -> None:
        from seuil.accounts import mails  # noqa: F401 -- declares its mail kinds
