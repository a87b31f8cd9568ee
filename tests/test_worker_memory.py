"""A web worker starts without the libraries that only a rare page or command needs (#16): every
module a worker imports stays in its memory for as long as it lives, in each of the workers."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What a gunicorn worker does before its first request: load the application and its URLconf.
# Then one import the probe must see, so that an empty answer cannot pass for a lean worker.
WORKER = """
import sys
import seuil.wsgi
from django.urls import get_resolver
get_resolver().url_patterns
print(" ".join(sys.modules))
import seuil.activation.letter
print(" ".join(sys.modules))
"""
# reportlab and PIL draw the printed letters: the admin's action and `seuil issue_sesame`.
# python-ldap (and its pyasn1) talks to the directory: none here, SEUIL_LDAP_URL is unset.
# redis keeps the counters only with SEUIL_REDIS_URL, unset here too.
LAZY = {"reportlab", "PIL", "ldap", "_ldap", "pyasn1", "pyasn1_modules", "redis"}


# What a command does before it runs (cron's sync_directory and send_mail, every minute): set
# Django up, without the URLconf. Then the back channel's module, which needs pysaml2.
COMMAND = """
import sys
import django
django.setup()
print(" ".join(sys.modules))
import seuil.saml.backchannel
print(" ".join(sys.modules))
"""


def started_worker_modules(probe: str = WORKER) -> tuple[set[str], set[str]]:
    """The top-level packages a fresh worker has imported, then the same after the letter's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEUIL_")}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={
            **env,
            "SEUIL_ENV_FILE": "",
            "SEUIL_SECRET_KEY": "worker-memory-test-secret-key-0123456789abcdefghijklmnop",
            "SEUIL_OIDC_KEY_FILE": str(ROOT / "tests" / "data" / "oidc-test-key.pem"),
            "SEUIL_DEBUG": "false",
            "SEUIL_ALLOWED_HOSTS": "x",
            "DJANGO_SETTINGS_MODULE": "seuil.settings",
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    started, after = result.stdout.splitlines()
    return {n.split(".")[0] for n in started.split()}, {n.split(".")[0] for n in after.split()}


def test_a_worker_starts_without_the_libraries_of_rare_pages_and_commands() -> None:
    started, after_a_letter = started_worker_modules()
    assert {"django", "seuil"} <= started
    assert "reportlab" in after_a_letter, "the probe sees an import when there is one"
    loaded_at_start = sorted(started & LAZY)
    assert not loaded_at_start, "in every worker's memory, though few requests need them"


def test_a_command_starts_without_pysaml2() -> None:
    # Its schemas take 0.38 s of CPU to load, half of Django's set-up in every command.
    started, after_the_back_channel = started_worker_modules(COMMAND)
    assert {"django", "seuil"} <= started
    assert "saml2" in after_the_back_channel, "the probe sees an import when there is one"
    assert "saml2" not in started
