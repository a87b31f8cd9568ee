from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "seuil.accounts"
    verbose_name = _("Comptes")

    def ready(self) -> None:
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in

        from seuil.accounts import mails  # noqa: F401 -- declares its mail kinds
        from seuil.accounts.unlock import notify_lock
        from seuil.security import throttle

        # The owner hears of a lock (security sits below accounts, so it offers a hook).
        throttle.on_lock(notify_lock)
        # last_login is written by seuil.accounts.sessions.open_session, in the statement that
        # opens the sign-on and records the audit row: Django's receiver would UPDATE it alone.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
