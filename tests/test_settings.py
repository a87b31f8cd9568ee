"""Every SEUIL_* variable fails loudly when malformed, instead of running with another meaning."""

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

BASE = {
    "SEUIL_SECRET_KEY": "k" * 50,
    "SEUIL_OIDC_KEY_FILE": str(Path(__file__).parent / "data" / "oidc-test-key.pem"),
    "PATH": os.environ["PATH"],
    "SEUIL_ENV_FILE": "",
}


# Each case is a process of its own that imports the settings with its environment and stops or
# not; starting 30 interpreters cost 15 s. One starts, loads what the settings import, and
# forks a child per case: the child replaces the environment, then imports seuil.settings.
FORKS = """
import json, os, sys, traceback
import dj_database_url, django_stubs_ext, django.core.exceptions, ldap.dn, zoneinfo
for line in sys.stdin:
    case = json.loads(line)
    out, err = os.pipe(), os.pipe()
    pid = os.fork()
    if pid == 0:
        os.dup2(out[1], 1)
        os.dup2(err[1], 2)
        os.environ.clear()
        os.environ.update(case["env"])
        code = 0
        try:
            exec(case["code"])
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    os.close(out[1])
    os.close(err[1])
    texts = [os.fdopen(fd, encoding="utf-8", errors="replace").read() for fd in (out[0], err[0])]
    status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    print(json.dumps({"returncode": status, "stdout": texts[0], "stderr": texts[1]}), flush=True)
"""


@pytest.fixture(scope="module")
def forks() -> Iterator["subprocess.Popen[str]"]:
    server = subprocess.Popen(
        [sys.executable, "-c", FORKS], env=BASE, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    yield server
    assert server.stdin is not None
    server.stdin.close()
    server.wait(timeout=10)


Load = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def load(forks: "subprocess.Popen[str]") -> Load:
    """Import the settings in a process of its own, with BASE and these variables only; or, given
    `environment`, with that one alone."""

    def run(
        code: str = "import seuil.settings", environment: dict[str, str] | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        assert forks.stdin is not None
        assert forks.stdout is not None
        environment = {**BASE, **env} if environment is None else environment
        forks.stdin.write(json.dumps({"env": environment, "code": code}) + "\n")
        forks.stdin.flush()
        done = json.loads(forks.stdout.readline())
        return subprocess.CompletedProcess(
            ["import seuil.settings"], done["returncode"], done["stdout"], done["stderr"]
        )

    return run


def test_the_defaults_load(load: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    assert load().returncode == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SEUIL_DEBUG", "maybe"),
        ("SEUIL_TIME_ZONE", "Paris"),
        ("SEUIL_LETTER_LOGO", "/nonexistent/logo.png"),
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
        ("SEUIL_DATABASE_PREPARE_AFTER", "often"),
        ("SEUIL_DATABASE_PREPARE_AFTER", "-1"),
    ],
)
def test_a_malformed_variable_stops_the_process_with_its_name(
    load: Callable[..., subprocess.CompletedProcess[str]], name: str, value: str
) -> None:
    result = load(**{name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_postgresql_prepares_the_statements_it_runs_often_unless_told_not_to(load: Load) -> None:
    code = "import seuil.settings as s; print(s.DATABASES['default'].get('OPTIONS'))"
    url = "postgresql://seuil@db.example.fr/seuil"
    assert load(code, DATABASE_URL=url).stdout.strip() == str(
        {"server_side_binding": True, "prepare_threshold": 5}
    )
    assert "'prepare_threshold': 2" in load(code, DATABASE_URL=url,
                                            SEUIL_DATABASE_PREPARE_AFTER="2").stdout  # fmt: skip
    # For PgBouncer's transaction mode before 1.21: Django's default, client-side binding.
    assert load(code, DATABASE_URL=url, SEUIL_DATABASE_PREPARE_AFTER="0").stdout.strip() == "None"


# These run in an environment without BASE's variables, in a process of their own forked like the
# others': each was an interpreter of its own, whose start and import of Django cost ~0.2 s more.


def test_production_requires_a_secret_key(load: Load) -> None:
    result = load(environment={"PATH": os.environ["PATH"], "SEUIL_ENV_FILE": ""})  # not .env's
    assert result.returncode != 0
    assert "SEUIL_SECRET_KEY is required" in result.stderr


def settings_seen(load: Load, env_file: Path, **env: str) -> subprocess.CompletedProcess[str]:
    code = "from django.conf import settings as s; print(s.DEBUG, s.SECRET_KEY, s.EMAIL_BACKEND)"
    return load(
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'seuil.settings'; "
        f"django.setup(); {code}",
        environment={"PATH": os.environ["PATH"], "SEUIL_ENV_FILE": str(env_file), **env},
    )


def test_make_runs_env_file_gives_every_terminal_the_servers_settings(
    load: Load, tmp_path: Path
) -> None:
    """A command in a new terminal used to crash for want of SEUIL_SECRET_KEY."""
    env_file = tmp_path / ".env"
    env_file.write_text("# make run\nSEUIL_DEBUG=true\nSEUIL_SECRET_KEY=from-the-file-0123456789"
                        "\nSEUIL_EMAIL_BACKEND=console\n")  # fmt: skip
    seen = settings_seen(load, env_file)
    assert seen.stdout.split() == [
        "True",
        "from-the-file-0123456789",
        "django.core.mail.backends.console.EmailBackend",
    ], seen.stderr
    assert (
        settings_seen(load, env_file, SEUIL_SECRET_KEY="env-wins").stdout.split()[1] == "env-wins"
    )


def test_a_env_file_is_for_development_only(load: Load, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("SEUIL_SECRET_KEY=production-key-0123456789\n")
    refused = settings_seen(load, env_file)
    assert refused.returncode != 0
    assert "does not set SEUIL_DEBUG=true" in refused.stderr
    env_file.write_text("SEUIL_DEBUG=true\nPATH=/tmp\n")
    assert "expected SEUIL_NAME=value" in settings_seen(load, env_file).stderr


def test_make_run_writes_a_private_env_with_a_generated_key(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    target = tmp_path / ".env"
    made = subprocess.run(["make", "-s", "-f", str(root / "Makefile"), "-C", str(tmp_path), ".env"],
                          check=True, capture_output=True, text=True)  # fmt: skip
    assert made.returncode == 0
    text = target.read_text()
    assert "SEUIL_DEBUG=true" in text
    assert "SEUIL_EMAIL_BACKEND=console" in text
    key = next(line for line in text.splitlines() if line.startswith("SEUIL_SECRET_KEY="))
    assert len(key) > 60
    assert target.stat().st_mode & 0o077 == 0, "only its owner reads the key"


LDAP = {
    "SEUIL_LDAP_URL": "ldaps://ldap.example.fr",
    "SEUIL_LDAP_BIND_DN": "cn=seuil,ou=services,dc=example,dc=fr",
    "SEUIL_LDAP_BIND_PASSWORD": "secret",
    "SEUIL_LDAP_PEOPLE_DN": "ou=people,dc=example,dc=fr",
}


def test_a_complete_directory_configuration_loads(
    load: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Any
) -> None:
    assert load(**LDAP).returncode == 0
    secret = tmp_path / "ldap-password"
    secret.write_text("from-a-file\n")
    from_file = {**LDAP, "SEUIL_LDAP_BIND_PASSWORD_FILE": str(secret)}
    del from_file["SEUIL_LDAP_BIND_PASSWORD"]
    done = load("from seuil import settings; print(settings.SEUIL_LDAP_BIND_PASSWORD)", **from_file)
    assert done.stdout == "from-a-file\n", done.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SEUIL_LDAP_URL", "http://ldap.example.fr"),
        ("SEUIL_LDAP_BIND_DN", "not a dn"),
        ("SEUIL_LDAP_BIND_DN", ""),
        ("SEUIL_LDAP_PEOPLE_DN", "people"),
        ("SEUIL_LDAP_BIND_PASSWORD", ""),
        ("SEUIL_LDAP_BIND_PASSWORD_FILE", "/nonexistent/ldap-password"),
        ("SEUIL_LDAP_STARTTLS", "true"),
        ("SEUIL_LDAP_CA_FILE", "/nonexistent/ca.pem"),
    ],
)
def test_a_malformed_directory_setting_stops_the_process_with_its_name(
    load: Callable[..., subprocess.CompletedProcess[str]], name: str, value: str
) -> None:
    env = {**LDAP, name: value}
    if name == "SEUIL_LDAP_BIND_PASSWORD_FILE":
        del env["SEUIL_LDAP_BIND_PASSWORD"]
    result = load(**env)
    assert result.returncode != 0
    assert name in result.stderr
