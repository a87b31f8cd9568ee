"""The commands speak one language to operators: French by default, like the admin; English
under an English locale (LANG=en…)."""

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
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


# The console script's choice of language from the locale is shown once, above, in a process of
# its own; what each command then says in each language is shown in this process, which is what
# a subprocess would only load again.


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "Annuaire : SEUIL_LDAP_URL n'est pas défini, rien n'est publié."),
        ("en", "Directory: SEUIL_LDAP_URL is not set, nothing is provisioned."),
    ],
)
def test_check_directory_follows_the_language(language: str, expected: str, settings: Any) -> None:
    settings.SEUIL_LDAP_URL = ""
    out = StringIO()
    with translation.override(language):
        call_command("check_directory", "--dry-run", stdout=out)
    assert out.getvalue().strip() == expected


@pytest.mark.parametrize(
    ("language", "rules", "option"),
    [
        ("fr", "--dry-run s'arrête avant l'écriture", "n'écrire aucune entrée d'essai"),
        ("en", "--dry-run stops before the write", "write no probe entry"),
    ],
)
def test_help_states_the_rules_in_the_operators_language(
    language: str, rules: str, option: str
) -> None:
    from django.core.management import get_commands, load_command_class

    command = load_command_class(get_commands()["check_directory"], "check_directory")
    with translation.override(language):
        text = " ".join(command.create_parser("seuil", "check_directory").format_help().split())
    assert rules in text
    assert option in text


@pytest.mark.django_db
def test_load_demo_tells_what_to_try_in_french_then_english(settings: Any) -> None:
    settings.DEBUG = True  # load_demo refuses to print its passwords otherwise
    french = StringIO()
    call_command("load_demo", "--dry-run", stdout=french)
    assert "seuil est prêt à" in french.getvalue()
    assert "Connectez-vous à l'ENT" in french.getvalue()
    assert "(essai : rien n'a été écrit)" in french.getvalue()
    english = StringIO()
    with translation.override("en"):
        call_command("load_demo", "--dry-run", stdout=english)
    assert "things to try" in english.getvalue()
    assert "Sign in to the ENT" in english.getvalue()
    assert (
        "demo: 8 created, 0 updated, 0 unchanged (dry run: nothing written)" in english.getvalue()
    )


def _seuils_own_commands() -> list[str]:
    """seuil's commands, but not Django's that seuil only tunes (makemessages)."""
    found = sorted(ROOT.glob("seuil/*/management/commands/[!_]*.py"))
    return [path.stem for path in found if path.stem != "makemessages"]


@pytest.mark.parametrize("name", _seuils_own_commands())
def test_every_command_states_its_rules_in_french_and_in_english(name: str) -> None:
    from django.core.management import get_commands, load_command_class

    from seuil.core import commands

    command = load_command_class(get_commands()[name], name)
    assert isinstance(command, commands.Command), "its help is translated"
    with translation.override("fr"):
        french = _unwrapped(command.create_parser("seuil", name).format_help())
        rules = _unwrapped(str(command.rules))
    with translation.override("en"):
        english = _unwrapped(command.create_parser("seuil", name).format_help())
        assert _unwrapped(str(command.rules)) in english
    assert len(rules) > 100, "the command's rules, not a title"
    assert rules in french
    assert rules not in english, "the rules are translated"


def _unwrapped(text: str) -> str:
    """Without the whitespace argparse wraps with (it breaks lines after hyphens too)."""
    return "".join(text.split())


def test_oidc_key_speaks_french_then_english(tmp_path: Path) -> None:
    french = StringIO()
    call_command("oidc_key", str(tmp_path / "fr.pem"), stdout=french)
    assert f"écrite dans {tmp_path / 'fr.pem'}" in french.getvalue()
    with pytest.raises(CommandError, match=re.escape(f"impossible de créer {tmp_path / 'fr.pem'}")):
        call_command("oidc_key", str(tmp_path / "fr.pem"), stdout=StringIO())
    english = StringIO()
    with translation.override("en"):
        call_command("oidc_key", str(tmp_path / "en.pem"), stdout=english)
    assert f"written to {tmp_path / 'en.pem'}" in english.getvalue()


def test_saml_keys_speaks_french_then_english(tmp_path: Path) -> None:
    french = StringIO()
    call_command("saml_keys", str(tmp_path / "fr"), stdout=french)
    assert french.getvalue().strip() == (
        f"clés SAML de signature et de chiffrement écrites dans {tmp_path / 'fr'}"
    )
    with (
        translation.override("en"),
        pytest.raises(
            CommandError, match=re.escape(f"{tmp_path / 'fr'} already holds signing-key.pem")
        ),
    ):
        call_command("saml_keys", str(tmp_path / "fr"), stdout=StringIO())
