"""The TOTP keys' encryption: under SEUIL_MFA_KEY when set, else a key derived from the secret
key; rotation re-encrypts under the first key, and an unknown key is refused."""

import subprocess
import sys
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from seuil.mfa import crypto
from seuil.mfa.models import TotpDevice
from seuil.people.models import Person
from tests.test_settings import BASE

pytestmark = pytest.mark.django_db
OLD = "old-mfa-key-0123456789-abcdefghijklmnopqrstuvwxyz"
NEW = "new-mfa-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def test_without_an_mfa_key_the_key_is_derived_from_the_secret_key(settings: Any) -> None:
    settings.SEUIL_MFA_KEYS = []
    token = crypto.encrypt("JBSWY3DPEHPK3PXP")
    settings.SECRET_KEY = "another-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
    assert crypto.decrypt(token) is None


def test_rotation_re_encrypts_under_the_first_key(settings: Any, jean: Person) -> None:
    settings.SEUIL_MFA_KEYS = [OLD]
    device = TotpDevice.begin(jean.account)
    key = device.key
    settings.SEUIL_MFA_KEYS = [NEW, OLD]
    out = StringIO()
    call_command("rotate_mfa_key", stdout=out)
    assert out.getvalue().strip().endswith("1 clé(s) TOTP rechiffrée(s) sous la première clé")
    settings.SEUIL_MFA_KEYS = [NEW]
    assert TotpDevice.objects.get(pk=device.pk).key == key


def test_rotation_stops_on_a_key_it_cannot_open(settings: Any, jean: Person) -> None:
    settings.SEUIL_MFA_KEYS = [OLD]
    TotpDevice.begin(jean.account)
    settings.SEUIL_MFA_KEYS = [NEW]
    with pytest.raises(CommandError):
        call_command("rotate_mfa_key", stdout=StringIO())


def load(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import seuil.settings"],
        env={**BASE, **env}, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_a_short_mfa_key_stops_seuil() -> None:
    answer = load(SEUIL_MFA_KEY=f"{NEW},short")
    assert answer.returncode != 0
    assert "SEUIL_MFA_KEY" in answer.stderr
    assert load(SEUIL_MFA_KEY=f"{NEW},{OLD}").returncode == 0
