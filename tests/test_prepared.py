"""seuil.core.prepared: the hot reads compiled once per worker give what their QuerySets give,
on both databases. It leans on Django internals (a Query's compiler, its SQL and converters):
the Django upgrade that changes them fails here."""

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import models

from seuil.accounts.backends import SIGNED_IN
from seuil.accounts.models import Account
from seuil.accounts.models.account import SIGN_IN_FACTS, SIGNING_IN
from seuil.cas.models import FOR_HOST, FOR_HOST_AND_STATUS, Kind
from seuil.core.prepared import PreparedRead
from seuil.people.models import Person
from seuil.sso.chains import code_digest
from seuil.sso.grants import ACCESS_TOKEN, GRANT, access_token_of
from seuil.sso.models import FOR_CLIENT, Subject
from tests.cas import register_cas
from tests.conftest import PASSWORD
from tests.sso import authorize_in, code_of_location, provider_settings, register_client, tokens_in
from tests.test_oidc_session import signed_in

pytestmark = pytest.mark.django_db


def facts(instance: models.Model | None, related: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every column of an instance, and of the related objects named by paths (a__b)."""
    if instance is None:
        return {}
    found = {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}
    for path in related:
        target: Any = instance
        for name in path.split("__"):
            target = getattr(target, name)
        found[path] = facts(target)
    return found


def same(
    prepared: PreparedRead[Any], values: tuple[Any, ...], related: tuple[str, ...],
    annotations: tuple[str, ...], django_assert_num_queries: Any,
) -> Any:  # fmt: skip
    with django_assert_num_queries(1):  # the related objects come with it: no more statements
        mine = prepared.first(*values)
        mine_facts = facts(mine, related)
    theirs = next(iter(prepared.build(*values)), None)  # the QuerySet, as the ORM runs it
    assert mine is not None
    assert theirs is not None
    assert type(mine) is type(theirs)
    assert mine_facts == facts(theirs, related)
    assert {a: getattr(mine, a) for a in annotations} == {
        a: getattr(theirs, a) for a in annotations
    }
    return mine


@pytest.fixture
def person(make_person: Callable[..., Person], settings: Any) -> Person:
    provider_settings(settings, "http://testserver")
    person = make_person(password=PASSWORD, start_date=date(2020, 1, 1))
    Subject.of(person.account)
    return person


def test_the_signed_in_account_is_read_with_its_person(
    person: Person, make_person: Callable[..., Person], django_assert_num_queries: Any
) -> None:
    other = make_person(first_name="Zoé", last_name="Martin")
    values = (person.account.pk,)
    assert (
        same(SIGNED_IN, values, ("person",), (), django_assert_num_queries).pk == person.account.pk
    )
    assert (
        same(SIGNED_IN, (other.account.pk,), ("person",), (), django_assert_num_queries).pk
        != person.account.pk
    )
    assert SIGNED_IN.first(-1) is None


def test_the_account_a_password_is_checked_for_is_read_with_its_person_and_facts(
    person: Person, django_assert_num_queries: Any
) -> None:
    login = person.account.login
    found = same(SIGNING_IN, (login,), ("person",), tuple(SIGN_IN_FACTS), django_assert_num_queries)
    assert found.pk == person.account.pk
    assert SIGNING_IN.first("nobody") is None


def test_an_oidc_client_is_read_with_its_service_and_the_status_asked(
    person: Person, django_assert_num_queries: Any
) -> None:
    client = register_client("http://testserver", statuses=("administratif",))
    found = same(FOR_CLIENT, (client.client_id, "administratif"), ("oidc_client",), ("matches",),
                 django_assert_num_queries)  # fmt: skip
    assert found.matches is True
    assert FOR_CLIENT.first(client.client_id, "etudiant").matches is False  # type: ignore[union-attr]
    assert FOR_CLIENT.first("no-such-client", "administratif") is None


def test_a_codes_grant_and_an_access_token_are_read_with_all_a_request_needs(
    person: Person, django_assert_num_queries: Any
) -> None:
    client = register_client("http://testserver", statuses=("administratif",))
    browser = signed_in(person)
    answer, _ = authorize_in(browser, client)
    code = code_of_location(answer["Location"])
    related = ("user__person", "user__oidc_subject", "application__service")
    same(GRANT, (code_digest(code),), related, ("seuil_signed_in_at", "seuil_methods"),
         django_assert_num_queries)  # fmt: skip
    token = tokens_in(browser, client)["access_token"]
    found = access_token_of(token)
    assert found is not None
    checksum = found.token_checksum
    assert same(
        ACCESS_TOKEN, (checksum,), related, ("seuil_admitted",), django_assert_num_queries
    ).seuil_admitted


def test_the_cas_registrations_of_a_host_are_read_with_their_service_and_status(
    person: Person, django_assert_num_queries: Any
) -> None:
    register_cas("Cours", "https://Cours.Example/app/", statuses=("administratif",))
    register_cas("Rappel", "https://cours.example/rappel/", kind=Kind.PROXY_CALLBACK)
    values = (Kind.SERVICE, "cours.example", "administratif")
    found = same(FOR_HOST_AND_STATUS, values, ("service",), ("is_for_status",),
                 django_assert_num_queries)  # fmt: skip
    assert found.prefix == "https://Cours.Example/app/"  # any case, the service's kind only
    assert found.is_for_status is True
    assert [r.prefix for r in FOR_HOST.all(Kind.SERVICE, "cours.example")] == [found.prefix]
    # LIKE's wildcards in a host are letters: neither "%" nor "_" stands for the ".".
    assert FOR_HOST.all(Kind.SERVICE, "cours%example") == []
    assert FOR_HOST.all(Kind.SERVICE, "cours_example") == []
    assert FOR_HOST_AND_STATUS.first(*values[:2], "etudiant").is_for_status is False  # type: ignore[union-attr]


@pytest.mark.django_db(transaction=True)  # the threads' connections see the people
def test_threads_read_their_own_values_at_once(
    person: Person, make_person: Callable[..., Person]
) -> None:
    people = [person.account.pk] + [make_person(first_name=f"P{n}").account.pk for n in range(3)]
    found: list[bool] = []
    start = threading.Barrier(4)

    def read(pk: int) -> None:
        start.wait()
        found.extend(getattr(SIGNED_IN.first(pk), "pk", None) == pk for _ in range(50))

    threads = [threading.Thread(target=read, args=(pk,)) for pk in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == [True] * 200


def test_a_sample_must_reach_the_sql_once() -> None:
    twice = PreparedRead(lambda login: Account.objects.filter(login=login, mail=login)[:1], "x@y")
    with pytest.raises(ValueError, match="2 times"):
        twice.first("a")


def test_postgresql_plans_a_hot_read_once_per_connection(
    person: Person, settings: Any, django_assert_num_queries: Any
) -> None:
    """SEUIL_DATABASE_PREPARE_AFTER (5): the token read of every userinfo, the costliest to plan
    (0.66 ms of the backend's CPU per execution, 0.05 ms prepared), is prepared on its fifth run
    and executed from then on without being planned again."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's prepared statements: the PostgreSQL pass checks them")
    assert settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"] == 5
    client = register_client("http://testserver", statuses=("administratif",))
    token = tokens_in(signed_in(person), client)["access_token"]

    def prepared() -> list[tuple[int, int]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                " WHERE statement LIKE %s",
                ['%FROM "oauth2_provider_accesstoken"%'],
            )
            return list(cursor.fetchall())

    for _ in range(5):
        assert access_token_of(token) is not None
    assert prepared() == []  # run five times: not yet
    for _ in range(20):
        assert access_token_of(token) is not None
    [(generic, custom)] = prepared()
    assert generic + custom == 20  # each later run executed the prepared statement
    assert generic > 0  # and PostgreSQL settled on one plan for all of them
