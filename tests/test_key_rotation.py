"""Rotating the secret key (SEUIL_SECRET_KEY, the old one in SEUIL_SECRET_KEY_FALLBACKS) keeps
every keyed digest seuil checks: printed Sésames, student codes, running lockouts, signed links."""

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from seuil.accounts.links import read_unlock_token, unlock_token
from seuil.activation.models import Sesame, StudentCode
from seuil.people.models import Person
from seuil.security import throttle

pytestmark = pytest.mark.django_db
OLD_KEY = "old-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-before-the-rotation"
NEW_KEY = "new-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-after-the-rotation"


@pytest.fixture
def rotate(settings: Any) -> Callable[..., None]:
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD_KEY, []

    def rotation(*, keep_old: bool = True) -> None:
        settings.SECRET_KEY = NEW_KEY
        settings.SECRET_KEY_FALLBACKS = [OLD_KEY] if keep_old else []

    return rotation


def test_a_printed_sesame_survives_the_rotation(
    rotate: Callable[..., None], make_person: Callable[..., Person]
) -> None:
    account = make_person().account
    sesame, code = Sesame.issue(account)
    rotate(keep_old=False)
    assert Sesame.objects.verify(account.login, code) is None, "what the fallback is for"
    rotate()
    assert Sesame.objects.verify(account.login, code) == sesame
    assert Sesame.objects.get(pk=sesame.pk).matches(code)
    assert Sesame.objects.verify(account.login, "V0W7Y2BGEDMNA") is None


def test_a_mailed_student_code_survives_the_rotation(
    rotate: Callable[..., None], make_person: Callable[..., Person]
) -> None:
    account = make_person(status="etudiant").account
    issued = StudentCode.issue(account)
    digits = issued.code()
    rotate()
    assert StudentCode.objects.get(pk=issued.pk).code() == digits, "a retried mail says the same"
    assert StudentCode.objects.verify(account, digits) == issued
    fresh = StudentCode.issue(account)  # made under the new key
    assert StudentCode.objects.verify(account, fresh.code()) == fresh


@pytest.mark.usefixtures("throttle_backend")
def test_a_running_lockout_holds_across_the_rotation_and_is_lifted_by_a_reset(
    rotate: Callable[..., None], make_person: Callable[..., Person]
) -> None:
    login = make_person().account.login
    for _ in range(5):
        throttle.attempt(login, lambda: None, action="sign-in", ip="203.0.113.9")
    until = throttle.locked_until(login)
    assert until is not None
    rotate()
    assert throttle.locked_until(login) == until
    assert throttle.attempt(login, lambda: "in", action="sign-in", ip="203.0.113.9") is None
    assert throttle.lock_end(login, "203.0.113.0/24") == until, "the owner's unlock link finds it"
    throttle.reset(login)
    assert throttle.locked_until(login) is None
    assert throttle.attempt(login, lambda: "in", action="sign-in", ip="203.0.113.9") == "in"


def test_signed_links_survive_the_rotation(rotate: Callable[..., None]) -> None:
    until = timezone.now() + timedelta(minutes=15)
    token = unlock_token(login="jdupont", network="203.0.113.0/24", until=until)
    rotate(keep_old=False)
    assert read_unlock_token(token) is None
    rotate()
    assert read_unlock_token(token) is not None


def test_the_fallbacks_come_from_the_environment() -> None:
    env = {
        "SEUIL_SECRET_KEY": NEW_KEY,
        "SEUIL_SECRET_KEY_FALLBACKS": f"{OLD_KEY}, older-key-{'x' * 50}",
        "SEUIL_OIDC_KEY_FILE": str(Path(__file__).parent / "data" / "oidc-test-key.pem"),
        "SEUIL_ENV_FILE": "",
        "PATH": os.environ["PATH"],
    }
    shown = subprocess.run(
        [sys.executable, "-c", "import seuil.settings as s; print(s.SECRET_KEY_FALLBACKS)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == str([OLD_KEY, f"older-key-{'x' * 50}"])
