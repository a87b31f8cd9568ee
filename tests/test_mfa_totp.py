"""TOTP as a second factor: enrolment from Mon compte › Sécurité, then every sign-in asks for a
code, computed here by pyotp as a phone would."""

import re
import time
from typing import Any

import pyotp
import pytest
from django.test import Client

from seuil.accounts.models import Account
from seuil.accounts.sessions import METHODS
from seuil.audit.models import AuditEvent
from seuil.mfa import crypto
from seuil.mfa.models import RecoveryCode, TotpDevice
from seuil.people.models import Person
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
SIGN_IN = "/gestion-de-compte/se-connecter/"
VERIFY = "/gestion-de-compte/second-facteur/"
ENROL = "/gestion-de-compte/securite/application/"


def sign_in(client: Client, login: str = "jdupont", password: str = PASSWORD) -> Any:
    return client.post(SIGN_IN, {"login": login, "password": password})


def code_at(key: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(key).at(time.time() + 30 * offset_steps)


def enrol(client: Client, account: Account) -> tuple[str, list[str]]:
    """Enrol a TOTP application as a person would: read the key on the page, type a code."""
    page = client.get(ENROL).content.decode()
    assert "<svg" in page  # the QR code, inline
    key = re.search(r'id="totp-key" class="key">([A-Z2-7 ]+)<', page)
    assert key
    secret = key.group(1).replace(" ", "")
    answer = client.post(ENROL, {"code": code_at(secret)})
    assert answer.status_code == 200
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", answer.content.decode())
    return secret, codes


@pytest.fixture
def enrolled(jean: Person) -> tuple[Account, str, list[str]]:
    client = Client()
    sign_in(client)
    secret, codes = enrol(client, jean.account)
    device = TotpDevice.objects.get(account=jean.account)
    device.last_step = 0  # let the tests use the current step again
    device.save()
    return jean.account, secret, codes


def test_enrolment_shows_a_qr_code_and_the_key_and_counts_only_after_a_first_code(
    client: Client, jean: Person
) -> None:
    sign_in(client)
    page = client.get(ENROL).content.decode()
    secret = re.search(r'id="totp-key" class="key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")  # type: ignore[union-attr]
    assert not TotpDevice.objects.confirmed().exists()
    wrong = client.post(ENROL, {"code": "000000" if code_at(secret) != "000000" else "111111"})
    assert "pas le bon" in wrong.content.decode()
    assert not TotpDevice.objects.confirmed().exists()
    done = client.post(ENROL, {"code": code_at(secret)})
    assert TotpDevice.objects.confirmed().filter(account=jean.account).exists()
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", done.content.decode())
    assert len(set(codes)) == 10
    assert RecoveryCode.objects.filter(account=jean.account).count() == 10
    assert "otp" in client.session[METHODS]


def test_the_key_is_stored_encrypted_not_in_clear(enrolled: tuple[Account, str, list[str]]) -> None:
    account, secret, _codes = enrolled
    stored = TotpDevice.objects.get(account=account).encrypted_key
    assert secret not in stored
    assert crypto.decrypt(stored) == secret
    for row in RecoveryCode.objects.filter(account=account):
        assert all(code.replace("-", "") not in row.digest for code in _codes)


def test_sign_in_asks_for_the_code_after_the_password(
    enrolled: tuple[Account, str, list[str]],
) -> None:
    account, secret, _codes = enrolled
    client = Client()
    response = sign_in(client)
    assert response["Location"] == VERIFY
    assert not client.get("/mon-ent/").wsgi_request.user.is_authenticated
    done = client.post(VERIFY, {"code": code_at(secret)})
    assert done["Location"] == "/mon-ent/"
    assert client.get("/mon-ent/").wsgi_request.user == account
    assert set(client.session[METHODS]) == {"pwd", "otp"}


@pytest.mark.parametrize("drift", [-1, 1])
def test_a_code_one_step_off_is_accepted(
    enrolled: tuple[Account, str, list[str]], drift: int
) -> None:
    _account, secret, _codes = enrolled
    client = Client()
    sign_in(client)
    assert client.post(VERIFY, {"code": code_at(secret, drift)})["Location"] == "/mon-ent/"


def test_a_code_two_steps_off_is_refused(enrolled: tuple[Account, str, list[str]]) -> None:
    _account, secret, _codes = enrolled
    client = Client()
    sign_in(client)
    assert client.post(VERIFY, {"code": code_at(secret, -2)}).status_code == 200


def test_a_code_is_refused_the_second_time(enrolled: tuple[Account, str, list[str]]) -> None:
    _account, secret, _codes = enrolled
    code = code_at(secret)
    first = Client()
    sign_in(first)
    assert first.post(VERIFY, {"code": code})["Location"] == "/mon-ent/"
    second = Client()
    sign_in(second)
    replay = second.post(VERIFY, {"code": code})
    assert replay.status_code == 200
    assert "déjà servi" in replay.content.decode()
    assert not second.get("/mon-ent/").wsgi_request.user.is_authenticated


def test_five_wrong_codes_lock_like_wrong_passwords(
    enrolled: tuple[Account, str, list[str]], throttle_backend: str
) -> None:
    account, secret, _codes = enrolled
    client = Client()
    sign_in(client)
    right = code_at(secret)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert client.post(VERIFY, {"code": wrong}).status_code == 200
    assert client.post(VERIFY, {"code": right}).status_code == 200  # locked: even the right one
    assert not client.get("/mon-ent/").wsgi_request.user.is_authenticated
    failures = AuditEvent.objects.filter(action="mfa-totp", outcome="failure", account=None)
    assert failures.count() == 6
    assert AuditEvent.objects.filter(action="lockout", actor=account.login).exists()


def test_a_recovery_code_signs_in_once(enrolled: tuple[Account, str, list[str]]) -> None:
    _account, _secret, codes = enrolled
    client = Client()
    sign_in(client)
    assert client.post(VERIFY, {"recovery_code": codes[0].upper()})["Location"] == "/mon-ent/"
    again = Client()
    sign_in(again)
    assert again.post(VERIFY, {"recovery_code": codes[0]}).status_code == 200
    assert again.post(VERIFY, {"recovery_code": codes[1]})["Location"] == "/mon-ent/"


def test_renewing_recovery_codes_voids_the_old_ones(
    enrolled: tuple[Account, str, list[str]],
) -> None:
    account, _secret, codes = enrolled
    client = Client()
    client.force_login(account)
    page = client.post("/gestion-de-compte/securite/codes-de-secours/").content.decode()
    new = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", page)
    assert len(new) == 10
    assert not set(new) & set(codes)
    other = Client()
    sign_in(other)
    assert other.post(VERIFY, {"recovery_code": codes[2]}).status_code == 200
    assert other.post(VERIFY, {"recovery_code": new[0]})["Location"] == "/mon-ent/"


def test_a_password_reset_leaves_the_factor_in_place(
    enrolled: tuple[Account, str, list[str]],
) -> None:
    from seuil.accounts import services

    account, _secret, _codes = enrolled
    assert services.reset_password(account=account, password="Nouveau8Passe", via="link", ip="")
    assert TotpDevice.objects.confirmed().filter(account=account).exists()
    client = Client()
    assert sign_in(client, password="Nouveau8Passe")["Location"] == VERIFY


def test_a_session_that_used_no_factor_cannot_change_the_factors(jean: Person) -> None:
    """A session opened with the password before the factor was added elsewhere: it must use
    the factor before it removes it, renews the codes or adds a factor of its own."""
    old = Client()
    sign_in(old)
    owner = Client()
    sign_in(owner)
    secret, _codes = enrol(owner, jean.account)
    for url in [f"{ENROL}retirer/", "/gestion-de-compte/securite/codes-de-secours/"]:
        refused = old.post(url)
        assert refused["Location"].startswith(VERIFY), url
    refused = old.post("/gestion-de-compte/securite/cles/options/", content_type="application/json")
    assert refused.status_code == 403
    assert TotpDevice.objects.confirmed().filter(account=jean.account).exists()
    TotpDevice.objects.update(last_step=0)
    old.post(VERIFY, {"code": code_at(secret)})
    assert old.post(f"{ENROL}retirer/")["Location"] == "/gestion-de-compte/securite/"
    assert not TotpDevice.objects.filter(account=jean.account).exists()
