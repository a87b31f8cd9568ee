"""docs/directory.md's ppolicy example, run as written: wrong binds are limited at the directory,
and seuil's pushes live with it."""

import re
import time
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import ldap
import ldap.modlist
import pytest
from ldif import LDIFRecordList  # type: ignore[import-untyped]

from seuil.accounts.models import Account
from seuil.directory import sandbox
from seuil.directory.entries import dn_of
from seuil.directory.sandbox import Sandbox
from seuil.people.models import Person
from tests.conftest import need
from tests.test_directory import NEW, OLD, binds

pytestmark = pytest.mark.django_db(transaction=True)
DOC = Path(__file__).resolve().parent.parent / "docs" / "directory.md"


def block(language: str) -> str:
    """The page's one fenced block in `language`."""
    found = re.findall(rf"```{re.escape(language)}\n(.*?)```", DOC.read_text(), re.S)
    assert len(found) == 1, f"docs/directory.md has one ```{language} block"
    return str(found[0])


@pytest.fixture
def guarded(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A sandbox whose slapd.conf ends with the page's ppolicy lines, holding its policies."""
    need("slapd", sandbox.slapd_available(), "apt-get install slapd ldap-utils (.ci/run does)")
    monkeypatch.setattr(sandbox, "CONFIG", sandbox.CONFIG + "\n" + block("slapd.conf"))
    server = sandbox.start()
    try:
        conn = server.admin()
        records = LDIFRecordList(BytesIO(block("ldif").encode()))
        records.parse()
        for dn, entry in records.all_records:
            conn.add_s(dn, ldap.modlist.addModlist(entry))
        services = b"cn=services,ou=policies," + server.suffix.encode()
        conn.modify_s(server.bind_dn, [(ldap.MOD_ADD, "pwdPolicySubentry", [services])])
        conn.unbind_s()
        for name, value in server.settings().items():
            setattr(settings, name, value)
        yield server
    finally:
        server.stop()


def bind_as(server: Sandbox, dn: str, password: str) -> bool:
    conn = ldap.initialize(server.url)
    try:
        conn.simple_bind_s(dn, password)
        return True
    except ldap.INVALID_CREDENTIALS:
        return False
    finally:
        conn.unbind_s()


def locked(server: Sandbox, login: str) -> bool:
    """Whether slapd has recorded the entry's lock (pwdAccountLockedTime). ppolicy answers a
    failed bind before it records the failure; on a busy machine the next bind can come first
    (CI once bound with the right password then), so the lock is awaited, 10 s at most."""
    conn = server.admin()
    try:
        for _ in range(200):
            found = conn.search_s(dn_of(login), ldap.SCOPE_BASE, attrlist=["pwdAccountLockedTime"])
            if found and found[0][1].get("pwdAccountLockedTime"):
                return True
            time.sleep(0.05)
        return False
    finally:
        conn.unbind_s()


def test_five_wrong_binds_lock_the_entry_and_a_new_password_from_seuil_binds(
    guarded: Sandbox, make_person: Callable[..., Person]
) -> None:
    account = make_person(password=OLD).account
    assert binds(guarded, account.login, OLD)
    for _ in range(5):
        assert not binds(guarded, account.login, "Wrong4pass9")
    assert locked(guarded, account.login), "the fifth wrong bind locks the entry"
    assert not binds(guarded, account.login, OLD), "locked: the right password is refused too"

    Account.objects.get(pk=account.pk).replace_password(NEW)  # a reset, pushed at once
    assert binds(guarded, account.login, NEW), "a password changed in seuil lifts the lock"


def test_seuils_own_dn_is_not_locked_by_wrong_binds(
    guarded: Sandbox, make_person: Callable[..., Person]
) -> None:
    for _ in range(8):
        assert not bind_as(guarded, guarded.bind_dn, "guessing")
    assert bind_as(guarded, guarded.bind_dn, guarded.bind_password)
    account = make_person(password=OLD).account  # seuil still pushes
    assert binds(guarded, account.login, OLD)
