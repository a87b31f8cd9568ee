from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import BaseUserCreationForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from seuil.accounts.models import Account, StateChange
from seuil.audit.models import Action, AuditEvent
from seuil.security import throttle


class StateChangeInline(admin.TabularInline[StateChange, Account]):
    model = StateChange
    fields = ("supann", "recorded_at")
    readonly_fields = ("supann", "recorded_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Account | None = None) -> bool:
        return False


class OperatorCreationForm(BaseUserCreationForm[Account]):
    class Meta:
        model = Account
        fields = ("login",)


@admin.register(Account)
class AccountAdmin(UserAdmin[Account]):
    add_form = OperatorCreationForm
    list_display = ("login", "mail", "is_staff", "activated_at", "last_login", "locked")
    actions = ["unlock"]
    inlines = [StateChangeInline]
    list_filter = ("is_staff", "is_superuser", "groups")
    search_fields = ("=login", "mail")
    ordering = ("login",)
    readonly_fields = (
        "login",
        "mail",
        "created_at",
        "activated_at",
        "last_login",
        "recovery_email",
        "pending_email",
        "secret_question",
    )
    filter_horizontal = ("groups", "user_permissions")
    fieldsets = (
        (None, {"fields": ("login", "mail", "password")}),
        (_("Récupération"), {"fields": ("recovery_email", "pending_email", "secret_question")}),
        (_("Dates"), {"fields": ("created_at", "activated_at", "last_login")}),
        (
            _("Opérateur"),
            {"fields": ("is_staff", "is_superuser", "groups", "user_permissions")},
        ),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("login", "password1", "password2")}),)

    @admin.display(description=_("verrouillé jusqu'à"))
    def locked(self, account: Account) -> str:
        until = throttle.locked_until(account.login)
        return f"{until:%Y-%m-%d %H:%M}" if until else "—"

    @admin.action(description=_("Déverrouiller (oublier les échecs)"), permissions=["change"])
    def unlock(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        for account in queryset:
            throttle.reset(account.login)
            AuditEvent.record(
                Action.UNLOCKED, account=account, actor=request.user.get_username(), request=request
            )
        self.message_user(
            request, _("Comptes déverrouillés : %(n)d") % {"n": len(queryset)}, messages.SUCCESS
        )

    def get_readonly_fields(
        self, request: HttpRequest, obj: Account | None = None
    ) -> tuple[str, ...]:
        return self.readonly_fields if obj else ()

    def has_delete_permission(self, request: HttpRequest, obj: Account | None = None) -> bool:
        return False  # accounts are tombstones: a login or an address is never freed
