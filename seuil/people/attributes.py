"""One mapping from an account to its published attributes, with SupAnn and eduPerson's LDAP names.

The directory entry, the OpenID Connect claims and the CAS attributes all derive from it, so a
service sees the same person whichever way it asks. docs/directory.md holds the table.

Values are lists of strings, as LDAP holds them; an attribute without a value is left out.
"""

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


def attributes_of(account: Any, today: date | None = None) -> dict[str, list[str]]:
    """The account's attributes on a day (today by default), keyed by LDAP name.

    An operator (no person) gets its login, names and state only: it has no affiliation.
    """
    today = today or institution_today()
    person = getattr(account, "person", None)
    scope = settings.SEUIL_EPPN_SCOPE
    state = account.state_on(today)
    attributes: dict[str, list[str]] = {
        "uid": [account.login],
        "eduPersonPrincipalName": [f"{account.login}@{scope}"],
        "supannEtablissement": [settings.SEUIL_UAI],
    }
    if person is None:
        attributes |= {"cn": [account.login], "sn": [account.login]}
        attributes["displayName"] = [account.login]
    else:
        affiliations = AFFILIATIONS[person.status]
        number = "supannEtuId" if person.is_student else "supannEmpId"
        attributes |= {
            "cn": [f"{person.last_name} {person.first_name}"],
            "sn": [person.last_name],
            "givenName": [person.first_name],
            "displayName": [f"{person.first_name} {person.last_name}"],
            "eduPersonAffiliation": list(affiliations),
            "eduPersonPrimaryAffiliation": [affiliations[0]],
            "eduPersonScopedAffiliation": [f"{a}@{scope}" for a in affiliations],
            number: [person.external_id],
        }
        if person.civility:
            attributes["supannCivilite"] = [person.civility]
    # The mailbox is created when the account is taken possession of (Account.activate).
    mailbox = account.mail and account.activated_at is not None
    if mailbox:
        attributes["mail"] = [account.mail]
    personal = _ascii_address(account.recovery_email)
    if personal:  # the confirmed address only, never one awaiting its link
        attributes["supannMailPerso"] = [personal]
    etat = _etat(account, person, state)
    attributes["supannRessourceEtatDate"] = [f"{{COMPTE}}{etat}"]
    if mailbox:
        attributes["supannRessourceEtatDate"].append(f"{{MAIL}}{etat}")
    return attributes


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
    return f"{value:%Y%m%d}" if value else ""
