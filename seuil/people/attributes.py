"""One mapping from an account to its published attributes, with SupAnn and eduPerson's LDAP names.

The directory entry, the OpenID Connect claims and the CAS attributes all derive from PUBLISHED,
one declaration per attribute, so a service sees the same person whichever way it asks, and a
new attribute is written once. docs/directory.md holds the table.

Values are lists of strings, as LDAP holds them; an attribute without a value is left out.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from seuil.accounts.states import LETTER, Substate
from seuil.people.models import Status

# eduPersonAffiliation by status (domain-notes.md §5); the first value is the primary one.
AFFILIATIONS: dict[str, tuple[str, ...]] = {
    Status.ADMINISTRATIF: ("staff", "employee", "member"),
    Status.ENSEIGNANT: ("faculty", "teacher", "employee", "member"),
    Status.ENSEIGNANT_CHERCHEUR: ("faculty", "researcher", "teacher", "employee", "member"),
    Status.ETUDIANT: ("student", "member"),
}


@dataclass(frozen=True)
class Published:
    """One published attribute, declared once: its LDAP name, the fields it is made of (a
    person's as `person__<field>`), how its values are made, and where else it goes. The
    directory's managed attributes and what it loads, the OpenID Connect claims and their scopes,
    and what CAS releases all derive from PUBLISHED; tests/test_published.py adds one and sees it
    reach the directory, OpenID Connect and CAS."""

    ldap: str
    reads: tuple[str, ...]
    values: Callable[[Any, Any, date], list[str]]  # (account, person or None, today)
    claim: str = ""  # the OpenID Connect claim, if any
    scope: str = ""  # the scope that claim needs
    many: bool = False  # the claim holds every value, not the first
    cas: bool = True  # released to CAS services


def _affiliations(person: Any) -> tuple[str, ...]:
    return AFFILIATIONS[person.status] if person is not None else ()


def _number(kind: str) -> Callable[[Any, Any, date], list[str]]:
    def values(account: Any, person: Any, today: date) -> list[str]:
        if person is None or (kind == "supannEtuId") != person.is_student:
            return []
        return [person.external_id]

    return values


def _scoped(affiliations: tuple[str, ...]) -> list[str]:
    scope = settings.SEUIL_EPPN_SCOPE  # read once, not once a value: settings is a lazy object
    return [f"{x}@{scope}" for x in affiliations]


def _mailbox(account: Any) -> bool:
    """The mailbox is created when the account is taken possession of (Account.activate)."""
    return bool(account.mail) and account.activated_at is not None


def _etat_values(account: Any, person: Any, today: date) -> list[str]:
    etat = _etat(account, person, account.state_on(today))
    return [f"{{COMPTE}}{etat}"] + ([f"{{MAIL}}{etat}"] if _mailbox(account) else [])


NAMES = ("login", "person__first_name", "person__last_name")
# What the account's state is computed from (seuil.accounts.states), and its dates.
STATE = (
    "created_at",
    "activated_at",
    "locked_at",
    "purged_at",
    "person__start_date",
    "person__end_date",
)
PUBLISHED: tuple[Published, ...] = (
    Published("uid", ("login",), lambda a, p, t: [a.login], "preferred_username", "profile"),
    Published(
        "cn",
        NAMES,
        lambda a, p, t: [f"{p.last_name} {p.first_name}" if p else a.login],
    ),
    Published(
        "sn", NAMES, lambda a, p, t: [p.last_name if p else a.login], "family_name", "profile"
    ),
    Published(
        "givenName",
        ("person__first_name",),
        lambda a, p, t: [p.first_name] if p else [],
        "given_name",
        "profile",
    ),
    Published(
        "displayName",
        NAMES,
        lambda a, p, t: [f"{p.first_name} {p.last_name}" if p else a.login],
        "name",
        "profile",
    ),
    Published(
        "supannCivilite",
        ("person__civility",),
        lambda a, p, t: [p.civility] if p and p.civility else [],
    ),
    Published(
        "mail",
        ("mail", "activated_at"),
        lambda a, p, t: [a.mail] if _mailbox(a) else [],
        "email",
        "email",
    ),
    Published(
        "eduPersonAffiliation",
        ("person__status",),
        lambda a, p, t: list(_affiliations(p)),
        "eduperson_affiliation",
        "eduperson_affiliation",
        many=True,
    ),
    Published(
        "eduPersonPrimaryAffiliation",
        ("person__status",),
        lambda a, p, t: list(_affiliations(p)[:1]),
    ),
    Published(
        "eduPersonScopedAffiliation",
        ("person__status",),
        lambda a, p, t: _scoped(_affiliations(p)),
        "eduperson_scoped_affiliation",
        "eduperson_scoped_affiliation",
        many=True,
    ),
    Published(
        "eduPersonPrincipalName",
        ("login",),
        lambda a, p, t: [f"{a.login}@{settings.SEUIL_EPPN_SCOPE}"],
        "eduperson_principal_name",
        "eduperson_principal_name",
    ),
    Published("supannEmpId", ("person__status", "person__external_id"), _number("supannEmpId")),
    Published("supannEtuId", ("person__status", "person__external_id"), _number("supannEtuId")),
    Published("supannEtablissement", (), lambda a, p, t: [settings.SEUIL_UAI]),
    # The confirmed address only, never one awaiting its link; for seuil's own mail, not CAS.
    Published(
        "supannMailPerso",
        ("recovery_email",),
        lambda a, p, t: [x] if (x := _ascii_address(a.recovery_email)) else [],
        cas=False,
    ),
    # Its {MAIL} value is there once the mailbox exists (_mailbox: mail, activated_at).
    Published("supannRessourceEtatDate", (*STATE, "mail"), _etat_values),
)


def attributes_of(account: Any, today: date | None = None) -> dict[str, list[str]]:
    """The account's attributes on a day (today by default), keyed by LDAP name, as PUBLISHED
    declares them. An operator (no person) gets its login, names and state only: it has no
    affiliation."""
    today = today or institution_today()
    person = getattr(account, "person", None)
    found = {}
    for item in PUBLISHED:  # a loop, not a generator: it runs for each of 100,000 entries
        values = item.values(account, person, today)
        if values:
            found[item.ldap] = values
    return found


def institution_today() -> date:
    """Today in the institution's time zone (TIME_ZONE): its dates are the ones published."""
    return timezone.now().astimezone(timezone.get_default_timezone()).date()


def _local_date(moment: Any) -> date:
    return moment.astimezone(timezone.get_default_timezone()).date()  # type: ignore[no-any-return]


def _ascii_address(address: str) -> str | None:
    """supannMailPerso is ASCII (IA5): an internationalised domain in its xn-- form. A
    non-ASCII local part has no ASCII form, and is left out."""
    local, _, domain = address.rpartition("@")
    if not local or not local.isascii():
        return None
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return None


def _etat(account: Any, person: Any, state: Substate) -> str:
    """STATE:SUBSTATE:START:END, the dates bounding the sub-state (END empty when open)."""
    start, end = _bounds(account, person, state)
    return f"{LETTER[state]}:{state.value}:{_day(start)}:{_day(end)}"


def _bounds(account: Any, person: Any, state: Substate) -> tuple[date | None, date | None]:
    # Computed from the dates the state derives from, so that the value is the same every day
    # the state lasts: a reconciliation then finds nothing to change.
    if state == Substate.SUPPR_DONNEES:
        return _local_date(account.purged_at), None
    if state == Substate.VERROU_ADMIN:
        return _local_date(account.locked_at), None
    if person is None:
        return _local_date(account.created_at), None
    early = timedelta(days=settings.SEUIL_EARLY_DAYS)
    day = timedelta(days=1)
    match state:
        case Substate.EXPIRE:
            closes = account.closes_on()
            return (closes + day if closes else None), None
        case Substate.PRECREE:
            return _local_date(account.created_at), person.start_date - early - day
        case Substate.CREE:
            return max(
                _local_date(account.created_at), person.start_date - early
            ), account.closes_on()
        case Substate.ANTICIPE:
            return _local_date(account.activated_at), person.start_date - day
        case Substate.SURSIS:
            return person.end_date + day, account.closes_on()
        case _:  # SupannActif
            activated = _local_date(account.activated_at) if account.activated_at else None
            return max(person.start_date, activated or person.start_date), person.end_date


def _day(value: date | None) -> str:
    if not value:
        return ""
    if value.year < 1000:  # strftime does not pad such a year; isoformat would
        return f"{value:%Y%m%d}"
    return value.isoformat().replace("-", "")  # the same digits as strftime, in C alone
