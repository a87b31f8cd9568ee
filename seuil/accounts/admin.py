from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import BaseUserCreationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from seuil.accounts.models import Account


class OperatorCreationForm(BaseUserCreationForm[Account]):
    class Meta:
        model = Account
        fields = ("login",)


@admin.register(Account)
class AccountAdmin(UserAdmin[Account]):
    add_form = OperatorCreationForm
    list_display = ("login", "mail", "is_staff", "activated_at", "last_login")
    list_filter = ("is_staff", "is_superuser", "groups")
    search_fields = ("=login", "mail")
    ordering = ("login",)
    readonly_fields = ("login", "mail", "created_at", "activated_at", "last_login")
    filter_horizontal = ("groups", "user_permissions")
    fieldsets = (
        (None, {"fields": ("login", "mail", "password")}),
        (_("Dates"), {"fields": ("created_at", "activated_at", "last_login")}),
        (
            _("Opérateur"),
            {"fields": ("is_staff", "is_superuser", "groups", "user_permissions")},
        ),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("login", "password1", "password2")}),)

    def get_readonly_fields(
        self, request: HttpRequest, obj: Account | None = None
    ) -> tuple[str, ...]:
        return self.readonly_fields if obj else ()

    def has_delete_permission(self, request: HttpRequest, obj: Account | None = None) -> bool:
        return False  # accounts are tombstones: a login or an address is never freed
