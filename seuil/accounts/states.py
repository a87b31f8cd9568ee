"""SupAnn account states (supannRessourceEtatDate), derived from the person's dates, the
activation, an administrative lock and the purge. See docs/lifecycle.md.

The rules are stated once, in RULES: the first rule whose facts all hold gives the state. Each
fact is written once for the database (a Q, for the nightly job's one query over every account)
and once for Python (for one account, at every request), side by side, and both the SQL Case and
the Python function are derived from RULES.

The state is computed, not stored: an account past its grace cannot sign in even if the daily
job has not run yet. The job records transitions and applies their side effects.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext_lazy as _


class Substate(models.TextChoices):
    PRECREE = "SupannPrecree", _("pré-créé (activation pas encore ouverte)")
    CREE = "SupannCree", _("créé, en attente d'activation")
    ANTICIPE = "SupannAnticipe", _("actif par anticipation")
    ACTIF = "SupannActif", _("actif")
    SURSIS = "SupannSursis", _("en sursis (délai de grâce)")
    EXPIRE = "SupannExpire", _("expiré")
    SUPPR_DONNEES = "SupannSupprDonnees", _("données supprimées")
    VERROU_ADMIN = "SupannVerrouAdministratif", _("verrouillé par l'administration")


LETTER = {
    Substate.PRECREE: "I",
    Substate.CREE: "I",
    Substate.ANTICIPE: "A",
    Substate.ACTIF: "A",
    Substate.SURSIS: "A",
    Substate.EXPIRE: "I",
    Substate.SUPPR_DONNEES: "I",
    Substate.VERROU_ADMIN: "S",
}
# Who may sign in: the A states.
OPEN = frozenset(state for state, letter in LETTER.items() if letter == "A")
# Whose Sésame or code no longer opens anything: a feed or HR must act first.
CLOSED = frozenset({Substate.EXPIRE, Substate.SUPPR_DONNEES, Substate.VERROU_ADMIN})


@dataclass(frozen=True)
class Fact:
    """A condition on an account on a day: as the database tests it, and as Python does."""

    where: Callable[[date], Q]
    holds: Callable[[Any, date], bool]


def grace() -> timedelta:
    return timedelta(days=settings.SEUIL_GRACE_DAYS)


def early() -> timedelta:
    return timedelta(days=settings.SEUIL_EARLY_DAYS)


def _person(account: Any) -> Any:
    return getattr(account, "person", None)


def _end(account: Any) -> date | None:
    person = _person(account)
    return person.end_date if person else None


def _start(account: Any) -> date | None:
    person = _person(account)
    return person.start_date if person else None


FACTS = {
    "purged": Fact(
        lambda today: Q(purged_at__isnull=False),
        lambda account, today: account.purged_at is not None,
    ),
    "locked": Fact(
        lambda today: Q(locked_at__isnull=False),
        lambda account, today: account.locked_at is not None,
    ),
    "operator": Fact(  # no person: no attachment, no dates
        lambda today: Q(person__isnull=True),
        lambda account, today: _person(account) is None,
    ),
    "past_grace": Fact(
        lambda today: Q(person__end_date__lt=today - grace()),
        lambda account, today: (end := _end(account)) is not None and end < today - grace(),
    ),
    "not_activated": Fact(
        lambda today: Q(activated_at__isnull=True),
        lambda account, today: account.activated_at is None,
    ),
    "not_open_yet": Fact(  # activation opens SEUIL_EARLY_DAYS before the start
        lambda today: Q(person__start_date__gt=today + early()),
        lambda account, today: (start := _start(account)) is not None and start > today + early(),
    ),
    "ended": Fact(
        lambda today: Q(person__end_date__lt=today),
        lambda account, today: (end := _end(account)) is not None and end < today,
    ),
    "not_started": Fact(
        lambda today: Q(person__start_date__gt=today),
        lambda account, today: (start := _start(account)) is not None and start > today,
    ),
}

# In order: the first rule whose facts all hold gives the state; the last one always holds.
RULES: tuple[tuple[Substate, tuple[str, ...]], ...] = (
    (Substate.SUPPR_DONNEES, ("purged",)),
    (Substate.VERROU_ADMIN, ("locked",)),
    (Substate.ACTIF, ("operator",)),
    (Substate.EXPIRE, ("past_grace",)),
    (Substate.PRECREE, ("not_activated", "not_open_yet")),
    (Substate.CREE, ("not_activated",)),
    (Substate.SURSIS, ("ended",)),
    (Substate.ANTICIPE, ("not_started",)),
    (Substate.ACTIF, ()),
)


def state_of(account: Any, today: date) -> Substate:
    """The sub-state of one account (its person loaded, if any) on a day."""
    for state, facts in RULES:
        if all(FACTS[fact].holds(account, today) for fact in facts):
            return state
    raise AssertionError("the last rule always holds")


def state_case(today: date) -> Case:
    """The same, as an SQL expression over accounts joined to their person."""
    *rules, (default, _none) = RULES
    whens = []
    for state, facts in rules:
        condition = Q()
        for fact in facts:
            condition &= FACTS[fact].where(today)
        whens.append(When(condition, then=Value(state)))
    return Case(*whens, default=Value(default), output_field=models.CharField())
