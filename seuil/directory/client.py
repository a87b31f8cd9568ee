"""The connection to the directory, with python-ldap (OpenLDAP's libldap)."""

import contextlib
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import ldap
from django.conf import settings
from ldap.controls import SimplePagedResultsControl
from ldap.ldapobject import LDAPObject

from seuil.directory.config import configured as configured  # its callers say client.configured()
from seuil.directory.entries import Entry

TIMEOUT = 10  # seconds to connect, and to wait for one answer (a page of 1,000 entries)
WINDOW = 64  # writes in flight on one connection: round trips overlap, the server stays fed


class DirectoryDown(Exception):
    """The directory could not be reached, or refused seuil's own bind: nothing was pushed."""


def message(error: ldap.LDAPError) -> str:
    """The directory's own words: its result description and its diagnostic message."""
    details: Any = error.args[0] if error.args else {}
    if not isinstance(details, dict):
        return str(error)
    words = [str(details.get("desc", "")), str(details.get("info", ""))]
    return ": ".join(word for word in words if word) or type(error).__name__


def open_connection(timeout: float = TIMEOUT) -> LDAPObject:
    """A connection to SEUIL_LDAP_URL, over TLS when configured; not bound yet."""
    conn = ldap.initialize(settings.SEUIL_LDAP_URL)
    conn.set_option(ldap.OPT_PROTOCOL_VERSION, ldap.VERSION3)
    conn.set_option(ldap.OPT_REFERRALS, 0)
    conn.set_option(ldap.OPT_NETWORK_TIMEOUT, timeout)
    conn.set_option(ldap.OPT_TIMEOUT, timeout)
    conn.timeout = timeout  # python-ldap's wait for each answer; write_all and people use it too
    if settings.SEUIL_LDAP_CA_FILE:
        conn.set_option(ldap.OPT_X_TLS_CACERTFILE, settings.SEUIL_LDAP_CA_FILE)
        conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
        conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
    if settings.SEUIL_LDAP_STARTTLS:
        conn.start_tls_s()
    return conn


def connect(timeout: float = TIMEOUT) -> LDAPObject:
    """A connection bound as seuil (SEUIL_LDAP_BIND_DN)."""
    try:
        conn = open_connection(timeout)
    except ldap.LDAPError as error:
        raise DirectoryDown(message(error)) from None
    try:
        conn.simple_bind_s(settings.SEUIL_LDAP_BIND_DN, settings.SEUIL_LDAP_BIND_PASSWORD)
    except ldap.LDAPError as error:
        conn.unbind_s()
        raise DirectoryDown(message(error)) from None
    return conn


def people(
    conn: LDAPObject, filterstr: str, page: int = 1000, attrs: Sequence[str] = ("*",)
) -> Iterator[list[tuple[str, Entry]]]:
    """The entries right under the people branch matching a filter, a page at a time, with the
    attributes asked for. The next page is asked for as soon as this one's cookie is known,
    before this one is handed over: the directory reads it while seuil compares this one."""
    control = SimplePagedResultsControl(True, size=page, cookie="")
    attrlist = list(attrs)

    def ask() -> int:
        msgid: int = conn.search_ext(
            settings.SEUIL_LDAP_PEOPLE_DN,
            ldap.SCOPE_ONELEVEL,
            filterstr,
            attrlist,
            serverctrls=[control],  # encoded now: the cookie may change afterwards
        )
        return msgid

    pending: int | None = ask()
    try:
        while pending is not None:
            _type, results, _msgid, controls = conn.result3(pending, timeout=conn.timeout)
            pending = None
            cookies = [c.cookie for c in controls if c.controlType == control.controlType]
            if cookies and cookies[0]:
                control.cookie = cookies[0]
                pending = ask()
            yield [(dn, attrs) for dn, attrs in results if dn]
    finally:
        if pending is not None:  # the caller stopped early: the server may drop that page
            with contextlib.suppress(ldap.LDAPError):
                conn.abandon_ext(pending)


@dataclass
class Write:
    kind: str  # add, modify, delete
    dn: str
    changes: Any = None


def write_all(conn: LDAPObject, writes: list[tuple[Any, Write]]) -> dict[Any, str | None]:
    """Send the writes pipelined; each key's outcome is None, or the directory's message when it
    refused that one. A lost connection raises DirectoryDown."""
    outcomes: dict[Any, str | None] = {}
    inflight: deque[tuple[int, Any]] = deque()

    def collect() -> None:
        msgid, key = inflight.popleft()
        try:
            conn.result3(msgid, timeout=conn.timeout)
            outcomes[key] = None
        except (ldap.SERVER_DOWN, ldap.TIMEOUT, ldap.CONNECT_ERROR) as error:
            raise DirectoryDown(message(error)) from None
        except ldap.LDAPError as error:
            outcomes[key] = message(error)

    try:
        for key, write in writes:
            if write.kind == "add":
                msgid = conn.add_ext(write.dn, list(write.changes.items()))
            elif write.kind == "modify":
                msgid = conn.modify_ext(write.dn, write.changes)
            else:
                msgid = conn.delete_ext(write.dn)
            inflight.append((msgid, key))
            if len(inflight) >= WINDOW:
                collect()
        while inflight:
            collect()
    except (ldap.SERVER_DOWN, ldap.TIMEOUT, ldap.CONNECT_ERROR) as error:
        raise DirectoryDown(message(error)) from None
    return outcomes
