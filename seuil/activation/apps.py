from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivationConfig(AppConfig):
    name = "seuil.activation"
    verbose_name = _("Activation")

    def ready(self) -> None:
        from seuil.activation import (
            checks,  # noqa: F401 -- registers the system check
            mails,  # noqa: F401 -- declares its mail kinds
        )
