"""The OpenID Connect hot paths in a fixed number of statements (issue 25 §2), on SQLite and
PostgreSQL: a token request reads one row set and writes in one transaction, a userinfo request
reads one row set, an authorization with a live session reads the service with its client and
writes the code with its chain in one transaction. Each test lists the statements on seuil's and
django-oauth-toolkit's tables, in order (the session's and the account's are the middleware's),
so that one more read or one transaction more fails here.

And the leftovers of issue 24: an ID token issued on refresh says, as the first one did, the
session's sign-in time and methods (auth_time, acr, amr), checked against the published keys as a
relying party would; and the methods of a sign-in live on its chain (sso.Chain.methods)."""

import re
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any
from unittest import mock

import oauthlib.common
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from joserfc import jwt
from joserfc.jwk import KeySet
from oauth2_provider.models import Grant

from seuil.accounts.sessions import METHODS
from seuil.mfa.session import REFEDS_MFA, REFEDS_SFA
from seuil.people.models import Person
from seuil.sso import chains
from seuil.sso.chains import Chain, code_digest
from seuil.sso.models import Subject
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
from tests.test_oidc_session import signed_in

pytestmark = pytest.mark.django_db
ISSUER = "http://testserver"
OURS = re.compile(r'"((?:oauth2_provider|sso|cas)_\w+)"')


@pytest.fixture
def oidc(settings: Any) -> Client:
    provider_settings(settings, ISSUER)
    return register_client(ISSUER, statuses=("administratif",))


@pytest.fixture
def person(make_person: Callable[..., Person]) -> Person:
    person = make_person(password=PASSWORD, start_date=date(2020, 1, 1))
    Subject.of(person.account)  # given at the first token request: one INSERT, once per person
    return person


@pytest.fixture(autouse=True)
def swept() -> Iterator[None]:
    """Old chains were swept a moment ago (chains.SWEEP): the counts are a steady state's."""
    chains.SWEEP.last = timezone.now()
    yield
    chains.SWEEP.last = None


def counted(queries: CaptureQueriesContext) -> int:
    """The statements of a request, savepoints left out (the test's own transaction)."""
    return sum(
        1
        for query in queries.captured_queries
        if query["sql"].split(None, 1)[0].upper() not in {"SAVEPOINT", "RELEASE"}
    )


def statements(queries: CaptureQueriesContext) -> list[str]:
    """Each statement on seuil's or the toolkit's tables as "VERB table", and the transaction's
    bounds (a savepoint under the test's own transaction; BEGIN and COMMIT in production)."""
    found = []
    for query in queries.captured_queries:
        sql = query["sql"]
        verb = sql.split(None, 1)[0].upper()
        if verb in {"SAVEPOINT", "RELEASE"}:
            found.append(verb)
            continue
        table = OURS.search(sql)
        if table:
            found.append(f"{verb} {table.group(1)}")
    return found


def test_a_token_request_reads_one_row_set_and_writes_in_one_transaction(
    person: Person, oidc: Client
) -> None:
    answer, verifier = authorize_in(signed_in(person), oidc)
    code = code_of_location(answer["Location"])
    with CaptureQueriesContext(connection) as queries:
        response = redeem_in(Browser(), oidc, code, verifier)
    assert response.status_code == 200, response.content
    assert statements(queries) == [
        "SAVEPOINT",
        "SELECT oauth2_provider_grant",  # with the client, service, person, sub and chain
        "DELETE oauth2_provider_grant",  # the code spent
        "INSERT oauth2_provider_idtoken",
        "INSERT oauth2_provider_accesstoken",
        "INSERT oauth2_provider_refreshtoken",
        "UPDATE sso_chain",  # the refresh tokens' family joins the chain
        "RELEASE",
    ]
    assert counted(queries) == 6, "\n".join(q["sql"] for q in queries.captured_queries)


def test_an_authorization_parses_its_query_once_for_each_of_oauthlibs_requests(
    person: Person, oidc: Client
) -> None:
    """seuil.sso.server: oauthlib parsed the query string again for each parameter it checks for
    duplicates (14 parses of an authorization in all); the view's request and the code's are two."""
    browser = signed_in(person)
    parsed = 0

    def parse_qsl(*args: Any, **kwargs: Any) -> Any:
        nonlocal parsed
        parsed += 1
        return urllib.parse.parse_qsl(*args, **kwargs)

    counting = SimpleNamespace(**{**vars(urllib.parse), "parse_qsl": parse_qsl})
    with mock.patch.object(oauthlib.common, "urlparse", counting):
        answer, _ = authorize_in(browser, oidc)
    assert "code=" in answer["Location"]
    # Each of the two requests: its parameters, then the list of them; the redirect's query,
    # to which the code is added, twice.
    assert parsed == 6


@pytest.mark.parametrize("repeated", ["client_id", "scope", "state"])
def test_a_repeated_parameter_is_still_refused(person: Person, oidc: Client, repeated: str) -> None:
    """OAuth 2.0 §3.1: parameters "MUST NOT be included more than once"; oauthlib answers any
    such request with an error page, not a redirect (which of the values is the service's?)."""
    browser = signed_in(person)
    query = {
        "response_type": "code", "client_id": oidc.client_id, "redirect_uri": oidc.redirect_uri,
        "scope": "openid", "state": "s", "nonce": "n", "code_challenge": "c" * 43,
        "code_challenge_method": "S256",
    }  # fmt: skip
    pairs = [*query.items(), (repeated, query[repeated])]
    answer = browser.get("/oidc/authorize/?" + urllib.parse.urlencode(pairs))
    assert answer.status_code == 400
    assert f"Duplicate {repeated} parameter" in answer.content.decode()


def test_a_state_with_characters_django_leaves_unescaped_comes_back_whole(
    person: Person, oidc: Client
) -> None:
    """seuil.sso.server.Backend escapes for oauthlib what Django's get_full_path leaves as it is
    ("[", "]", "|"), as the toolkit does; the service gets its state back unchanged."""
    query = urllib.parse.urlencode(
        {
            "response_type": "code", "client_id": oidc.client_id,
            "redirect_uri": oidc.redirect_uri, "scope": "openid", "nonce": "n",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        }
    )  # fmt: skip
    answer = signed_in(person).get(f"/oidc/authorize/?{query}&state=[a|b]")
    returned = urllib.parse.parse_qs(urllib.parse.urlsplit(answer["Location"]).query)
    assert returned["state"] == ["[a|b]"]
    assert returned["code"]


def test_tokens_are_256_random_bits_each(person: Person, oidc: Client) -> None:
    issued = [tokens_in(signed_in(person), oidc) for _ in range(2)]
    values = [t[name] for t in issued for name in ("access_token", "refresh_token")]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", value) for value in values), values
    assert len(set(values)) == 4


def test_a_userinfo_request_is_one_statement(person: Person, oidc: Client) -> None:
    tokens = tokens_in(signed_in(person), oidc)
    with CaptureQueriesContext(connection) as queries:
        answer = userinfo_in(Browser(), tokens["access_token"])
    assert answer.status_code == 200, answer.content
    assert answer.json()["sub"] == Subject.of(person.account)
    # With the client, its service, the person, the sub and whether the service is for them.
    assert statements(queries) == ["SELECT oauth2_provider_accesstoken"]
    assert len(queries) == 1, "\n".join(q["sql"] for q in queries.captured_queries)


def test_userinfo_still_refuses_a_status_the_service_is_not_for(
    person: Person, oidc: Client
) -> None:
    tokens = tokens_in(signed_in(person), oidc)
    Person.objects.filter(pk=person.pk).update(status="etudiant")
    assert userinfo_in(Browser(), tokens["access_token"]).status_code in {401, 403}


def test_an_authorization_with_a_live_session_reads_the_service_once_and_writes_once(
    person: Person, oidc: Client
) -> None:
    browser = signed_in(person)
    authorize_in(browser, oidc)  # the session's first request after the sign-in's redirect
    with CaptureQueriesContext(connection) as queries:
        answer, _verifier = authorize_in(browser, oidc)
    assert answer.status_code == 302
    assert "code=" in answer["Location"]
    # The grant and its chain (the session, its sign-in's time and methods): on PostgreSQL one
    # statement, its own transaction; on SQLite two in one transaction.
    written = (
        ["WITH oauth2_provider_grant"]
        if connection.vendor == "postgresql"
        else ["SAVEPOINT", "INSERT oauth2_provider_grant", "INSERT sso_chain", "RELEASE"]
    )
    assert statements(queries) == [
        "SELECT sso_service",  # with its client, and whether it is for the person's status
        *written,
        "SAVEPOINT",  # the session saved (the middleware's: in Redis in production)
        "RELEASE",
    ]
    digest = code_digest(code_of_location(answer["Location"]))
    grant = Grant.objects.get(code=digest)
    chain = Chain.objects.get(code=digest)
    assert (grant.user, grant.application.client_id) == (person.account, oidc.client_id)
    assert chain.sign_on
    assert "pwd" in chain.methods
    # And the middleware's: the session read and saved, the account and person read.
    assert counted(queries) <= 6, "\n".join(q["sql"] for q in queries.captured_queries)


def test_an_authorization_refuses_a_status_the_service_is_not_for(
    make_person: Callable[..., Person], oidc: Client
) -> None:
    student = make_person(status="etudiant", password=PASSWORD, start_date=date(2020, 1, 1))
    answer, _verifier = authorize_in(signed_in(student), oidc)
    assert answer.status_code == 403
    assert "code=" not in answer.get("Location", "")


def test_old_chains_are_swept_once_a_minute(person: Person, oidc: Client) -> None:
    old = Chain.objects.start(code="0" * 64, sign_on="", signed_in_at=timezone.now())
    Chain.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=13))
    browser = signed_in(person)
    authorize_in(browser, oidc)
    assert Chain.objects.filter(pk=old.pk).exists()  # swept a moment ago (the fixture)
    chains.SWEEP.last = timezone.now() - timedelta(minutes=2)
    authorize_in(browser, oidc)
    assert not Chain.objects.filter(pk=old.pk).exists()


# --- issue 24: acr and amr on refresh; the methods on the chain -------------------------------


def verified(id_token: str, client: Client) -> dict[str, Any]:
    """What a relying party checks: the signature against the published keys, the issuer, the
    audience and the expiry."""
    keys = KeySet.import_key_set(Browser().get("/oidc/jwks/").json())
    token = jwt.decode(id_token, keys, algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": client.issuer},
        aud={"essential": True, "value": client.client_id},
        exp={"essential": True},
        sub={"essential": True},
        auth_time={"essential": True},
    ).validate(token.claims)
    return dict(token.claims)


@pytest.mark.parametrize(
    ("methods", "acr", "amr"),
    [({"pwd"}, REFEDS_SFA, ["pwd"]), ({"pwd", "otp"}, REFEDS_MFA, ["pwd", "otp", "mfa"])],
)
def test_an_id_token_issued_on_refresh_says_the_sessions_sign_in(
    person: Person, oidc: Client, methods: set[str], acr: str, amr: list[str]
) -> None:
    browser = signed_in(person)
    session = browser.session
    signed_in_at = session[METHODS]["pwd"]
    session[METHODS] = dict.fromkeys(methods, signed_in_at)
    session.save()
    first = tokens_in(browser, oidc)
    answer = refresh_in(Browser(), oidc, first["refresh_token"])
    assert answer.status_code == 200, answer.content
    claims, again = verified(first["id_token"], oidc), verified(answer.json()["id_token"], oidc)
    assert (claims["acr"], claims["amr"]) == (acr, amr)
    assert (again["acr"], again["amr"]) == (acr, amr)
    assert again["sub"] == claims["sub"]
    assert again["auth_time"] == claims["auth_time"] == int(signed_in_at)


def test_the_methods_of_a_sign_in_are_its_chains(person: Person, oidc: Client) -> None:
    answer, _verifier = authorize_in(signed_in(person), oidc)
    chain = Chain.objects.get(code=code_digest(code_of_location(answer["Location"])))
    assert set(chain.methods) == {"pwd"}


@pytest.mark.django_db(transaction=True)
def test_the_methods_of_live_codes_move_to_their_chains() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("sso", "0005_codemethods_service_require_mfa")])
    old = executor.loader.project_state([("sso", "0005_codemethods_service_require_mfa")]).apps
    now = timezone.now()
    old.get_model("sso", "Chain").objects.create(
        code="a" * 64, sign_on="s", signed_in_at=now, created_at=now
    )
    old.get_model("sso", "CodeMethods").objects.create(
        code="a" * 64, methods={"pwd": 1.0, "otp": 2.0}, created_at=now
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert Chain.objects.get(code="a" * 64).methods == {"pwd": 1.0, "otp": 2.0}
