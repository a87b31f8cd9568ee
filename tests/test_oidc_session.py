"""OpenID Connect tokens live no longer than the session that made them, and the protocol to the
letter (issue #21 §2 and §4): refresh chains end at the session's maximum, statuses apply at
every step, codes are digests and single use whatever happens, prompt=login and max_age ask for
the password, auth_time is this session's, errors carry iss, discovery says only what is done."""

import base64
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.test import Client as Browser
from django.utils import timezone
from oauth2_provider.models import Grant

from seuil.people.models import Person
from tests.conftest import PASSWORD
from tests.sso import (
    Client,
    authorize_in,
    code_of_location,
    provider_settings,
    redeem_in,
    refresh_in,
    register_client,
    tokens_in,
    userinfo_in,
)

pytestmark = pytest.mark.django_db
ISSUER = "http://testserver"


@pytest.fixture
def oidc(settings: Any) -> Client:
    provider_settings(settings, ISSUER)
    return register_client(ISSUER, statuses=("administratif",))


@pytest.fixture
def person(make_person: Callable[..., Person]) -> Person:
    return make_person(password=PASSWORD, start_date=date(2020, 1, 1))


def signed_in(person: Person) -> Browser:
    browser = Browser()
    answer = browser.post(
        "/gestion-de-compte/se-connecter/", {"login": person.account.login, "password": PASSWORD}
    )
    assert answer.status_code == 302
    return browser


def claims_of(id_token: str) -> dict[str, Any]:
    payload = id_token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def query_of(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


# --- §2 ----------------------------------------------------------------------------------------


def test_a_refresh_chain_ends_at_the_sessions_maximum_counted_from_the_sign_in(
    person: Person, oidc: Client, settings: Any
) -> None:
    settings.SEUIL_SESSION_MAX_HOURS = 12
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        tokens = tokens_in(signed_in(person), oidc)
        refresh = tokens["refresh_token"]
        for hours in (5, 10):  # each refresh within the session's 12 hours
            clock.move_to(start + timedelta(hours=hours))
            answer = refresh_in(Browser(), oidc, refresh)
            assert answer.status_code == 200, answer.content
            refresh = answer.json()["refresh_token"]
        clock.move_to(start + timedelta(hours=12, minutes=1))
        answer = refresh_in(Browser(), oidc, refresh)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_a_refresh_and_userinfo_apply_the_services_statuses(person: Person, oidc: Client) -> None:
    tokens = tokens_in(signed_in(person), oidc)
    assert userinfo_in(Browser(), tokens["access_token"]).status_code == 200
    person.status = "etudiant"  # a status this service is not for
    person.save()
    assert userinfo_in(Browser(), tokens["access_token"]).status_code in {401, 403}
    assert refresh_in(Browser(), oidc, tokens["refresh_token"]).status_code == 400


def test_a_replayed_code_revokes_what_its_first_use_obtained(person: Person, oidc: Client) -> None:
    browser = signed_in(person)
    answer, verifier = authorize_in(browser, oidc)
    code = code_of_location(answer["Location"])
    first = redeem_in(Browser(), oidc, code, verifier)
    assert first.status_code == 200
    again = redeem_in(Browser(), oidc, code, verifier)
    assert again.status_code == 400
    assert userinfo_in(Browser(), first.json()["access_token"]).status_code in {401, 403}
    assert refresh_in(Browser(), oidc, first.json()["refresh_token"]).status_code == 400


def test_codes_are_stored_as_digests(person: Person, oidc: Client) -> None:
    answer, _verifier = authorize_in(signed_in(person), oidc)
    code = code_of_location(answer["Location"])
    [grant] = Grant.objects.all()
    assert code not in grant.code
    assert len(grant.code) == 64


# --- §4 ----------------------------------------------------------------------------------------


def test_userinfo_refuses_an_access_token_in_the_query_string(person: Person, oidc: Client) -> None:
    token = tokens_in(signed_in(person), oidc)["access_token"]
    assert Browser().get("/oidc/userinfo/", {"access_token": token}).status_code in {400, 401}


def test_prompt_login_asks_for_the_password_again_and_cannot_be_skipped(
    person: Person, oidc: Client
) -> None:
    browser = signed_in(person)
    answer, _verifier = authorize_in(browser, oidc, prompt="login")
    assert answer["Location"].startswith("/connexion/?next=")
    # The same request without prompt=login (what the sign-in returns to) gives no code either.
    skipped, _verifier = authorize_in(browser, oidc)
    assert skipped["Location"].startswith("/connexion/?next=")
    browser.post(answer["Location"], {"login": person.account.login, "password": PASSWORD})
    answer, _verifier = authorize_in(browser, oidc)
    assert "code" in query_of(answer["Location"])


def test_max_age_asks_for_the_password_when_the_sign_in_is_older(
    person: Person, oidc: Client
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        browser = signed_in(person)
        clock.move_to(start + timedelta(minutes=10))
        fresh_enough, _verifier = authorize_in(browser, oidc, max_age="900")
        assert "code" in query_of(fresh_enough["Location"])
        stale, _verifier = authorize_in(browser, oidc, max_age="300")
        assert stale["Location"].startswith("/connexion/?next=")
        silent, _verifier = authorize_in(browser, oidc, max_age="300", prompt="none")
        assert query_of(silent["Location"])["error"] == ["login_required"]
        browser.post(stale["Location"], {"login": person.account.login, "password": PASSWORD})
        clock.move_to(start + timedelta(minutes=10, seconds=1))
        tokens = tokens_in(browser, oidc, max_age="0")
    auth_time = claims_of(tokens["id_token"])["auth_time"]
    assert auth_time == int((start + timedelta(minutes=10)).timestamp())


def test_auth_time_is_this_sessions_sign_in_not_the_accounts_last(
    person: Person, oidc: Client
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        here = signed_in(person)
        clock.move_to(start + timedelta(minutes=10))
        signed_in(person)  # another browser: the account's last_login moves
        tokens = tokens_in(here, oidc)
    assert claims_of(tokens["id_token"])["auth_time"] == int(start.timestamp())


def test_error_redirects_carry_the_issuer(person: Person, oidc: Client) -> None:
    silent, _verifier = authorize_in(Browser(), oidc, prompt="none")
    assert query_of(silent["Location"])["error"] == ["login_required"]
    assert query_of(silent["Location"])["iss"] == [ISSUER]
    unknown, _verifier = authorize_in(signed_in(person), oidc, scope="openid calendrier")
    assert query_of(unknown["Location"])["error"] == ["invalid_scope"]
    assert query_of(unknown["Location"])["iss"] == [ISSUER]


def test_the_token_endpoint_requires_the_redirect_uri_the_authorization_carried(
    person: Person, oidc: Client
) -> None:
    answer, verifier = authorize_in(signed_in(person), oidc)
    code = code_of_location(answer["Location"])
    refused = redeem_in(Browser(), oidc, code, verifier, redirect_uri=None)  # type: ignore[arg-type]
    assert refused.status_code == 400


def test_a_wrong_verifier_uses_the_code_up(person: Person, oidc: Client) -> None:
    answer, verifier = authorize_in(signed_in(person), oidc)
    code = code_of_location(answer["Location"])
    assert redeem_in(Browser(), oidc, code, "x" * 64).status_code == 400
    assert redeem_in(Browser(), oidc, code, verifier).status_code == 400


@pytest.mark.parametrize(
    "challenge",
    ["short", "a" * 42, "a" * 129, "a" * 42 + "+", "a" * 42 + "=", "a" * 42 + "/"],
)
def test_a_code_challenge_that_is_no_s256_challenge_is_refused(
    person: Person, oidc: Client, challenge: str
) -> None:
    answer, _verifier = authorize_in(signed_in(person), oidc, code_challenge=challenge)
    assert query_of(answer["Location"])["error"] == ["invalid_request"]
    assert Grant.objects.count() == 0


def test_discovery_advertises_only_what_seuil_does(oidc: Client) -> None:
    config = Browser().get("/.well-known/openid-configuration").json()
    assert config["response_types_supported"] == ["code"]
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
