"""The second factor over CAS 3: the p3 attributes say the session's methods; a service
registered with require_mfa gets a ticket only after a second factor (python-cas validates, as
a service would)."""

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pyotp
import pytest
from cas import CASClient
from django.test import Client

from seuil.mfa.models import TotpDevice
from seuil.mfa.session import REFEDS_MFA
from seuil.people.models import Person
from seuil.sso.models import Service
from tests.cas import register_cas
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
APP = "http://app.example/moodle/"
LOGIN = f"/cas/login?service={quote(APP, safe='')}"


@pytest.fixture
def app() -> Service:
    return register_cas("Espace de cours", APP)


@pytest.fixture
def jean(make_person: Callable[..., Person]) -> Person:
    return make_person(password=PASSWORD)


def validate(live_server: Any, ticket: str) -> tuple[str | None, dict[str, Any]]:
    cas = CASClient(version=3, service_url=APP, server_url=f"{live_server.url}/cas/")
    user, attributes, _pgt = cas.verify_ticket(ticket)
    return user, attributes


def ticket_in(response: Any) -> str:
    assert response.status_code == 302, response.content.decode()[:300]
    return str(parse_qs(urlsplit(response["Location"]).query)["ticket"][0])


def with_totp(client: Client) -> pyotp.TOTP:
    page = client.get("/gestion-de-compte/securite/application/").content.decode()
    match = re.search(r'id="totp-key" class="key">([A-Z2-7 ]+)<', page)
    assert match
    totp = pyotp.TOTP(match.group(1).replace(" ", ""))
    client.post("/gestion-de-compte/securite/application/", {"code": totp.now()})
    TotpDevice.objects.update(last_step=0)
    return totp


def test_the_p3_attributes_say_a_password_alone(
    live_server: Any, app: Service, jean: Person
) -> None:
    client = Client()
    ticket = ticket_in(client.post(LOGIN, {"login": "jdupont", "password": PASSWORD}))
    user, attributes = validate(live_server, ticket)
    assert user == "jdupont"
    assert attributes["authenticationMethod"] == "pwd"
    assert "authnContextClass" not in attributes


def test_a_require_mfa_service_gets_a_ticket_only_after_the_second_factor(
    live_server: Any, app: Service, jean: Person
) -> None:
    Service.objects.filter(pk=app.pk).update(require_mfa=True)
    setup = Client()
    setup.post("/gestion-de-compte/se-connecter/", {"login": "jdupont", "password": PASSWORD})
    totp = with_totp(setup)

    client = Client()
    step = client.post(LOGIN, {"login": "jdupont", "password": PASSWORD})
    assert step["Location"] == "/gestion-de-compte/second-facteur/"
    back = client.post(step["Location"], {"code": totp.now()})
    assert back["Location"] == LOGIN
    ticket = ticket_in(client.get(back["Location"]))
    _user, attributes = validate(live_server, ticket)
    assert attributes["authenticationMethod"] == ["pwd", "otp", "mfa"]
    assert attributes["authnContextClass"] == REFEDS_MFA


def test_a_password_only_session_is_stepped_up_without_the_password(
    live_server: Any, app: Service, jean: Person
) -> None:
    client = Client()
    client.post("/gestion-de-compte/se-connecter/", {"login": "jdupont", "password": PASSWORD})
    other = Client()
    other.post("/gestion-de-compte/se-connecter/", {"login": "jdupont", "password": PASSWORD})
    totp = with_totp(other)
    Service.objects.filter(pk=app.pk).update(require_mfa=True)
    step = client.get(LOGIN)
    assert step["Location"].startswith("/gestion-de-compte/second-facteur/?next=")
    back = client.post(step["Location"], {"code": totp.now()})
    ticket = ticket_in(client.get(back["Location"]))
    assert validate(live_server, ticket)[0] == "jdupont"


def test_without_a_factor_no_ticket_and_a_page_saying_how_to_add_one(
    app: Service, jean: Person
) -> None:
    Service.objects.filter(pk=app.pk).update(require_mfa=True)
    client = Client()
    page = client.post(LOGIN, {"login": "jdupont", "password": PASSWORD})
    assert page.status_code == 403
    assert "Ajouter un second facteur" in page.content.decode()
    gateway = client.get(f"{LOGIN}&gateway=true")
    assert gateway["Location"] == APP


def test_the_second_factor_page_lets_its_form_end_at_the_service(
    app: Service, jean: Person
) -> None:
    """Browsers apply CSP form-action to the redirects after a post: the code's form ends at the
    service, whose origin the page's policy must allow (Chromium refuses otherwise)."""
    setup = Client()
    setup.post("/gestion-de-compte/se-connecter/", {"login": "jdupont", "password": PASSWORD})
    with_totp(setup)
    client = Client()
    step = client.post(LOGIN, {"login": "jdupont", "password": PASSWORD})
    policy = client.get(step["Location"])["Content-Security-Policy"]
    form_action = next(d for d in policy.split(";") if d.strip().startswith("form-action"))
    assert "http://app.example" in form_action


def test_renew_is_satisfied_by_a_sign_in_through_the_second_factor(
    live_server: Any, app: Service, jean: Person
) -> None:
    setup = Client()
    setup.post("/gestion-de-compte/se-connecter/", {"login": "jdupont", "password": PASSWORD})
    totp = with_totp(setup)
    client = Client()
    renew = f"{LOGIN}&renew=true"
    step = client.post(renew, {"login": "jdupont", "password": PASSWORD})
    back = client.post(step["Location"], {"code": totp.now()})
    assert back["Location"] == renew
    ticket = ticket_in(client.get(renew))
    cas = CASClient(version=3, service_url=APP, server_url=f"{live_server.url}/cas/", renew=True)
    assert cas.verify_ticket(ticket)[0] == "jdupont"  # renew=true: from a new login
    again = client.get(renew)
    assert again.status_code == 200, "the next renew asks for the password again"


def test_renew_with_a_factor_asks_both_again_and_gets_its_ticket(
    app: Service, jean: Person
) -> None:
    client = Client()
    client.post("/gestion-de-compte/se-connecter/", {"login": "jdupont", "password": PASSWORD})
    totp = with_totp(client)
    renew = f"{LOGIN}&renew=true"
    assert client.get(renew).status_code == 200  # the credentials again, though signed in
    step = client.post(renew, {"login": "jdupont", "password": PASSWORD})
    assert step["Location"] == "/gestion-de-compte/second-facteur/"
    back = client.post(step["Location"], {"code": totp.now()})
    assert back["Location"] == renew  # not the home page
    assert ticket_in(client.get(renew))
