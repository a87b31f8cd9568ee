"""Registering one person (HR in the admin), alone and many at once."""

import threading
from collections.abc import Callable
from datetime import date

import pytest
from django.db import IntegrityError, connection
from django.test import Client

from seuil.accounts.models import Account
from seuil.people.models import Person


def newcomer(external_id: str, first: str = "Jean", last: str = "Dupont") -> Person:
    return Person(
        status="enseignant",
        external_id=external_id,
        first_name=first,
        last_name=last,
        birth_date=date(1980, 1, 1),
        start_date=date(2026, 9, 1),
    )


@pytest.mark.django_db
def test_it_gives_a_newcomer_a_login_and_an_address() -> None:
    person = newcomer("1")
    person.register()
    assert (person.account.login, person.account.mail) == ("jdupont", "jean.dupont@univ-montp3.fr")


@pytest.mark.django_db
def test_a_login_is_never_given_again_even_to_a_namesake_of_an_operator(
    make_operator: Callable[..., Account],
) -> None:
    make_operator(login="jdupont")
    person = newcomer("1")
    person.register()
    assert person.account.login == "jdupont2"


@pytest.mark.django_db
def test_accounts_cannot_be_deleted_so_names_are_never_freed() -> None:
    person = newcomer("1")
    person.register()
    with pytest.raises(Exception, match="tombstones"):
        person.account.delete()
    with pytest.raises(Exception, match="tombstones"):
        Account.objects.all().delete()


@pytest.mark.django_db
def test_the_database_refuses_a_duplicate_login() -> None:
    Account.objects.create(login="jdupont", mail="a@univ-montp3.fr")
    with pytest.raises(IntegrityError):
        Account.objects.create(login="jdupont", mail="b@univ-montp3.fr")


@pytest.mark.django_db
def test_hr_registers_a_person_in_the_admin(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/people/person/add/",
        {
            "status": "administratif",
            "external_id": "2001",
            "civility": "Mme",
            "first_name": "Éloïse",
            "last_name": "Lefèvre-Martin",
            "birth_name": "",
            "birth_date": "1990-01-01",
            "start_date": "2026-09-01",
            "end_date": "",
            "personal_email": "",
        },
    )
    assert response.status_code == 302
    assert Person.objects.get(external_id="2001").account.login == "elefevre"
    listing = admin_client.get("/admin/people/person/", {"q": "elefevre"})
    assert b"eloise.lefevre-martin@univ-montp3.fr" in listing.content


@pytest.mark.django_db
def test_the_admin_refuses_a_name_that_reduces_to_nothing(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/people/person/add/",
        {"status": "administratif", "external_id": "1", "first_name": "Jean", "last_name": "---",
         "birth_date": "1990-01-01", "start_date": "2026-09-01"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "le nom ne contient aucune lettre utilisable" in response.content.decode()
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_the_admin_refuses_a_known_staff_number(admin_client: Client) -> None:
    newcomer("1").register()
    response = admin_client.post(
        "/admin/people/person/add/",
        {"status": "administratif", "external_id": "1", "first_name": "Paul", "last_name": "Roux",
         "birth_date": "1990-01-01", "start_date": "2026-09-01"},
    )  # fmt: skip
    assert "Ce numéro RH est déjà enregistré." in response.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_homonyms_get_distinct_names() -> None:
    count = 40
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []

    def register(number: int) -> None:
        try:
            barrier.wait()
            newcomer(str(number)).register()
        except BaseException as error:  # noqa: BLE001 -- reported by the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    logins = set(Account.objects.values_list("login", flat=True))
    mails = set(Account.objects.values_list("mail", flat=True))
    assert len(logins) == len(mails) == count
    assert {"jdupont", "jdupont9", "jdupon10", f"jdupon{count}"} <= logins
