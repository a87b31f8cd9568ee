"""`seuil check_directory` says precisely what is wrong with the directory's configuration, and
Django's `seuil check` stays Django's: it never connects to the directory."""

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from seuil.directory import sandbox
from seuil.directory.sandbox import Sandbox

pytestmark = pytest.mark.django_db


def test_a_sound_directory_passes(directory: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("check_directory")
    assert "{ARGON2} binds are all right" in capsys.readouterr().out
    conn = directory.admin()
    assert not conn.search_s(directory.people_dn, 1, attrlist=["1.1"]), "the probe is removed"
    conn.unbind_s()


def test_without_a_directory_it_says_nothing_is_provisioned(
    capsys: pytest.CaptureFixture[str], settings: Any
) -> None:
    settings.SEUIL_LDAP_URL = ""
    call_command("check_directory")
    assert "nothing is provisioned" in capsys.readouterr().out


def test_a_wrong_password_is_named(directory: Sandbox, settings: Any) -> None:
    settings.SEUIL_LDAP_BIND_PASSWORD = "wrong"
    with pytest.raises(CommandError, match=r"Cannot bind .* as cn=seuil.*Invalid credentials"):
        call_command("check_directory")


def test_a_missing_people_branch_is_named(directory: Sandbox, settings: Any) -> None:
    settings.SEUIL_LDAP_PEOPLE_DN = f"ou=personnes,{directory.suffix}"
    with pytest.raises(CommandError, match=r"ou=personnes.* does not exist"):
        call_command("check_directory")


def test_a_directory_without_the_argon2_module_is_caught(settings: Any, directory: Sandbox) -> None:
    bare = sandbox.start(argon2=False)
    try:
        for name, value in bare.settings().items():
            setattr(settings, name, value)
        with pytest.raises(CommandError, match=r"moduleload argon2"):
            call_command("check_directory")
    finally:
        bare.stop()


def test_a_dry_run_stops_before_the_probe(
    settings: Any, directory: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = sandbox.start(argon2=False)  # only the probe's write and bind can tell
    try:
        for name, value in bare.settings().items():
            setattr(settings, name, value)
        call_command("check_directory", "--dry-run")
        assert "dry run: no probe" in capsys.readouterr().out
        with pytest.raises(CommandError, match=r"moduleload argon2"):
            call_command("check_directory")
    finally:
        bare.stop()


def test_djangos_check_does_not_touch_the_directory(
    directory: Sandbox, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.SEUIL_LDAP_BIND_PASSWORD = "wrong"  # a probe would fail with it
    call_command("check")
    out = capsys.readouterr().out
    assert "System check identified no issues" in out
    assert "Directory" not in out
