from datetime import timedelta
from typing import Any

from django.core.checks import CheckMessage, Tags, Warning, register
from django.db import DatabaseError
from django.utils import timezone


@register(Tags.database)
def federations_are_fresh(databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A federation whose last refresh failed, or whose copy expires within a day, is reported:
    seuil keeps serving its last good copy meanwhile. A database check, as Django's own: run by
    `seuil check --database default` and by `migrate`, not by every command (it reads a table)."""
    from seuil.saml.models import Federation

    if not databases:
        return []

    try:
        federations = list(Federation.objects.all())
    except DatabaseError:  # before migrate
        return []
    found: list[CheckMessage] = []
    soon = timezone.now() + timedelta(days=1)
    for federation in federations:
        if federation.error:
            found.append(
                Warning(
                    f"SAML federation {federation.name}: the last refresh failed "
                    f"({federation.error}); the copy of {federation.refreshed_at} stays in use.",
                    hint="Run `seuil saml_metadata` and read its output.",
                    id="seuil.saml.W001",
                )
            )
        if federation.valid_until is None or federation.valid_until < soon:
            found.append(
                Warning(
                    f"SAML federation {federation.name}: no valid copy, or it expires within a "
                    "day: its services will stop working.",
                    hint="Run `seuil saml_metadata` (hourly, from cron).",
                    id="seuil.saml.W002",
                )
            )
        if federation.skipped:
            found.append(
                Warning(
                    f"SAML federation {federation.name}: {len(federation.skipped)} entities "
                    f"skipped, the first: {federation.skipped[0]}",
                    id="seuil.saml.W003",
                )
            )
    return found
