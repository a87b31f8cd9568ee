"""Se connecter / Se déconnecter."""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from seuil.accounts.hashers import Argon2idHasher
from seuil.audit.models import AuditEvent
from seuil.people.models import Person
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
URL = "/gestion-de-compte/se-connecter/"
WRONG = "Identifiant ou mot de passe incorrect."


def sign_in(client: Client, login: str, password: str) -> Any:
    return client.post(URL, {"login": login, "password": password})


def test_the_form_has_the_pages_words(client: Client) -> None:
    page = client.get(URL).content.decode()
    for words in ["Identifiant", "Mot de passe", ">Se connecter<", "Mot de passe oublié"]:
        assert words in page


def test_it_signs_in_with_a_new_session_and_lands_on_the_portal(
    client: Client, jean: Person
) -> None:
    client.get(URL)
    before = client.cookies.get("sessionid")
    response = sign_in(client, "JDupont ", PASSWORD)
    assert response["Location"] == "/mon-ent/"
    assert client.cookies["sessionid"].value != (before.value if before else None)
    assert AuditEvent.objects.filter(
        action="sign-in", outcome="success", account=jean.account
    ).exists()


@pytest.mark.parametrize("case", ["wrong", "unknown", "not-activated"])
def test_wrong_unknown_and_not_activated_get_one_message(
    client: Client, jean: Person, make_person: Callable[..., Person], case: str
) -> None:
    login, password = {
        "wrong": ("jdupont", "Wrong7KqZm"),
        "unknown": ("nobody12", PASSWORD),
    }.get(case, ("proux", PASSWORD))
    make_person(first_name="Paul", last_name="Roux")  # registered, never activated
    response = sign_in(client, login, password)
    assert response.status_code == 200
    assert list(response.context["form"].non_field_errors()) == [WRONG]


def test_they_cost_the_same_hashing(
    client: Client, jean: Person, make_person: Callable[..., Person]
) -> None:
    make_person(first_name="Paul", last_name="Roux")

    def argon2_work(login: str) -> int:
        with (
            mock.patch.object(
                Argon2idHasher, "encode", autospec=True, side_effect=Argon2idHasher.encode
            ) as encode,
            mock.patch.object(
                Argon2idHasher, "verify", autospec=True, side_effect=Argon2idHasher.verify
            ) as verify,
        ):
            sign_in(client, login, "Wrong7KqZm")
        return encode.call_count + verify.call_count

    assert argon2_work("jdupont") == argon2_work("nobody12") == argon2_work("proux") == 1


def test_pages_for_known_and_unknown_logins_are_the_same(client: Client, jean: Person) -> None:
    def page(login: str) -> str:
        text = sign_in(client, login, "Wrong7KqZm").content.decode()
        return re.sub(r'value="[^"]*"', "", text)

    assert page("jdupont") == page("zzunknown")


@pytest.mark.parametrize("state", ["expired", "locked"])
def test_an_expired_or_locked_account_is_told_after_the_right_password_only(
    client: Client, jean: Person, state: str
) -> None:
    if state == "expired":
        jean.end_date = timezone.localdate() - timedelta(days=60)
        jean.save()
    else:
        jean.account.locked_at = timezone.now()
        jean.account.save()
    wrong = sign_in(client, "jdupont", "Wrong7KqZm").content.decode()
    assert WRONG in wrong
    right = sign_in(client, "jdupont", PASSWORD).content.decode()
    assert WRONG not in right
    expected = "Votre compte est fermé" if state == "expired" else "Votre compte est verrouillé"
    assert expected in right
    assert "la DRH (personnels) ou la scolarité (étudiants)" in right
    assert not client.get("/mon-ent/").wsgi_request.user.is_authenticated


def test_grace_still_signs_in(client: Client, jean: Person) -> None:
    jean.end_date = timezone.localdate() - timedelta(days=3)
    jean.save()
    assert sign_in(client, "jdupont", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("next_url", "landing"),
    [("/gestion-de-compte/changer-mon-mot-de-passe/", "/gestion-de-compte/changer-mon-mot-de-passe/"),
     ("https://evil.example/", "/mon-ent/"), ("//evil.example/", "/mon-ent/"), ("javascript:alert(1)", "/mon-ent/")],
)  # fmt: skip
def test_next_only_leads_inside_the_site(
    client: Client, jean: Person, next_url: str, landing: str
) -> None:
    response = client.post(URL, {"login": "jdupont", "password": PASSWORD, "next": next_url})
    assert response["Location"] == landing


def test_signing_out_ends_the_session_on_the_server(client: Client, jean: Person) -> None:
    sign_in(client, "jdupont", PASSWORD)
    key = client.cookies["sessionid"].value
    assert client.get("/gestion-de-compte/se-deconnecter/").status_code == 405, "POST only"
    response = client.post("/gestion-de-compte/se-deconnecter/")
    assert response["Location"] == "/"
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/mon-ent/")["Location"].startswith(URL)


def test_five_wrong_passwords_lock_the_account(client: Client, jean: Person) -> None:
    for _ in range(5):
        sign_in(client, "jdupont", "Wrong7KqZm")
    assert WRONG in sign_in(client, "jdupont", PASSWORD).content.decode()


def test_the_admin_sign_in_is_under_the_lockout_too(
    client: Client, make_operator: Callable[..., Any]
) -> None:
    make_operator(login="it-admin")
    for _ in range(5):
        client.post("/admin/login/", {"username": "it-admin", "password": "wrong"})
    client.post("/admin/login/", {"username": "it-admin", "password": PASSWORD})
    assert not client.get("/admin/").wsgi_request.user.is_authenticated


def test_it_signs_in_with_the_university_address_too(client: Client, jean: Person) -> None:
    """ "Mot de passe oublié" accepts the address; so does "Se connecter"."""
    response = sign_in(client, " Jean.Dupont@univ-montp3.fr", PASSWORD)
    assert jean.account.mail == "jean.dupont@univ-montp3.fr"
    assert response["Location"] == "/mon-ent/"
    assert WRONG in sign_in(Client(), "jean.dupont@univ-montp3.fr", "Wrong7KqZm").content.decode()


def test_failures_by_login_and_by_address_count_against_one_account(
    jean: Person, settings: Any
) -> None:
    from seuil.security import throttle

    for identifier in ["jdupont", "jean.dupont@univ-montp3.fr"] * 3:
        sign_in(Client(), identifier, "Wrong7KqZm")
    assert throttle.is_locked("jdupont"), "5 failures, whichever spelling, lock the account"


def test_the_page_always_says_that_access_pauses_after_repeated_failures(client: Client) -> None:
    page = client.get(URL).content.decode()
    assert "Après plusieurs échecs, l'accès au compte est suspendu pendant quelques minutes" in page


def test_signing_out_says_so(client: Client, jean: Person) -> None:
    sign_in(client, "jdupont", PASSWORD)
    page = client.post("/gestion-de-compte/se-deconnecter/", follow=True).content.decode()
    assert "Vous êtes déconnecté." in page
