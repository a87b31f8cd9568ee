"""One declaration of the published attributes (seuil.people.attributes.PUBLISHED): a field
added there reaches the directory, OpenID Connect and CAS, with nothing else written."""

import importlib
from collections.abc import Callable

import pytest

from seuil.accounts.models import Account
from seuil.accounts.models.change import ACCOUNT_FIELDS
from seuil.cas.models import released
from seuil.directory.entries import managed
from seuil.directory.push import fields, publishable
from seuil.directory.sandbox import Sandbox
from seuil.people import attributes
from seuil.people.attributes import PUBLISHED, Published
from seuil.people.models import PERSON_FIELDS, Person
from seuil.sso.claims import claims_of
from tests.test_directory import OLD, values

NUMBER = Published(
    "employeeNumber",  # inetOrgPerson's, which no entry of seuil held before
    ("person__external_id",),
    lambda account, person, today: [f"N-{person.external_id}"] if person else [],
    claim="employee_number",
    scope="profile",
)
CONSUMERS = ["seuil.people.attributes", "seuil.directory.entries", "seuil.directory.push",
             "seuil.sso.claims", "seuil.cas.models"]  # fmt: skip


@pytest.fixture
def declared(monkeypatch: pytest.MonkeyPatch) -> None:
    """The declaration with one more attribute, as a developer would write it."""
    for name in CONSUMERS:
        module = importlib.import_module(name)
        if hasattr(module, "PUBLISHED"):
            monkeypatch.setattr(module, "PUBLISHED", (*PUBLISHED, NUMBER))


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("declared")
def test_a_field_added_to_the_declaration_reaches_ldap_oidc_and_cas(
    directory: Sandbox, make_person: Callable[..., Person]
) -> None:
    account = make_person(external_id="E4217", password=OLD).account
    account = publishable(Account.objects.filter(pk=account.pk)).get()

    assert "employeeNumber" in managed()
    assert values(directory, account.login, "employeeNumber") == [b"N-E4217"], "LDAP"
    assert claims_of(account, ["employee_number"]) == {"employee_number": "N-E4217"}, "OIDC"
    assert released(account)["employeeNumber"] == ["N-E4217"], "CAS"


def test_what_the_declaration_reads_is_recorded_when_it_changes() -> None:
    """A change of any field an attribute is made of must reach the directory: the write path
    records changes of ACCOUNT_FIELDS and PERSON_FIELDS only."""
    for item in attributes.PUBLISHED:
        for name in item.reads:
            if name.startswith("person__"):
                assert name.removeprefix("person__") in PERSON_FIELDS, (item.ldap, name)
            else:
                assert name in ACCOUNT_FIELDS or name == "created_at", (item.ldap, name)
    assert set(fields()) >= {name for item in attributes.PUBLISHED for name in item.reads}


def test_every_declared_attribute_is_managed_in_the_directory() -> None:
    assert managed() == (*(item.ldap for item in attributes.PUBLISHED), "userPassword")
