"""Changer mon mot de passe: the current one, the new one twice under the same rules."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.test import Client

from seuil.people.models import Person
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
URL = "/gestion-de-compte/changer-mon-mot-de-passe/"


def signed_in(person: Person) -> Client:
    client = Client()
    client.post(
        "/gestion-de-compte/se-connecter/",
        {"login": person.account.login, "password": PASSWORD},
    )
    return client


def change(client: Client, current: str, new: str, confirmation: str | None = None) -> Any:
    return client.post(
        URL, {"current_password": current, "password1": new, "password2": confirmation or new}
    )


def test_it_changes_the_password_keeps_this_session_and_ends_the_others(
    jean: Person, django_capture_on_commit_callbacks: Any
) -> None:
    here, elsewhere = signed_in(jean), signed_in(jean)
    with django_capture_on_commit_callbacks(execute=True):
        response = change(here, PASSWORD, "Zq8vNw3kLp")
    assert response["Location"] == "/mon-ent/"
    assert authenticate(username="jdupont", password="Zq8vNw3kLp") is not None
    assert here.get("/mon-ent/").status_code == 200
    assert elsewhere.get("/mon-ent/").status_code == 302, "the other session ended"
    [notice] = mail.outbox
    assert notice.to == ["jean@example.org"]
    assert "Le mot de passe du compte jdupont a été changé" in notice.body
    assert "Zq8vNw3kLp" not in notice.body


def test_it_wants_the_right_current_password(jean: Person) -> None:
    response = change(signed_in(jean), "Wrong7KqZm", "Zq8vNw3kLp")
    assert response.context["form"].errors["current_password"] == ["Mot de passe actuel incorrect."]
    assert authenticate(username="jdupont", password=PASSWORD) is not None


def test_the_new_password_follows_the_same_rules(jean: Person) -> None:
    response = change(signed_in(jean), PASSWORD, "Dupont7KqZmx")
    assert (
        "Il contient votre identifiant ou votre nom" in response.context["form"].errors["password1"]
    )
    mismatch = change(signed_in(jean), PASSWORD, "Zq8vNw3kLp", "Zq8vNw3kLq")
    assert mismatch.context["form"].errors["password2"] == [
        "Les deux mots de passe ne sont pas identiques."
    ]


def test_the_page_carries_the_live_indicator_with_the_persons_words(jean: Person) -> None:
    page = signed_in(jean).get(URL).content.decode()
    assert 'data-testid="password-indicator"' in page
    assert '"words": ["dupont", "jean"]' in page
    assert "no-store" in signed_in(jean).get(URL)["Cache-Control"]


def test_no_notice_without_a_confirmed_address(make_person: Callable[..., Person]) -> None:
    person = make_person(password=PASSWORD)
    change(signed_in(person), PASSWORD, "Zq8vNw3kLp")
    assert mail.outbox == []


def test_the_current_password_is_refused_as_the_new_one(
    jean: Person, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = change(signed_in(jean), PASSWORD, PASSWORD)
    assert response.context["form"].errors["password1"] == [
        "C'est votre mot de passe actuel : choisissez-en un nouveau."
    ]
    assert mail.outbox == [], "no notice of a change that did not happen"
