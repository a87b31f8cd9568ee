"""`seuil oidc_key` and SEUIL_OIDC_KEY_FILE: the signing key is made once and required in
production."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parent.parent


def test_it_writes_a_private_key_readable_by_its_owner_only_and_never_overwrites(
    tmp_path: Path,
) -> None:
    path = tmp_path / "key.pem"
    out = StringIO()
    call_command("oidc_key", str(path), stdout=out)
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert path.stat().st_mode & 0o777 == 0o600
    assert f"écrite dans {path}" in out.getvalue()
    before = path.read_bytes()
    with pytest.raises(CommandError, match="impossible de créer"):
        call_command("oidc_key", str(path), stdout=StringIO())
    assert path.read_bytes() == before


def clean_environment(**env: str) -> dict[str, str]:
    """This environment, without the suite's SEUIL_* variables, and without a .env file."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SEUIL_")}
    return {**clean, "SEUIL_ENV_FILE": "", "SEUIL_SECRET_KEY": "x" * 50, **env}


def settings_error(*command: str, **env: str) -> str:
    """What `command` says in a clean process with this environment: its last line of error, ""
    when it succeeds."""
    result = subprocess.run(
        list(command),
        env=clean_environment(**env),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    return result.stderr.strip().splitlines()[-1] if result.returncode else ""


# Each configuration's environment in turn, then the settings imported afresh: one Python start
# and one import of Django for them all (a process each cost ~0.2 s). Only a refusal is caught,
# and told with its class; anything else stops the process and fails the test. On stdin, not in
# argv, which the settings read.
IMPORT_SETTINGS_IN_EACH = """
import importlib, json, os, sys
from django.core.exceptions import ImproperlyConfigured
for environment in json.load(sys.stdin):
    os.environ.clear()
    os.environ.update(environment)
    sys.modules.pop("seuil.settings", None)
    try:
        importlib.import_module("seuil.settings")
    except ImproperlyConfigured as refusal:
        print(json.dumps(f"{type(refusal).__name__}: {refusal}"))
    else:
        print(json.dumps(""))
"""


def settings_errors(*configurations: dict[str, str]) -> list[str]:
    """What importing the settings says in each configuration, in one clean process:
    "ImproperlyConfigured: <why>", or "" when they load."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_SETTINGS_IN_EACH],
        input=json.dumps([clean_environment(**env) for env in configurations]),
        env=clean_environment(),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_production_refuses_to_start_without_a_signing_key(tmp_path: Path) -> None:
    serve = [sys.executable, "-c", "import seuil.wsgi"]  # what gunicorn loads
    assert "SEUIL_OIDC_KEY_FILE is required" in settings_error(*serve)
    production = {"PATH": os.environ["PATH"], "SEUIL_SECRET_KEY": "x" * 50, "SEUIL_ENV_FILE": ""}
    check = subprocess.run(
        [sys.executable, "-m", "seuil", "check"],
        env={**production, "SEUIL_DEBUG": "false"},
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert check.returncode != 0, "every command but oidc_key runs the checks"
    assert "seuil.E003" in check.stderr
    assert "SEUIL_OIDC_KEY_FILE is required" in check.stderr
    (tmp_path / "cert.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    missing, certificate, key, debug = settings_errors(
        {"SEUIL_OIDC_KEY_FILE": str(tmp_path / "missing.pem")},
        {"SEUIL_OIDC_KEY_FILE": str(tmp_path / "cert.pem")},
        {"SEUIL_OIDC_KEY_FILE": str(ROOT / "tests/data/oidc-test-key.pem")},
        {"SEUIL_DEBUG": "true"},
    )
    assert missing.startswith("ImproperlyConfigured: SEUIL_OIDC_KEY_FILE: cannot read")
    assert certificate.startswith("ImproperlyConfigured: SEUIL_OIDC_KEY_FILE:")
    assert certificate.endswith("is not a PEM private key")
    assert (key, debug) == ("", "")


def test_the_documented_way_to_make_the_key_runs_on_a_production_configuration(
    tmp_path: Path,
) -> None:
    key = tmp_path / "oidc-key.pem"
    make = [sys.executable, "-m", "seuil", "oidc_key", str(key)]
    assert settings_error(*make, DATABASE_URL=f"sqlite:///{tmp_path / 'none.sqlite3'}") == ""
    assert key.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    serve = [sys.executable, "-c", "import seuil.wsgi"]
    assert settings_error(*serve, SEUIL_OIDC_KEY_FILE=str(key)) == ""
