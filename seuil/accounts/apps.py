from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "seuil.accounts"
    verbose_name = _("Comptes")

    def ready(self) -> None:
        from seuil.accounts import mails  # noqa: F401 -- declares its mail kinds
        from seuil.accounts.unlock import notify_lock
        from seuil.security import throttle

        # The owner hears of a lock (security sits below accounts, so it offers a hook).
        throttle.on_lock(notify_lock)
