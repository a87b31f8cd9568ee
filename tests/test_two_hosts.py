"""Two seuil hosts behind one name, sharing PostgreSQL and Redis, are one provider: a sign-in on
one holds on the other, a code or a CAS ticket issued by one is redeemed on the other, and a
logout on one ends the session on both. Each host is a real gunicorn, as in production."""

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cas import CASClient
from django.db import connection

from seuil.people.models import Person
from tests.cas import register_cas
from tests.conftest import PASSWORD, TEST_REDIS, free_port, need_redis
from tests.databases import on_postgres
from tests.sso import Browser, code_of, register_client

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent
# Not db 15, which other tests flush: a session wiped mid-test would prove nothing.
REDIS = TEST_REDIS  # this worker's: the tests flush it


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgresql://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait(base: str, server: "subprocess.Popen[bytes]") -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{base}/.well-known/openid-configuration", timeout=1).is_success:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn at {base} did not start")


@pytest.fixture
def hosts() -> Iterator[tuple[str, str]]:
    """Two gunicorns on two ports, one database, one Redis, one key, one public name: the first
    host's address plays SEUIL_BASE_URL for both."""
    if not on_postgres():
        pytest.skip("hosts share PostgreSQL: make test runs this in its PostgreSQL pass")
    need_redis(REDIS)
    ports = free_port("127.0.0.1"), free_port("127.0.0.1")
    static = tempfile.mkdtemp(prefix="seuil-static-")
    env = {
        "PATH": os.environ["PATH"],
        "SEUIL_ENV_FILE": "",
        "DATABASE_URL": _database_url(),
        "SEUIL_REDIS_URL": REDIS,
        "SEUIL_SECRET_KEY": "two-hosts-" + "k" * 50,
        "SEUIL_OIDC_KEY_FILE": str(ROOT / "tests" / "data" / "oidc-test-key.pem"),
        "SEUIL_SAML_KEY_DIR": str(ROOT / "tests" / "data" / "saml"),
        "SEUIL_BASE_URL": f"http://127.0.0.1:{ports[0]}",
        "SEUIL_ALLOWED_HOSTS": "127.0.0.1",
        "SEUIL_SECURE_COOKIES": "false",
        "SEUIL_STATIC_ROOT": static,
    }
    subprocess.run([sys.executable, "-m", "seuil", "collectstatic", "--no-input", "-v", "0"],
                   env=env, check=True, cwd=ROOT)  # fmt: skip
    servers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "seuil.wsgi:application",
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
        for port in ports
    ]
    bases = f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}"
    try:
        for base, server in zip(bases, servers, strict=True):
            _wait(base, server)
        yield bases
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def test_two_hosts_sharing_postgresql_and_redis_act_as_one(
    hosts: tuple[str, str], make_person: Callable[..., Person]
) -> None:
    one, two = hosts
    student = make_person(status="etudiant", password=PASSWORD)
    on_one = register_client(one)
    on_two = replace(on_one, base=two)
    browser = Browser(one)  # cookies ignore the port: one name in front of both hosts

    # Signed in on host one...
    url, verifier, _ = on_one.authorization_url()
    code = code_of(browser.authorize(url, student.account.login))
    # ...its code is redeemed on host two, and the ID token verifies against host two's JWKS.
    token = on_two.redeem(code, verifier)
    assert token.status_code == 200, token.text
    # The sign-in holds on host two: a code without a password, redeemed on host one.
    url, verifier, nonce = on_two.authorization_url()
    response = browser.sign_in_page(url)
    assert response.headers["Location"].startswith(on_one.redirect_uri)
    tokens = on_one.redeem(code_of(response), verifier).json()
    claims = on_two.verify_id_token(tokens["id_token"], nonce)
    assert claims["iss"] == one
    userinfo = httpx.get(
        f"{two}/oidc/userinfo/", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert userinfo.json()["sub"] == claims["sub"]
    # A code is spent everywhere once redeemed anywhere.
    assert on_one.redeem(code, verifier).json()["error"] == "invalid_grant"

    # Logging out on host two ends the session on host one.
    logout = browser.get(f"{two}/oidc/logout/?" + str(httpx.QueryParams(
        id_token_hint=tokens["id_token"], post_logout_redirect_uri="http://127.0.0.1:9/au-revoir")))  # fmt: skip
    assert logout.headers["Location"] == "http://127.0.0.1:9/au-revoir"
    assert 'name="password"' in browser.sign_in_page(on_one.authorization_url()[0]).text


def test_a_cas_ticket_issued_by_one_host_validates_on_the_other(
    hosts: tuple[str, str], make_person: Callable[..., Person]
) -> None:
    one, two = hosts
    staff = make_person(password=PASSWORD)
    app = "http://127.0.0.1:9/scolarite/"
    register_cas("Scolarité", app)
    browser = Browser(one)
    page = browser.sign_in_page(f"{one}/cas/login?service={app}")
    signed = browser.submit(page, login=staff.account.login, password=PASSWORD)
    first = parse_qs(urlsplit(signed.headers["Location"]).query)["ticket"][0]

    # Issued by host one, validated by host two, with the attributes.
    user, attributes, _ = CASClient(
        version=3, service_url=app, server_url=f"{two}/cas/"
    ).verify_ticket(first)
    assert user == staff.account.login
    assert attributes["mail"] == staff.account.mail
    # Spent everywhere once validated anywhere.
    replay = httpx.get(f"{one}/cas/p3/serviceValidate", params={"ticket": first, "service": app})
    assert 'code="INVALID_TICKET"' in replay.text

    # The sign-in on host one holds on host two: a ticket without a password, valid on one.
    again = browser.get(f"{two}/cas/login?service={app}")
    assert again.status_code == 302, again.text[:300]
    second = parse_qs(urlsplit(again.headers["Location"]).query)["ticket"][0]
    cas_one = CASClient(version=3, service_url=app, server_url=f"{one}/cas/")
    assert cas_one.verify_ticket(second)[0] == staff.account.login


def test_a_saml_flow_begun_on_one_host_completes_on_the_other(
    hosts: tuple[str, str], make_person: Callable[..., Person], settings: Any
) -> None:
    """The AuthnRequest reaches host one, the sign-in and the Response happen on host two; the
    request replayed to host two is refused, since the replay table is shared."""
    from tests.saml import authn_request, local_service, make_sp, posted_html, register
    from tests.test_saml_shibboleth import forget_idp

    one, two = hosts
    staff = make_person(password=PASSWORD)
    settings.SEUIL_BASE_URL, settings.SEUIL_SAML_ENTITY_ID = one, f"{one}/saml/idp"
    forget_idp()
    try:
        sp = make_sp()  # trusts the metadata the hosts publish for SEUIL_BASE_URL
    finally:
        forget_idp()
    register(sp, service=local_service())
    request_id, carried = authn_request(sp)
    browser = Browser(one)
    begun = browser.get(carried["__url__"])
    assert begun.status_code == 302, begun.text[:300]
    page = browser.get(f"{two}{begun.headers['Location']}")
    signed = browser.submit(page, login=staff.account.login, password=PASSWORD)
    answer = browser.get(f"{two}{signed.headers['Location']}")
    acs, fields = posted_html(answer.text)
    assert acs == sp.acs
    result = sp.client.parse_authn_request_response(
        fields["SAMLResponse"], "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
        outstanding={request_id: "x"},
    )  # fmt: skip
    assert result.get_identity()["mail"] == [staff.account.mail]
    replayed = browser.get(carried["__url__"].replace(one, two))
    assert replayed.status_code == 400
    assert "déjà servi" in replayed.text
