from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import BaseUserCreationForm
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from seuil.accounts.models import Account, StateChange
from seuil.audit.admin import zoned
from seuil.audit.models import Action, AuditEvent
from seuil.core.http import client_ip
from seuil.security import throttle


class StateChangeInline(admin.TabularInline[StateChange, Account]):
    model = StateChange
    fields = ("supann", "recorded_at")
    readonly_fields = ("supann", "recorded_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Account | None = None) -> bool:
        return False


def operator_of(request: HttpRequest) -> Account:
    assert isinstance(request.user, Account)  # noqa: S101 -- the admin requires a login
    return request.user


def refused_operators(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, accounts: list[Account]
) -> bool:
    """Refuse the whole action, before anything is done, when HR selected an operator account."""
    operator = operator_of(request)
    refused = [a.login for a in accounts if not operator.is_superuser and a.has_operator_rights()]
    if refused:
        modeladmin.message_user(
            request,
            _(
                "Rien n'a été fait : %(logins)s ont des droits d'opérateur, seule l'équipe "
                "informatique peut agir sur ces comptes."
            )
            % {"logins": ", ".join(refused)},
            messages.ERROR,
        )
    return bool(refused)


class LockForm(forms.Form):
    reason = forms.CharField(label=_("Motif"), max_length=200)


def lock_accounts(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, accounts: list[Account]
) -> HttpResponse | None:
    """HR's administrative lock, with a reason: the accounts' sessions end at once."""
    if refused_operators(modeladmin, request, accounts):
        return None
    form = LockForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        for account in accounts:
            account.lock(form.cleaned_data["reason"], by=operator_of(request))
            AuditEvent.record(
                Action.LOCKED,
                account=account,
                actor=request.user.get_username(),
                ip=client_ip(request),
                reason=form.cleaned_data["reason"],
            )
        modeladmin.message_user(request, _("Comptes verrouillés : %(n)d") % {"n": len(accounts)})
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Verrouiller des comptes"),
        "form": form,
        "accounts": accounts,
        "action": request.POST.get("action"),
        "selected": request.POST.getlist("_selected_action"),
    }
    return TemplateResponse(request, "admin/accounts/lock.html", context)


def lift_locks(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, accounts: list[Account]
) -> None:
    if refused_operators(modeladmin, request, accounts):
        return
    for account in accounts:
        if account.locked_at:
            account.unlock(by=operator_of(request))
            AuditEvent.record(
                Action.UNLOCKED,
                account=account,
                actor=request.user.get_username(),
                ip=client_ip(request),
            )
    modeladmin.message_user(request, _("Verrouillages levés : %(n)d") % {"n": len(accounts)})


class OperatorCreationForm(BaseUserCreationForm[Account]):
    class Meta:
        model = Account
        fields = ("login",)


@admin.register(Account)
class AccountAdmin(UserAdmin[Account]):
    add_form = OperatorCreationForm
    list_display = ("login", "mail", "state_now", "activated_at", "last_login", "locked")
    actions = ["lock", "lift_lock", "unlock"]
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
        "state",
        "state_since",
        "locked_at",
        "lock_reason",
        "purged_at",
    )
    filter_horizontal = ("groups", "user_permissions")
    fieldsets = (
        (None, {"fields": ("login", "mail", "password")}),
        (_("Récupération"), {"fields": ("recovery_email", "pending_email", "secret_question")}),
        (_("État"), {"fields": ("state", "state_since", "locked_at", "lock_reason", "purged_at")}),
        (_("Dates"), {"fields": ("created_at", "activated_at", "last_login")}),
        (
            _("Opérateur"),
            {"fields": ("is_staff", "is_superuser", "groups", "user_permissions")},
        ),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("login", "password1", "password2")}),)

    @admin.display(description=_("état"))
    def state_now(self, account: Account) -> str:
        return str(account.state_on().label).capitalize()

    @admin.display(description=zoned(_("verrouillé jusqu'à")))
    def locked(self, account: Account) -> str:
        until = throttle.locked_until(account.login)  # in UTC: shown in the one zone, labelled
        return (
            formats.date_format(timezone.localtime(until), "SHORT_DATETIME_FORMAT")
            if until
            else "—"
        )

    @admin.action(description=_("Verrouiller (avec un motif)"), permissions=["lock"])
    def lock(self, request: HttpRequest, queryset: QuerySet[Account]) -> HttpResponse | None:
        return lock_accounts(self, request, list(queryset))

    @admin.action(description=_("Lever le verrouillage administratif"), permissions=["lock"])
    def lift_lock(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        lift_locks(self, request, list(queryset))

    def has_lock_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.lock_account")

    @admin.action(
        description=_("Oublier les échecs (lever le blocage temporaire)"), permissions=["change"]
    )
    def unlock(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        if refused_operators(self, request, list(queryset)):
            return
        for account in queryset:
            throttle.reset(account.login)
            AuditEvent.record(
                Action.UNLOCKED,
                account=account,
                actor=request.user.get_username(),
                ip=client_ip(request),
            )
        self.message_user(
            request, _("Comptes déverrouillés : %(n)d") % {"n": len(queryset)}, messages.SUCCESS
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Account]:
        """HR sees people's accounts only; operators' are IT's."""
        accounts = super().get_queryset(request)
        if request.user.is_superuser:
            return accounts
        return accounts.filter(
            is_staff=False, is_superuser=False, groups=None, user_permissions=None
        )

    def get_readonly_fields(
        self, request: HttpRequest, obj: Account | None = None
    ) -> tuple[str, ...]:
        return self.readonly_fields if obj else ()

    def has_delete_permission(self, request: HttpRequest, obj: Account | None = None) -> bool:
        return False  # accounts are tombstones: a login or an address is never freed
