from django.contrib import admin
from django.http import HttpRequest

from seuil.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """The security log, for HR and IT: filter by action, outcome, date; never editable."""

    list_display = ("at", "action", "outcome", "actor", "account", "ip")
    list_filter = ("action", "outcome", ("at", admin.DateFieldListFilter))
    search_fields = ("=actor", "=account__login", "=ip")
    date_hierarchy = "at"
    list_select_related = ("account",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
