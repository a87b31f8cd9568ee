from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from seuil.directory import config


class DirectoryConfig(AppConfig):
    name = "seuil.directory"
    verbose_name = _("Annuaire")

    def ready(self) -> None:
        from seuil.core.hooks import after_account_change
        from seuil.directory import mails  # noqa: F401 -- declares its mail kinds

        after_account_change(push_now)


def push_now(account_ids: list[int]) -> None:
    """services.push_now, when a directory is configured."""
    # Checked before the import: without a directory, no worker loads python-ldap (worker
    # memory, #16); with one, settings.py's DN check has loaded it at start already.
    if config.configured():
        from seuil.directory import services

        services.push_now(account_ids)
