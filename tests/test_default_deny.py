"""Default deny: every page needs a signed-in person unless it is marked public."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# The pages a stranger must reach: they are how one gets an account, or back into it.
PUBLIC = {
    "accounts:confirm-email",
    "accounts:confirm-link",
    "accounts:sign-in",
    "accounts:unlock",
    "accounts:unlock-link",
    "activation:activate",
    "activation:charter",
    "activation:recap",
    "activation:student",
    "activation:student-sesame",
    "activation:student-activate",
    "activation:student-code",
    # The common-password list the indicator fetches (a public, static list).
    "accounts:common-passwords",
    # OpenID Connect: services and browsers call these before anyone is signed in; each one
    # checks its own credentials (client secret, code, token) or sends to the sign-in page.
    "oauth2_provider:authorize",
    "oauth2_provider:jwks-info",
    "oauth2_provider:oidc-connect-discovery-info",
    "oauth2_provider:revoke-token",
    "oauth2_provider:rp-initiated-logout",
    "oauth2_provider:token",
    "oauth2_provider:user-info",
    "sso:sign-in",
    # The second step of a sign-in: the password was right a moment ago, the session is not open
    # yet (seuil.mfa.signin.PENDING); each answers only that pending state or a signed-in person.
    "mfa:verify",
    "mfa:passkey-options",
    "mfa:passkey-sign-in",
    # CAS: the login page checks its service itself; validation is called by services, with a
    # ticket; signing out works for anyone.
    "cas:login",
    "cas:logout",
    "cas:p3-proxy-validate",
    "cas:p3-service-validate",
    "cas:proxy",
    "cas:proxy-validate",
    "cas:service-validate",
    # SAML: the SPs send the browser here before any sign-in; the continue page signs in itself.
    "saml:metadata",
    "saml:sso-redirect",
    "saml:sso-post",
    "saml:continue",
    "saml:slo-redirect",
    "saml:slo-post",
    "oidc-logout",
    "portal:sign-out",
    "portal:home",
    "recovery:forgot",
    "recovery:link",
    "recovery:question",
    "recovery:reset",
    "recovery:sent",
    "set_language",
}


def patterns(resolver: URLResolver, namespace: str = "") -> Iterator[tuple[str, Any]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":  # Django's admin guards itself (its own login page)
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from patterns(entry, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", entry.callback


def test_only_the_listed_pages_are_public() -> None:
    public = {
        name for name, view in patterns(get_resolver()) if not getattr(view, "login_required", True)
    }
    assert public == PUBLIC


@pytest.mark.parametrize("url", ["/mon-ent/", "/gestion-de-compte/changer-mon-mot-de-passe/"])
def test_a_stranger_is_sent_to_sign_in(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/gestion-de-compte/se-connecter/?next={url}"


def test_the_admin_sends_a_stranger_to_its_own_login(client: Client) -> None:
    response = client.get("/admin/people/person/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/people/person/"


def test_the_public_pages_open_to_a_stranger(client: Client) -> None:
    for url in ["/", "/gestion-de-compte/se-connecter/", "/gestion-de-compte/validation-personnel/", "/gestion-de-compte/mot-de-passe-oublie/", "/charte/"]:  # fmt: skip
        assert client.get(url).status_code == 200, url
