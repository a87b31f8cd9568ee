from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from seuil.activation.models import CharterAcceptance, Sesame


@admin.register(Sesame)
class SesameAdmin(admin.ModelAdmin[Sesame]):
    """What HR issued, to whom and when; never the code, which exists only on the letter."""

    list_display = ("holder", "issued_at", "expires_at", "state_in_words", "issued_by")
    list_select_related = ("account", "issued_by")
    search_fields = ("=account__login",)
    date_hierarchy = "issued_at"
    fields = ("account", "issued_at", "expires_at", "used_at", "revoked_at", "issued_by")

    @admin.display(description=_("compte"), ordering="account__login")
    def holder(self, sesame: Sesame) -> str:
        return str(sesame.account)

    @admin.display(description=_("état"))
    def state_in_words(self, sesame: Sesame) -> str:
        return sesame.state

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued from a person, so that a letter comes with it

    def has_change_permission(self, request: HttpRequest, obj: Sesame | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Sesame | None = None) -> bool:
        return False


@admin.register(CharterAcceptance)
class CharterAcceptanceAdmin(admin.ModelAdmin[CharterAcceptance]):
    list_display = ("holder", "version", "accepted_at", "ip")
    list_filter = ("version",)
    search_fields = ("=account__login",)

    @admin.display(description=_("compte"), ordering="account__login")
    def holder(self, acceptance: CharterAcceptance) -> str:
        return str(acceptance.account)

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
