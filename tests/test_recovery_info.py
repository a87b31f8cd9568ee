"""Mes informations de récupération: a new personal e-mail (confirmed first), a new question."""

import pytest
from django.contrib.auth.hashers import check_password
from django.test import Client

from seuil.accounts.models import Account
from seuil.mailer.models import OutgoingMail
from seuil.people.models import Person
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
URL = "/gestion-de-compte/mes-informations-de-recuperation/"


@pytest.fixture
def signed_in(client: Client, jean: Person) -> Account:
    client.force_login(jean.account)
    return jean.account


def test_a_new_address_waits_for_its_confirmation_and_the_old_one_is_told(
    client: Client, signed_in: Account
) -> None:
    response = client.post(URL, {"personal_email": "New@Example.ORG", "current_password": PASSWORD})
    assert response["Location"] == URL
    signed_in.refresh_from_db()
    assert (signed_in.recovery_email, signed_in.pending_email) == (
        "jean@example.org",
        "New@example.org",
    )
    assert sorted(OutgoingMail.objects.values_list("kind", "to")) == [
        ("accounts.confirm_email", "New@example.org"),
        ("accounts.notice", "jean@example.org"),
    ]
    Account.confirm_email(signed_in.email_token())
    signed_in.refresh_from_db()
    assert (signed_in.recovery_email, signed_in.pending_email) == ("New@example.org", "")


def test_it_wants_the_current_password(client: Client, signed_in: Account) -> None:
    response = client.post(
        URL, {"personal_email": "new@example.org", "current_password": "Wrong7KqZm"}
    )
    assert response.context["email_form"].errors["current_password"] == [
        "Mot de passe actuel incorrect."
    ]
    signed_in.refresh_from_db()
    assert signed_in.pending_email == ""
    assert not OutgoingMail.objects.exists()


def test_it_refuses_an_address_of_the_university(client: Client, signed_in: Account) -> None:
    response = client.post(
        URL, {"personal_email": "x@univ-montp3.fr", "current_password": PASSWORD}
    )
    assert response.context["email_form"].errors["personal_email"] == [
        "Donnez une adresse personnelle, pas une adresse de l'université."
    ]


def test_the_secret_question_is_replaced_and_its_answer_hashed(
    client: Client, signed_in: Account
) -> None:
    question = "Dans quelle rue avez-vous grandi ?"
    response = client.post(
        f"{URL}question/",
        {
            "secret_question": question,
            "secret_answer": "Rue des Lilas",
            "current_password": PASSWORD,
        },
    )
    assert response["Location"] == URL
    signed_in.refresh_from_db()
    assert signed_in.secret_question == question
    assert check_password("rue des lilas", signed_in.secret_answer)
    assert OutgoingMail.objects.get().context["event"] == "question-replaced"


def test_the_page_shows_what_is_on_file(client: Client, signed_in: Account) -> None:
    page = client.get(URL).content.decode()
    assert "jean@example.org" in page
    assert "Changer de mail personnel" in page
    assert "Choisir une question secrète" in page, "there is none to replace"
    assert "Remplacer ma question secrète" not in page
    signed_in.secret_question = "Dans quelle rue avez-vous grandi ?"
    signed_in.save()
    assert "Remplacer ma question secrète" in client.get(URL).content.decode()


def test_each_label_focuses_its_own_forms_field(client: Client, signed_in: Account) -> None:
    """Both forms ask for the current password: the second used to take the first one's id."""
    page = client.get(URL).content.decode()
    assert page.count('id="id_current_password"') == 1
    assert page.count('id="id_question_current_password"') == 1
    assert 'for="id_question_current_password"' in page
