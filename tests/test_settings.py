"""Every SEUIL_* variable fails loudly when malformed, instead of running with another meaning."""

import os
import subprocess
import sys

import pytest

BASE = {"SEUIL_SECRET_KEY": "k" * 50, "PATH": os.environ["PATH"]}


def load(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import seuil.settings"],
        env={**BASE, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_defaults_load() -> None:
    assert load().returncode == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SEUIL_DEBUG", "maybe"),
        ("SEUIL_LOGIN_MAX_LENGTH", "eight"),
        ("SEUIL_LOGIN_MAX_LENGTH", "2"),
        ("SEUIL_MAIL_DOMAIN", "not a domain"),
        ("SEUIL_STUDENT_MAIL_DOMAIN", "@etu"),
        ("SEUIL_BASE_URL", "monupv.example.fr"),
        ("SEUIL_EMAIL_PORT", "smtp"),
        ("SEUIL_EMAIL_BACKEND", "pigeon"),
        ("SEUIL_RESERVED_NAMES", "root,a b"),
        ("SEUIL_PORTAL_NAME", " "),
        ("SEUIL_UAI", "0341089Z"),
        ("SEUIL_UAI", "{UAI}0341089Z x"),
        ("SEUIL_EPPN_SCOPE", "not a domain"),
        ("DATABASE_URL", "mysql://root@localhost/seuil"),
        ("DATABASE_URL", "nonsense"),
    ],
)
def test_a_malformed_variable_stops_the_process_with_its_name(name: str, value: str) -> None:
    result = load(**{name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_production_requires_a_secret_key() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import seuil.settings"],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=False,
    )
    assert "SEUIL_SECRET_KEY is required" in result.stderr
