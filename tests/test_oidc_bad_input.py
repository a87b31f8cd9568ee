"""No input to the OpenID Connect endpoints causes a 500."""

import base64
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sso import register_client

pytestmark = pytest.mark.django_db
TEXT = st.text(max_size=300)


@pytest.fixture
def client_id() -> str:
    return register_client("http://testserver").client_id


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(params=st.dictionaries(st.sampled_from([
    "client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge",
    "code_challenge_method", "prompt", "id_token_hint", "post_logout_redirect_uri", "next",
]), TEXT, max_size=8))  # fmt: skip
def test_no_query_makes_the_browser_endpoints_fail(
    client: Client, client_id: str, params: dict[str, Any]
) -> None:
    for path in ("/oidc/authorize/", "/oidc/logout/", "/connexion/"):
        assert client.get(path, {"client_id": client_id, **params}).status_code < 500
        assert client.get(path, params).status_code < 500


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.dictionaries(st.sampled_from([
    "grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "client_id", "client_secret", "token",
]), TEXT, max_size=6), authorization=TEXT)  # fmt: skip
def test_no_request_makes_the_server_endpoints_fail(
    client: Client, data: dict[str, Any], authorization: str
) -> None:
    headers = {"Authorization": authorization}
    assert client.post("/oidc/token/", data, headers=headers).status_code < 500
    assert client.post("/oidc/revoke/", data, headers=headers).status_code < 500
    assert client.get("/oidc/userinfo/", headers=headers).status_code < 500
    assert (
        client.get("/oidc/userinfo/", HTTP_AUTHORIZATION=f"Bearer {authorization}").status_code
        < 500
    )


@pytest.mark.parametrize(
    "hint", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0.", "e30.e30.e30"]
)
def test_a_forged_id_token_hint_is_refused_without_a_500(client: Client, hint: str) -> None:
    assert client.get("/oidc/logout/", {"id_token_hint": hint}).status_code < 500


@pytest.mark.parametrize("where", ["code", "client_id", "basic"])
def test_a_nul_byte_is_refused_without_a_500(client: Client, client_id: str, where: str) -> None:
    """PostgreSQL refuses NUL bytes: hypothesis found a code holding one ended in a 500 there."""
    data = {"grant_type": "authorization_code", "code": "x", "client_id": client_id}
    headers = {}
    if where == "basic":
        headers["Authorization"] = "Basic " + base64.b64encode(b"\x00:secret").decode()
    else:
        data[where] = "a\x00b"
    assert client.post("/oidc/token/", data, headers=headers).status_code in {400, 401}
