"""Logout does only what it says (issue #21 §3): an ID token hint ends nothing without the
session it names, and a sign-out asked from another site is confirmed by the person first."""

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from django.test import Client as Browser

from seuil.people.models import Person
from tests.cas import Endpoint, register_cas
from tests.conftest import PASSWORD, csrf_token
from tests.sso import Client, provider_settings, register_client, tokens_in, userinfo_in

pytestmark = pytest.mark.django_db(transaction=True)
ISSUER = "http://testserver"


@pytest.fixture
def courses(settings: Any) -> Client:
    provider_settings(settings, ISSUER)
    return register_client(ISSUER, statuses=("administratif",))


@pytest.fixture
def library(courses: Client) -> Client:
    return register_client(
        ISSUER,
        name="Bibliothèque",
        statuses=("administratif",),
        redirect_uri="http://127.0.0.1:9/bib/callback",
        post_logout_uri="http://127.0.0.1:9/bib/au-revoir",
    )


@pytest.fixture
def jean(make_person: Callable[..., Person]) -> Person:
    return make_person(password=PASSWORD, start_date=date(2020, 1, 1))


@pytest.fixture
def anne(make_person: Callable[..., Person]) -> Person:
    return make_person(password=PASSWORD, first_name="Anne", start_date=date(2020, 1, 1))


def signed_in(person: Person) -> Browser:
    browser = Browser()
    answer = browser.post(
        "/gestion-de-compte/se-connecter/", {"login": person.account.login, "password": PASSWORD}
    )
    assert answer.status_code == 302
    return browser


def works(tokens: dict[str, Any]) -> bool:
    return bool(userinfo_in(Browser(), tokens["access_token"]).status_code == 200)


def test_a_hint_without_its_session_revokes_nothing(
    jean: Person, courses: Client, library: Client
) -> None:
    browser = signed_in(jean)
    at_courses, at_library = tokens_in(browser, courses), tokens_in(browser, library)
    stranger = Browser()  # holds one of Jean's ID tokens, but not his session
    stranger.get("/oidc/logout/", {"id_token_hint": at_courses["id_token"]})
    assert works(at_courses)
    assert works(at_library)
    assert browser.get("/mon-ent/").status_code == 200


def test_a_matching_hint_revokes_that_clients_tokens_for_that_person_only(
    jean: Person, courses: Client, library: Client
) -> None:
    here, elsewhere = signed_in(jean), signed_in(jean)
    mine = tokens_in(here, courses)
    elsewhere_courses, elsewhere_library = (
        tokens_in(elsewhere, courses),
        tokens_in(elsewhere, library),
    )
    answer = here.get(
        "/oidc/logout/",
        {
            "id_token_hint": mine["id_token"],
            "post_logout_redirect_uri": "http://127.0.0.1:9/au-revoir",
        },
    )
    assert answer["Location"] == "http://127.0.0.1:9/au-revoir"
    assert here.get("/mon-ent/").status_code == 302, "this session ended"
    assert not works(mine)
    assert not works(elsewhere_courses), "the service's tokens for Jean are revoked"
    assert works(elsewhere_library), "another service's, from another session, are not"
    assert elsewhere.get("/mon-ent/").status_code == 200


def test_someone_elses_hint_asks_first_and_revokes_nothing_of_theirs(
    jean: Person, anne: Person, courses: Client
) -> None:
    annes = tokens_in(signed_in(anne), courses)
    browser = signed_in(jean)
    page = browser.get("/oidc/logout/", {"id_token_hint": annes["id_token"]})
    assert page.status_code == 200, "the person is asked"
    browser.post(
        "/oidc/logout/",
        {"csrfmiddlewaretoken": csrf_token(page.content.decode()), "allow": "1",
         "id_token_hint": annes["id_token"]},
    )  # fmt: skip
    assert browser.get("/mon-ent/").status_code == 302, "Jean chose to sign out"
    assert works(annes), "Anne's tokens are hers"


@pytest.fixture
def cas_service() -> Iterator[Endpoint]:
    endpoint = Endpoint()
    register_cas("Scolarité", endpoint.url, statuses=("administratif",))
    yield endpoint
    endpoint.close()


def test_a_cas_sign_out_from_another_site_is_confirmed_first(
    jean: Person, cas_service: Endpoint
) -> None:
    browser = signed_in(jean)
    browser.get("/cas/login", {"service": cas_service.url})
    page = browser.get(
        "/cas/logout", HTTP_REFERER="https://evil.example/", HTTP_SEC_FETCH_SITE="cross-site"
    )
    assert page.status_code == 200
    assert "Une page d'un autre site demande de vous déconnecter" in page.content.decode()
    assert browser.get("/mon-ent/").status_code == 200, "still signed in"
    assert cas_service.requests == []
    browser.post("/cas/logout", {"csrfmiddlewaretoken": csrf_token(page.content.decode())})
    assert browser.get("/mon-ent/").status_code == 302
    assert len(cas_service.wait()) == 1


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Fetch-Site": "same-origin"}, {"Referer": "http://127.0.0.1:{port}/"}],
    ids=["same-site", "a-registered-service"],
)
def test_a_cas_sign_out_from_seuil_or_a_service_proceeds_at_once(
    jean: Person, cas_service: Endpoint, headers: dict[str, str]
) -> None:
    browser = signed_in(jean)
    port = cas_service.url.split(":")[2].split("/")[0]
    sent = {name: value.format(port=port) for name, value in headers.items()}
    page = browser.get("/cas/logout", headers=sent)
    assert "Vous êtes déconnecté" in page.content.decode()
    assert browser.get("/mon-ent/").status_code == 302
