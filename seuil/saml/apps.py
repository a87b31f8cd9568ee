from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from seuil.core.hooks import EndedSession


class SamlConfig(AppConfig):
    name = "seuil.saml"
    label = "saml"
    verbose_name = _("SAML 2.0")

    def ready(self) -> None:
        from seuil.core.hooks import after_session_end
        from seuil.saml import checks  # noqa: F401 - registers the system checks
        from seuil.saml.registration import SAML_OPTIONS
        from seuil.sso.registration import add_service_options

        add_service_options(SAML_OPTIONS)
        after_session_end(_session_ended)


def _session_ended(ended: "EndedSession") -> None:
    """The back channel's handler, imported when a session first ends: it brings pysaml2, whose
    schemas take 0.38 s of CPU to load (`python -X importtime`), into every process that starts
    Django, though commands (cron's sync_directory and send_mail, every minute) never use it."""
    from seuil.saml.backchannel import session_ended

    session_ended(ended)
