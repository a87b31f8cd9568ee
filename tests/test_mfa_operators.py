"""Operators: the admin opens only after a second factor used in the session; the first sign-in
walks them through enrolment. IT resets a person's factors; HR never; an operator's factors
only another operator."""

import re
import time

import pyotp
import pytest
from django.contrib.auth.models import Group
from django.test import Client

from seuil.accounts.models import Account
from seuil.activation.models import Sesame
from seuil.activation.services import activate_account
from seuil.audit.models import AuditEvent
from seuil.mailer.models import OutgoingMail
from seuil.mfa import services
from seuil.mfa.models import RecoveryCode, TotpDevice, has_factor
from seuil.people.models import Person
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
SIGN_IN = "/gestion-de-compte/se-connecter/"
ENROL = "/gestion-de-compte/securite/application/"
ADMIN_PAGES = ["/admin/", "/admin/people/person/", "/admin/accounts/account/", "/admin/audit/"]


@pytest.fixture
def it_operator() -> Account:
    return Account.objects.create_superuser("it-test", PASSWORD)


def enrol_totp(client: Client) -> str:
    page = client.get(ENROL).content.decode()
    match = re.search(r'id="totp-key" class="key">([A-Z2-7 ]+)<', page)
    assert match
    secret = match.group(1).replace(" ", "")
    assert client.post(ENROL, {"code": pyotp.TOTP(secret).now()}).status_code == 200
    return secret


def test_the_admin_login_page_sends_to_the_sign_in_with_its_second_step(client: Client) -> None:
    response = client.get("/admin/login/?next=/admin/people/person/")
    assert response["Location"] == f"{SIGN_IN}?next=%2Fadmin%2Fpeople%2Fperson%2F"


def test_an_operator_without_a_factor_cannot_open_any_admin_page(
    client: Client, it_operator: Account
) -> None:
    first = client.post(f"{SIGN_IN}?next=/admin/", {"login": "it-test", "password": PASSWORD})
    assert first["Location"] == "/gestion-de-compte/securite/?next=%2Fadmin%2F"
    security = client.get(first["Location"]).content.decode()
    assert "droits d'opérateur" in security
    for page in ADMIN_PAGES:
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith("/gestion-de-compte/securite/?next="), page
    enrol_totp(client)
    for page in ADMIN_PAGES[:3]:
        assert client.get(page).status_code == 200, page


def test_an_operator_with_a_factor_uses_it_before_the_admin(
    client: Client, it_operator: Account
) -> None:
    client.post(SIGN_IN, {"login": "it-test", "password": PASSWORD})
    secret = enrol_totp(client)
    TotpDevice.objects.filter(account=it_operator).update(last_step=0)
    later = Client()
    step = later.post(f"{SIGN_IN}?next=/admin/", {"login": "it-test", "password": PASSWORD})
    assert step["Location"] == "/gestion-de-compte/second-facteur/"
    assert later.get("/admin/").status_code == 302
    done = later.post(step["Location"], {"code": pyotp.TOTP(secret).now()})
    assert done["Location"] == "/admin/"
    assert later.get("/admin/").status_code == 200


def test_a_session_opened_with_a_password_alone_is_sent_to_use_the_factor(
    it_operator: Account,
) -> None:
    """A session from before the factor existed: the admin asks for the factor, not enrolment."""
    client = Client()
    client.post(SIGN_IN, {"login": "it-test", "password": PASSWORD})
    other = Client()
    other.post(SIGN_IN, {"login": "it-test", "password": PASSWORD})
    enrol_totp(other)
    assert (
        client.get("/admin/")["Location"] == "/gestion-de-compte/second-facteur/?next=%2Fadmin%2F"
    )


@pytest.fixture
def with_factor(jean: Person) -> Account:
    client = Client()
    client.post(SIGN_IN, {"login": "jdupont", "password": PASSWORD})
    enrol_totp(client)
    return jean.account


def test_hr_cannot_reset_factors(with_factor: Account, it_operator: Account) -> None:
    hr = Account.objects.create_superuser("rh-test", PASSWORD)
    hr.is_superuser = False
    hr.save()
    hr.groups.set([Group.objects.get(name="RH")])
    assert not services.may_reset(operator=hr, account=with_factor)
    assert not services.may_reset(operator=hr, account=it_operator)
    with pytest.raises(services.ResetRefused):
        services.reset_factors(account=with_factor, operator=hr, reason="perdu", ip="")
    assert has_factor(with_factor)


def test_an_operators_factors_are_reset_only_by_another_operator(it_operator: Account) -> None:
    other = Account.objects.create_superuser("it-autre", PASSWORD)
    assert not services.may_reset(operator=it_operator, account=it_operator)
    assert services.may_reset(operator=other, account=it_operator)


def test_it_resets_a_persons_factors_with_a_reason_audited_and_mailed(
    with_factor: Account, it_operator: Account
) -> None:
    admin = Client()
    admin.force_login(it_operator)
    response = admin.post(
        "/admin/accounts/account/",
        {
            "action": "reset_second_factors",
            "_selected_action": [with_factor.pk],
            "apply": "1",
            "reason": "téléphone perdu, identité vérifiée au guichet",
        },
    )
    assert response.status_code == 302
    assert not has_factor(with_factor)
    assert not RecoveryCode.objects.filter(account=with_factor).exists()
    event = AuditEvent.objects.get(action="mfa-reset")
    assert event.actor == "it-test"
    assert event.detail["reason"].startswith("téléphone perdu")
    notices = OutgoingMail.objects.filter(kind="mfa.notice", context__event="factors-reset")
    assert sorted(m.to for m in notices) == ["jean.dupont@univ-montp3.fr", "jean@example.org"]
    assert "seconds facteurs" in str(notices[0].build().subject)


def test_a_new_sesame_changes_the_password_and_leaves_the_factor(with_factor: Account) -> None:
    sesame, _code = Sesame.issue(with_factor)
    result = activate_account(
        grant=sesame, password="Nouveau8Passe", email="jean@example.org", question="",
        answer="", ip="",
    )  # fmt: skip
    assert result is not None
    assert has_factor(with_factor)
    client = Client()
    response = client.post(SIGN_IN, {"login": "jdupont", "password": "Nouveau8Passe"})
    assert response["Location"] == "/gestion-de-compte/second-facteur/"
    time.sleep(0)  # the session is not open until the factor
    assert not client.get("/mon-ent/").wsgi_request.user.is_authenticated
