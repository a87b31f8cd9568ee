"""The commands speak one language to operators: French by default, like the admin; English
under an English locale (LANG=en…)."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from seuil.cli import operator_language

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({}, "fr"),
        ({"LANG": "C.UTF-8"}, "fr"),
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "en"}, "en"),
        ({"LANG": "fr_FR.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_ALL": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "en_US.UTF-8", "LC_ALL": ""}, "en"),
    ],
)
def test_the_locale_chooses_english_else_french(environ: dict[str, str], language: str) -> None:
    assert operator_language(environ) == language


@pytest.mark.django_db
def test_run_lifecycle_and_register_service_speak_french_then_english() -> None:
    out = StringIO()
    call_command("run_lifecycle", "--dry-run", stdout=out, stderr=StringIO())
    assert "rappel(s)" in out.getvalue()
    assert "essai : rien n'a changé" in out.getvalue()
    with translation.override("en"):
        out = StringIO()
        call_command("run_lifecycle", "--dry-run", stdout=out, stderr=StringIO())
        assert "reminder(s)" in out.getvalue()
        assert "dry run: nothing changed" in out.getvalue()
        out = StringIO()
        call_command("register_service", "Cours", "--url", "https://cours.example/",
                     "--theme", "pedagogie", "--for", "etudiant", stdout=out)  # fmt: skip
        assert out.getvalue().strip() == "service “Cours” created"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr_FR.UTF-8", "SEUIL_LDAP_URL n'est pas défini"),
        ("C.UTF-8", "SEUIL_LDAP_URL n'est pas défini"),
        ("en_US.UTF-8", "SEUIL_LDAP_URL is not set"),
    ],
)
def test_the_console_script_follows_lang(lang: str, expected: str, tmp_path: Path) -> None:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LC_", "SEUIL_LDAP"))},
        "LANG": lang,
        "SEUIL_ENV_FILE": "",
        "SEUIL_DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "seuil", "sync_directory"],
        cwd=ROOT, env=environment, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert expected in done.stderr
