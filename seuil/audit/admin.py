from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from seuil.audit.models import AuditEvent


def _zoned(label: object) -> str:
    return f"{label} ({settings.TIME_ZONE})"


zoned = lazy(_zoned, str)  # a column's name with the zone its times are shown in


class ZonedDateFilter(admin.DateFieldListFilter):
    """By date, in the zone the times are shown in (the field's own name says UTC)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = zoned(_("date"))


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """The security log, for HR and IT: filter by action, outcome, date; never editable."""

    list_display = ("when", "action", "outcome", "actor", "account", "ip")
    list_filter = ("action", "outcome", ("at", ZonedDateFilter))
    search_fields = ("=actor", "=account__login", "=ip")
    date_hierarchy = "at"
    list_select_related = ("account",)
    show_full_result_count = False

    @admin.display(description=zoned(_("date")), ordering="at")
    def when(self, event: AuditEvent) -> datetime:
        return event.at  # stored in UTC, shown in SEUIL_TIME_ZONE, as the column says

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
