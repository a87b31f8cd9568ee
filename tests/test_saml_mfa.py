"""REFEDS MFA over SAML, with pysaml2's own client playing the SP: a RequestedAuthnContext of
https://refeds.org/profile/mfa is met by a session that used a second factor, steps a
password-only session up without the password, and gets NoAuthnContext for a person with no
factor; any assertion made after a second factor carries that AuthnContextClassRef."""

import re

import pyotp
import pytest
from django.test import Client
from saml2 import BINDING_HTTP_POST
from saml2.saml import AUTHN_PASSWORD_PROTECTED, AuthnContextClassRef
from saml2.samlp import (
    STATUS_NO_AUTHN_CONTEXT,
    STATUS_NO_PASSIVE,
    STATUS_RESPONDER,
    RequestedAuthnContext,
)

from seuil.mfa.models import TotpDevice
from seuil.mfa.session import REFEDS_MFA
from seuil.people.models import Person
from tests.conftest import PASSWORD
from tests.saml import (
    SP,
    authn_request,
    local_service,
    make_sp,
    posted,
    register,
    response_xml,
    send,
)

pytestmark = pytest.mark.django_db
SIGN_IN = "/gestion-de-compte/se-connecter/"
SECOND = "/gestion-de-compte/second-facteur/"


def mfa_asked(comparison: str = "exact") -> RequestedAuthnContext:
    return RequestedAuthnContext(
        authn_context_class_ref=[AuthnContextClassRef(text=REFEDS_MFA)], comparison=comparison
    )


def signed_in() -> Client:
    browser = Client()
    assert browser.post(SIGN_IN, {"login": "jdupont", "password": PASSWORD}).status_code == 302
    return browser


def with_totp() -> pyotp.TOTP:
    """Jean adds an authenticator application (in a browser of its own)."""
    browser = signed_in()
    page = browser.get("/gestion-de-compte/securite/application/").content.decode()
    match = re.search(r'id="totp-key" class="key">([A-Z2-7 ]+)<', page)
    assert match
    totp = pyotp.TOTP(match.group(1).replace(" ", ""))
    browser.post("/gestion-de-compte/securite/application/", {"code": totp.now()})
    TotpDevice.objects.update(last_step=0)  # the same 30 s code serves again below
    return totp


def class_ref_of(sp: SP, request_id: str, page: object) -> str:
    acs, fields = posted(page)
    assert acs == sp.acs
    result = sp.client.parse_authn_request_response(
        fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={request_id: "back-to-page"}
    )
    assert result is not None
    return str(result.authn_info()[0][0])


@pytest.fixture
def sp() -> SP:
    sp = make_sp()
    register(sp, service=local_service())
    return sp


@pytest.mark.parametrize("comparison", ["exact", "minimum"])
def test_a_session_that_used_a_second_factor_answers_refeds_mfa(
    jean: Person, sp: SP, comparison: str
) -> None:
    totp = with_totp()
    browser = Client()
    step = browser.post(SIGN_IN, {"login": "jdupont", "password": PASSWORD})
    assert step["Location"] == SECOND
    assert browser.post(SECOND, {"code": totp.now()}).status_code == 302
    request_id, carried = authn_request(sp, requested_authn_context=mfa_asked(comparison))
    assert class_ref_of(sp, request_id, send(browser, carried)) == REFEDS_MFA


def test_a_password_only_session_steps_up_without_the_password(jean: Person, sp: SP) -> None:
    browser = signed_in()  # before the factor exists: a password alone
    totp = with_totp()
    request_id, carried = authn_request(sp, requested_authn_context=mfa_asked())
    page = send(browser, carried)
    assert page.redirect_chain[-1][0].startswith(f"{SECOND}?next=%2Fsaml%2Fcontinue%2F")
    assert 'name="password"' not in page.content.decode()
    page = browser.post(page.redirect_chain[-1][0], {"code": totp.now()}, follow=True)
    assert class_ref_of(sp, request_id, page) == REFEDS_MFA


def test_a_wrong_code_at_step_up_issues_nothing(jean: Person, sp: SP) -> None:
    browser = signed_in()
    totp = with_totp()
    _request_id, carried = authn_request(sp, requested_authn_context=mfa_asked())
    page = send(browser, carried)
    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    page = browser.post(page.redirect_chain[-1][0], {"code": wrong}, follow=True)
    assert "SAMLResponse" not in page.content.decode()


def test_a_person_with_no_factor_gets_no_authn_context(jean: Person, sp: SP) -> None:
    browser = signed_in()
    _request_id, carried = authn_request(sp, requested_authn_context=mfa_asked())
    acs, fields = posted(send(browser, carried))
    assert acs == sp.acs
    xml = response_xml(fields)
    assert f'Value="{STATUS_RESPONDER}"' in xml
    assert f'Value="{STATUS_NO_AUTHN_CONTEXT}"' in xml
    assert "Assertion" not in xml.replace("AssertionConsumer", "")


def test_any_assertion_after_a_totp_sign_in_carries_refeds_mfa(jean: Person, sp: SP) -> None:
    totp = with_totp()
    browser = Client()
    request_id, carried = authn_request(sp)  # no RequestedAuthnContext
    page = send(browser, carried)
    page = browser.post(
        page.redirect_chain[-1][0], {"login": "jdupont", "password": PASSWORD}, follow=True
    )
    assert page.redirect_chain[-1][0] == SECOND  # the SAML sign-in asks for the factor too
    page = browser.post(SECOND, {"code": totp.now()}, follow=True)
    assert class_ref_of(sp, request_id, page) == REFEDS_MFA


def test_a_password_alone_still_says_password_protected_transport(jean: Person, sp: SP) -> None:
    browser = signed_in()
    request_id, carried = authn_request(sp)
    assert class_ref_of(sp, request_id, send(browser, carried)) == AUTHN_PASSWORD_PROTECTED


def test_force_authn_asks_the_password_and_the_factor_again(jean: Person, sp: SP) -> None:
    totp = with_totp()
    browser = Client()
    browser.post(SIGN_IN, {"login": "jdupont", "password": PASSWORD})
    assert browser.post(SECOND, {"code": totp.now()}).status_code == 302
    TotpDevice.objects.update(last_step=0)
    request_id, carried = authn_request(sp, force_authn="true")
    page = send(browser, carried)
    assert 'name="password"' in page.content.decode()
    page = browser.post(
        page.redirect_chain[-1][0], {"login": "jdupont", "password": PASSWORD}, follow=True
    )
    assert page.redirect_chain[-1][0] == SECOND
    page = browser.post(SECOND, {"code": totp.now()}, follow=True)
    assert class_ref_of(sp, request_id, page) == REFEDS_MFA


def test_is_passive_without_the_factor_answers_no_passive(jean: Person, sp: SP) -> None:
    browser = signed_in()
    with_totp()
    _request_id, carried = authn_request(sp, requested_authn_context=mfa_asked(), is_passive="true")
    acs, fields = posted(send(browser, carried))
    assert acs == sp.acs
    assert f'Value="{STATUS_NO_PASSIVE}"' in response_xml(fields)
