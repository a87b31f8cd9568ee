"""seuil's validator overrides only django-oauth-toolkit's public methods. Two repeat the
toolkit's code: `validate_code`, so that a token request reads its grant once, and `_new_grant`
(the toolkit's `_create_authorization_code`, unsaved), so that an authorization writes its grant
and chain in one statement. This fails if the toolkit's starts doing anything the copies do not
(issue #20 §4, issue #25)."""

import base64
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, Grant
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request
from oauthlib.oauth2.rfc6749.errors import InvalidRequestError

from seuil.people.models import Person
from seuil.sso.chains import Chain, code_digest, token_digest
from seuil.sso.validator import Validator
from tests.conftest import PASSWORD
from tests.sso import (
    Client,
    authorize_in,
    code_of_location,
    provider_settings,
    redeem_in,
    register_client,
    tokens_in,
)
from tests.test_oidc_session import signed_in

pytestmark = pytest.mark.django_db
ISSUER = "http://testserver"


@pytest.fixture
def oidc(settings: Any) -> Client:
    provider_settings(settings, ISSUER)
    return register_client(ISSUER, statuses=("administratif",))


def grant_for(person: Person, oidc: Client) -> tuple[str, Grant]:
    code = "unCodeDeTest0123456789"
    grant = Grant.objects.create(
        application=register_client.__globals__["Service"]
        .objects.get(name="Espace de cours")
        .oidc_client,
        user=person.account,
        code=code_digest(code),
        expires=timezone.now() + timedelta(seconds=60),
        redirect_uri=oidc.redirect_uri,
        scope="openid profile",
        code_challenge="c" * 43,
        code_challenge_method="S256",
        nonce="n-0S6_WzA2Mj",
        claims='{"userinfo": {"email": null}}',
    )
    Chain.objects.start(code=grant.code, sign_on="", signed_in_at=timezone.now())
    return code, grant


def set_by(validate: Callable[[Request], bool]) -> dict[str, Any]:
    request = Request("https://seuil.example/oidc/token/")
    before = set(vars(request))
    assert validate(request)
    return {name: value for name, value in vars(request).items() if name not in before}


def test_the_copy_of_validate_code_sets_what_the_original_sets(
    make_person: Callable[..., Person], oidc: Client
) -> None:
    person = make_person(password=PASSWORD, start_date=date(2020, 1, 1))
    code, grant = grant_for(person, oidc)
    client = grant.application
    original = set_by(lambda r: OAuth2Validator().validate_code("id", grant.code, client, r))
    client.refresh_from_db()

    def copy_of(request: Request) -> bool:
        request.client = client  # oauthlib authenticates the client first
        return bool(Validator().validate_code("id", code, client, request))

    copy = set_by(copy_of)
    # What seuil adds, and the client it reads.
    ours = {"client", "auth_time", "seuil_grants", "seuil_methods"}
    assert {k: v for k, v in copy.items() if k not in ours} == original


def test_a_token_request_reads_its_grant_once(
    make_person: Callable[..., Person], oidc: Client
) -> None:
    person = make_person(password=PASSWORD, start_date=date(2020, 1, 1))
    answer, verifier = authorize_in(signed_in(person), oidc)
    code = code_of_location(answer["Location"])
    with CaptureQueriesContext(connection) as queries:
        assert redeem_in(Browser(), oidc, code, verifier).status_code == 200
    reads = [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT") and "oauth2_provider_grant" in q["sql"]
    ]
    # seuil's one read, which serves django-oauth-toolkit's lookup of the grant's resources
    # (RFC 8707) too: one, not six.
    assert len(reads) == 1, "\n".join(reads)


def test_the_copy_of_validate_bearer_token_sets_what_the_original_sets(
    make_person: Callable[..., Person], oidc: Client
) -> None:
    person = make_person(password=PASSWORD, start_date=date(2020, 1, 1))
    token = tokens_in(signed_in(person), oidc)["access_token"]
    original = set_by(lambda r: OAuth2Validator().validate_bearer_token(token, ["openid"], r))
    copy = set_by(lambda r: Validator().validate_bearer_token(token, ["openid"], r))
    assert copy == original


def test_the_id_tokens_header_is_the_one_the_toolkit_makes(
    make_person: Callable[..., Person], oidc: Client
) -> None:
    person = make_person(password=PASSWORD, start_date=date(2020, 1, 1))
    id_token = tokens_in(signed_in(person), oidc)["id_token"]
    client = Application.objects.get(client_id=oidc.client_id)
    header = json.loads(base64.urlsafe_b64decode(id_token.split(".")[0] + "=="))
    assert header == {"typ": "JWT", "alg": "RS256", "kid": client.jwk_key.thumbprint()}


def test_a_token_request_may_not_widen_the_resources_of_its_grant(
    make_person: Callable[..., Person], oidc: Client
) -> None:
    """RFC 8707: a code given for one resource gives tokens for it, and for no other."""
    person = make_person(password=PASSWORD, start_date=date(2020, 1, 1))
    browser = signed_in(person)
    granted = "https://api.cours.example/"
    answer, verifier = authorize_in(browser, oidc, resource=granted)
    code = code_of_location(answer["Location"])
    wider = redeem_in(Browser(), oidc, code, verifier, resource="https://paie.example/")
    # Raised where the toolkit raises it (storing the tokens), so without its JSON content type.
    assert (wider.status_code, json.loads(wider.content)["error"]) == (400, "invalid_target")
    answer, verifier = authorize_in(browser, oidc, resource=granted)
    redeemed = redeem_in(Browser(), oidc, code_of_location(answer["Location"]), verifier)
    assert redeemed.status_code == 200, redeemed.content
    assert AccessToken.objects.get(
        token_checksum=token_digest(redeemed.json()["access_token"])
    ).resource == [granted]


@pytest.mark.parametrize("method", ["S256", "plain"])
def test_the_new_grant_is_the_row_the_toolkit_writes(
    make_person: Callable[..., Person], oidc: Client, method: str
) -> None:
    """Validator._new_grant builds django-oauth-toolkit's `_create_authorization_code` row, unsaved,
    so that the grant and its chain go in one statement: the same fields and values, and the same
    refusal of a "plain" PKCE challenge; this fails on the upgrade of the toolkit that changes
    its own."""
    person = make_person(password=PASSWORD, start_date=date(2020, 1, 1))
    application = Application.objects.get(client_id=oidc.client_id)

    def request() -> Request:
        made = Request(f"{ISSUER}/oidc/authorize/")
        made.client, made.user, made.redirect_uri = application, person.account, oidc.redirect_uri
        made.scopes, made.nonce, made.claims = ["openid", "profile"], "n", {"userinfo": {}}
        made.code_challenge, made.code_challenge_method = "c" * 43, method
        return made

    def row(grant: Grant) -> dict[str, Any]:
        skipped = {"id", "code", "expires", "created", "updated"}  # drawn or timed apart
        return {f.attname: getattr(grant, f.attname) for f in Grant._meta.concrete_fields
                if f.name not in skipped}  # fmt: skip

    if method == "plain":
        with pytest.raises(InvalidRequestError, match="plain"):
            OAuth2Validator()._create_authorization_code(request(), {"code": "t"})
        with pytest.raises(InvalidRequestError, match="plain"):
            Validator()._new_grant(request(), "m")
        return
    OAuth2Validator()._create_authorization_code(request(), {"code": "theirs"})  # saved
    mine = Validator()._new_grant(request(), "mine")
    assert mine.pk is None
    Chain.objects.start(code="mine", sign_on="", signed_in_at=timezone.now(), grant=mine)
    written, expected = (Grant.objects.get(code=code) for code in ("mine", "theirs"))
    assert row(written) == row(expected)
    assert abs(written.expires - expected.expires) < timedelta(seconds=5)
    assert Chain.objects.filter(code="mine").exists()
