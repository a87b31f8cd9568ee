"""HR's filters on the people list: the account's state, as the list shows it, and the start
date, so that "everyone starting on 1 September without an account yet" is two clicks."""

from datetime import date, timedelta
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from seuil.accounts.models import Account
from seuil.accounts.states import Substate, state_case
from seuil.people.models import Person

START_DATES = 12  # the start dates offered: the coming ones first, then the recent ones
RECENT = timedelta(days=120)  # how far back a start date is still "recent"


def _slug(state: str) -> str:
    """The state in the address: HR's pages never show SupAnn's codes (SupannCree → cree)."""
    return state.removeprefix("Supann").lower()


class StateFilter(admin.SimpleListFilter):
    title = _("état du compte")
    parameter_name = "etat"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(_slug(value), str(label).capitalize()) for value, label in Substate.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Person]) -> QuerySet[Person]:
        value = next((state for state in Substate.values if _slug(state) == self.value()), None)
        if value is None:
            return queryset
        # The state the list shows, computed in SQL by the same rules (seuil.accounts.states).
        accounts = Account.objects.annotate(computed=state_case(timezone.localdate()))
        return queryset.filter(account__in=accounts.filter(computed=value).values("pk"))


class StartDateFilter(admin.SimpleListFilter):
    title = _("début du rattachement")
    parameter_name = "debut"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        today = timezone.localdate()
        dates = (
            Person.objects.filter(start_date__gte=today - RECENT)
            .order_by("start_date")
            .values_list("start_date", flat=True)
            .distinct()[:START_DATES]
        )
        return [(day.isoformat(), formats.date_format(day, "DATE_FORMAT")) for day in dates]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Person]) -> QuerySet[Person]:
        try:
            day = date.fromisoformat(self.value() or "")
        except ValueError:
            return queryset
        return queryset.filter(start_date=day)
