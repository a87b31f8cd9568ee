from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from seuil.accounts.admin import lift_locks, lock_accounts, operator_of
from seuil.accounts.models import Account, StateChange
from seuil.accounts.models.account import OperatorAccountRefused
from seuil.audit.models import Action, AuditEvent
from seuil.core.http import client_ip
from seuil.people import naming
from seuil.people.filters import StartDateFilter, StateFilter
from seuil.people.models import FEED_FIELDS, Person


class PersonForm(forms.ModelForm[Person]):
    operator: Account | None = None  # who submits it: PersonAdmin.get_form sets it

    class Meta:
        model = Person
        fields = ("external_id", *FEED_FIELDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk and self.has_changed():
            # HR changing an operator's person (an end date expires the operator at once, and
            # the purge follows) would be acting on IT's account: refused like a lock.
            try:
                self.instance.account.refuse_unless_it(self.operator)
            except OperatorAccountRefused:
                raise forms.ValidationError(
                    _(
                        "Rien n'a été fait : le compte de cette personne a des droits "
                        "d'opérateur, seule l'équipe informatique peut modifier sa fiche."
                    ),
                    code="operator",
                ) from None
        try:
            naming.login_base(
                data.get("first_name", ""), data.get("last_name", ""), data.get("birth_name", "")
            )
            naming.mail_local(data.get("first_name", ""), data.get("last_name", ""))
        except naming.NamingError as error:
            raise forms.ValidationError(str(error)) from None
        return data


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin[Person]):
    form = PersonForm
    list_display = (
        "last_name",
        "first_name",
        "status",
        "external_id",
        "login",
        "mail",
        "state",
        "end_date",
    )
    list_filter = ("status", StateFilter, StartDateFilter)
    list_select_related = ("account",)
    search_fields = (
        "last_name",
        "first_name",
        "birth_name",
        "external_id",
        "=account__login",
        "account__mail",
    )
    readonly_fields = ("login", "mail", "state", "history", "created_at", "updated_at")
    show_full_result_count = False
    actions = ["lock", "lift_lock"]  # seuil.activation.admin adds the letters

    def get_form(
        self, request: HttpRequest, obj: Person | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Person]]:
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"operator": operator_of(request)})

    @admin.display(description=_("identifiant"), ordering="account__login")
    def login(self, person: Person) -> str:
        return person.account.login if person.pk else "—"

    @admin.display(description=_("adresse institutionnelle"))
    def mail(self, person: Person) -> str:
        return (person.account.mail or "—") if person.pk else "—"

    @admin.display(description=_("état du compte"))
    def state(self, person: Person) -> str:
        """In words, as HR says it; the SupAnn code stays in the export and the history."""
        return str(person.account.state_on().label).capitalize() if person.pk else "—"

    @admin.action(description=_("Verrouiller le compte (avec un motif)"), permissions=["lock"])
    def lock(self, request: HttpRequest, queryset: QuerySet[Person]) -> HttpResponse | None:
        return lock_accounts(self, request, [p.account for p in queryset.select_related("account")])

    @admin.action(description=_("Lever le verrouillage administratif"), permissions=["lock"])
    def lift_lock(self, request: HttpRequest, queryset: QuerySet[Person]) -> None:
        lift_locks(self, request, [p.account for p in queryset.select_related("account")])

    def has_lock_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.lock_account")

    @admin.display(description=_("historique des états"))
    def history(self, person: Person) -> str:
        """The account's states as supannRessourceEtatDate writes them, newest first."""
        if not person.pk:
            return "—"
        rows = StateChange.objects.filter(account_id=person.account_id)
        return format_html_join("\n", "<code>{}</code><br>", ((row.supann,) for row in rows)) or "—"

    def save_model(self, request: HttpRequest, obj: Person, form: Any, change: bool) -> None:
        operator = request.user.get_username()
        if not change:
            obj.register(actor=operator)
            return
        obj.save()
        AuditEvent.record(
            Action.PERSON_CHANGED,
            account=obj.account,
            actor=operator,
            ip=client_ip(request),
            fields=form.changed_data,
        )

    def has_delete_permission(self, request: HttpRequest, obj: Person | None = None) -> bool:
        return False  # the person ties an account, a tombstone, to its history
