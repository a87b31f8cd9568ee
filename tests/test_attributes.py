"""The one mapping the directory, OpenID Connect and CAS publish (seuil/people/attributes.py)."""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from seuil.accounts.models import Account
from seuil.people.attributes import attributes_of
from seuil.people.models import Person
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=PARIS)


def test_an_activated_lecturer_gets_the_whole_supann_entry(
    make_person: Callable[..., Person],
) -> None:
    person = make_person(
        status="enseignant-chercheur",
        civility="M.",
        external_id="H1234",
        start_date=date(2026, 9, 1),
        end_date=date(2027, 8, 31),
    )
    account = person.account
    account.activated_at, account.recovery_email = at(date(2026, 9, 3)), "jean@example.org"
    account.pending_email = "not-yet@example.org"

    attributes = attributes_of(account, today=date(2026, 10, 1))

    assert attributes == {
        "uid": [account.login],
        "cn": ["Dupont Jean"],
        "sn": ["Dupont"],
        "givenName": ["Jean"],
        "displayName": ["Jean Dupont"],
        "supannCivilite": ["M."],
        "mail": [account.mail],
        "eduPersonAffiliation": ["faculty", "researcher", "teacher", "employee", "member"],
        "eduPersonPrimaryAffiliation": ["faculty"],
        "eduPersonScopedAffiliation": [
            "faculty@univ-montp3.fr",
            "researcher@univ-montp3.fr",
            "teacher@univ-montp3.fr",
            "employee@univ-montp3.fr",
            "member@univ-montp3.fr",
        ],
        "eduPersonPrincipalName": [f"{account.login}@univ-montp3.fr"],
        "supannEmpId": ["H1234"],
        "supannEtablissement": ["{UAI}0341089Z"],
        "supannMailPerso": ["jean@example.org"],
        "supannRessourceEtatDate": [
            "{COMPTE}A:SupannActif:20260903:20270831",
            "{MAIL}A:SupannActif:20260903:20270831",
        ],
    }


@pytest.mark.parametrize(
    ("status", "affiliations"),
    [
        ("administratif", ["staff", "employee", "member"]),
        ("enseignant", ["faculty", "teacher", "employee", "member"]),
        ("etudiant", ["student", "member"]),
    ],
)
def test_affiliations_follow_the_status(
    make_person: Callable[..., Person], status: str, affiliations: list[str]
) -> None:
    attributes = attributes_of(make_person(status=status).account)
    assert attributes["eduPersonAffiliation"] == affiliations
    assert attributes["eduPersonPrimaryAffiliation"] == affiliations[:1]


def test_a_student_has_a_student_number_not_an_hr_number(
    make_person: Callable[..., Person],
) -> None:
    attributes = attributes_of(make_person(status="etudiant", external_id="21001234").account)
    assert attributes["supannEtuId"] == ["21001234"]
    assert "supannEmpId" not in attributes


def test_before_activation_there_is_no_mailbox_and_the_account_awaits(
    make_person: Callable[..., Person],
) -> None:
    account = make_person(start_date=date(2026, 9, 1)).account
    account.created_at = at(date(2026, 6, 1))

    attributes = attributes_of(account, today=date(2026, 9, 2))

    assert "mail" not in attributes
    assert "supannMailPerso" not in attributes
    assert "supannCivilite" not in attributes
    assert attributes["supannRessourceEtatDate"] == ["{COMPTE}I:SupannCree:20260817:"]
    early = attributes_of(account, today=date(2026, 7, 1))
    assert early["supannRessourceEtatDate"] == ["{COMPTE}I:SupannPrecree:20260601:20260816"]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 8, 25), "A:SupannAnticipe:20260820:20260831"),
        (date(2026, 9, 1), "A:SupannActif:20260901:20261231"),
        (date(2027, 1, 15), "A:SupannSursis:20270101:20270130"),
        (date(2027, 3, 1), "I:SupannExpire:20270131:"),
    ],
)
def test_the_state_and_its_dates_follow_the_attachment(
    make_person: Callable[..., Person], today: date, expected: str
) -> None:
    account = make_person(start_date=date(2026, 9, 1), end_date=date(2026, 12, 31)).account
    account.activated_at = at(date(2026, 8, 20))

    values = attributes_of(account, today=today)["supannRessourceEtatDate"]

    assert values == [f"{{COMPTE}}{expected}", f"{{MAIL}}{expected}"]


def test_a_lock_suspends_both_resources(make_person: Callable[..., Person]) -> None:
    account = make_person(password=PASSWORD).account
    account.lock("enquête")
    account.locked_at = at(date(2026, 10, 2))

    values = attributes_of(account, today=date(2026, 10, 5))["supannRessourceEtatDate"]

    assert values == [
        "{COMPTE}S:SupannVerrouAdministratif:20261002:",
        "{MAIL}S:SupannVerrouAdministratif:20261002:",
    ]


def test_scope_and_establishment_come_from_the_settings(
    make_person: Callable[..., Person], settings: Any
) -> None:
    settings.SEUIL_EPPN_SCOPE, settings.SEUIL_UAI = "example.edu", "{UAI}0751717J"
    account = make_person(status="etudiant").account

    attributes = attributes_of(account)

    assert attributes["eduPersonPrincipalName"] == [f"{account.login}@example.edu"]
    assert attributes["eduPersonScopedAffiliation"] == ["student@example.edu", "member@example.edu"]
    assert attributes["supannEtablissement"] == ["{UAI}0751717J"]


def test_an_operator_gets_its_login_and_no_affiliation(
    make_operator: Callable[..., Account],
) -> None:
    operator = make_operator(login="drh-admin")

    attributes = attributes_of(operator)

    assert attributes["uid"] == ["drh-admin"]
    assert "eduPersonAffiliation" not in attributes
    assert attributes["supannRessourceEtatDate"][0].startswith("{COMPTE}A:SupannActif:")


def test_every_value_is_a_non_empty_string(make_person: Callable[..., Person]) -> None:
    for status in ("administratif", "enseignant", "enseignant-chercheur", "etudiant"):
        attributes = attributes_of(make_person(status=status, password=PASSWORD).account)
        for name, values in attributes.items():
            assert values, name
            assert all(isinstance(v, str) and v for v in values), name


@pytest.mark.parametrize(
    ("address", "published"),
    [
        ("jean@example.org", "jean@example.org"),
        ("jean@exämple.org", "jean@xn--exmple-cua.org"),
        ("jéan@example.org", None),
    ],
)
def test_the_personal_address_is_published_in_ascii(
    make_person: Callable[..., Person], address: str, published: str | None
) -> None:
    account = make_person().account
    account.recovery_email = address
    assert attributes_of(account).get("supannMailPerso") == ([published] if published else None)
