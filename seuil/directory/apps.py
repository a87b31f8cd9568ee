from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "seuil.directory"
    verbose_name = _("Annuaire")

    def ready(self) -> None:
        from seuil.core.hooks import after_account_change
        from seuil.directory.services import push_now

        after_account_change(push_now)
