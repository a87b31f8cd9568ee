"""Sessions and browser defences: lifetimes, headers, cookies, and Django's deployment check."""

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from seuil.people.models import Person
from tests.conftest import PASSWORD

PRODUCTION = {
    "PATH": os.environ["PATH"],
    "SEUIL_ENV_FILE": "",  # not the .env that make run writes in the checkout
    "SEUIL_SECRET_KEY": "k3#Lq8!vZ0@pW5^rT1&yU9*oI2(eA6)sD4-fG7+hJ0=kL3_mN8~bV5",
    "SEUIL_BASE_URL": "https://monupv.univ-montp3.fr",
    "DATABASE_URL": "postgresql://seuil@db.example.fr/seuil",
    "SEUIL_OIDC_KEY_FILE": str(Path(__file__).parent / "data" / "oidc-test-key.pem"),
}


def production(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", f"import seuil.settings as s; print({code})"],
        env=PRODUCTION,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_the_deployment_check_is_clean_with_production_settings() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "seuil", "check", "--deploy", "--fail-level", "WARNING"],
        env=PRODUCTION,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_collects_its_static_files(tmp_path: Path) -> None:
    """whitenoise's manifest storage checks every file a script or sheet refers to."""
    env = {**PRODUCTION, "SEUIL_STATIC_ROOT": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "seuil", "collectstatic", "--no-input"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "vendor/zxcvbn.js" in manifest
    assert "seuil/password.js" in manifest


def test_production_cookies_are_secure_httponly_and_lax() -> None:
    assert (
        production(
            "(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE)"
        )
        == "(True, True, True, 'Lax')"
    )
    assert production("(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT)") == "(31536000, True)"


def test_sessions_idle_thirty_minutes_and_live_twelve_hours_at_most() -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.SEUIL_SESSION_MAX_HOURS == 12


@pytest.mark.django_db
def test_a_session_ends_twelve_hours_after_sign_in(
    client: Client, make_person: Callable[..., Person]
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(make_person(password=PASSWORD).account)
        client.get("/")  # the clock starts at the first request (the sign-in view starts it too)
    for minutes in range(20, 12 * 60, 20):  # active all day long
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/").wsgi_request.user.is_authenticated
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        assert not client.get("/").wsgi_request.user.is_authenticated
        assert not client.get("/").wsgi_request.user.is_authenticated, "ended on the server too"


@pytest.mark.django_db
def test_a_session_ends_after_thirty_idle_minutes(
    client: Client, make_person: Callable[..., Person]
) -> None:
    client.force_login(make_person(password=PASSWORD).account)
    with time_machine.travel(timezone.now() + timedelta(minutes=29)):
        assert client.get("/").wsgi_request.user.is_authenticated
    with time_machine.travel(timezone.now() + timedelta(minutes=29 + 31)):
        assert not client.get("/").wsgi_request.user.is_authenticated


def test_pages_carry_the_security_headers(client: Client) -> None:
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ]:
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_a_page_carrying_a_token_sends_no_referrer(client: Client) -> None:
    assert client.get("/gestion-de-compte/confirmer-mail/abc/")["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    "url", ["/gestion-de-compte/validation-personnel/", "/gestion-de-compte/confirmer-mail/abc/"]
)
@pytest.mark.django_db
def test_authentication_pages_are_never_stored(client: Client, url: str) -> None:
    assert "no-store" in client.get(url)["Cache-Control"]


def test_hsts_is_sent_over_https(client: Client, settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
