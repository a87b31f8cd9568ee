from django.contrib import admin
from django.http import HttpRequest

from seuil.activation.models import CharterAcceptance, Sesame


@admin.register(Sesame)
class SesameAdmin(admin.ModelAdmin[Sesame]):
    """What HR issued, to whom and when; never the code, which exists only on the letter."""

    list_display = ("account", "issued_at", "expires_at", "state", "issued_by")
    list_select_related = ("account", "issued_by")
    search_fields = ("=account__login",)
    date_hierarchy = "issued_at"
    fields = ("account", "issued_at", "expires_at", "used_at", "revoked_at", "issued_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued from a person, so that a letter comes with it

    def has_change_permission(self, request: HttpRequest, obj: Sesame | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Sesame | None = None) -> bool:
        return False


@admin.register(CharterAcceptance)
class CharterAcceptanceAdmin(admin.ModelAdmin[CharterAcceptance]):
    list_display = ("account", "version", "accepted_at", "ip")
    list_filter = ("version",)
    search_fields = ("=account__login",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: CharterAcceptance | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: CharterAcceptance | None = None
    ) -> bool:
        return False
