"""`sync_directory --full`: make the whole people branch agree with seuil, whatever happened to it
(manual edits and deletions, a restored backup, a change lost before the write path existed).

The branch is read a page at a time (the paged-results control), each page compared with the
accounts it names; then the accounts the branch lacks are added. Entries seuil does not know are
reported, and deleted only when asked (`prune`).
"""

import contextlib
import gc
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import ldap.dn
from django.utils.translation import gettext as _
from ldap.ldapobject import LDAPObject

from seuil.accounts.models import Account
from seuil.directory import client
from seuil.directory.client import Write
from seuil.directory.entries import searched
from seuil.directory.push import Pushed, plan, publishable, snapshots
from seuil.people.attributes import institution_today

BATCH = 1000


@dataclass
class Report(Pushed):
    read: int = 0
    unknown: list[str] = field(default_factory=list)
    pruned: int = 0

    def summary(self) -> str:
        return _(
            "%(read)d entrée(s) lue(s) : %(added)d ajoutée(s), %(modified)d modifiée(s), "
            "%(deleted)d supprimée(s), %(unchanged)d inchangée(s), %(unknown)d inconnue(s) "
            "(%(pruned)d supprimée(s) par --prune), %(refused)d refusée(s)"
        ) % {
            "read": self.read,
            "added": self.added,
            "modified": self.modified,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "unknown": len(self.unknown),
            "pruned": self.pruned,
            "refused": len(self.refused),
        }


# A login as seuil makes them, which a DN holds unescaped: `uid=<it>,` needs no DN parsing.
_PLAIN_UID = re.compile(r"[uU][iI][dD]=([A-Za-z0-9._-]+),")


def login_of(dn: str) -> str | None:
    """The login an entry right under the people branch names, if it is named like seuil's
    entries: uid=<login>."""
    plain = _PLAIN_UID.match(dn)
    if plain is not None:
        return plain.group(1).lower()
    try:
        rdn = ldap.dn.str2dn(dn)[0]
    except (ldap.DECODING_ERROR, IndexError):
        return None
    if len(rdn) != 1 or rdn[0][0].lower() != "uid":
        return None
    return str(rdn[0][1]).lower()


def reconcile(
    conn: LDAPObject,
    *,
    dry_run: bool = False,
    prune: bool = False,
    progress: Callable[[Report], None] | None = None,
) -> Report:
    with _collector_paused():
        return _reconcile(conn, dry_run=dry_run, prune=prune, progress=progress)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while the branch is read. Reference counting frees each page
    (lists and dicts of bytes, model instances without a link back), so the collector found
    nothing there; but it ran each time 700 objects had been made, and walked the whole
    process (Django, the page being read) at every full collection: a fifth of the CPU of an
    idle --full of 100,000 entries, for 2,000 objects of cyclic garbage in the whole run."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _reconcile(
    conn: LDAPObject,
    *,
    dry_run: bool,
    prune: bool,
    progress: Callable[[Report], None] | None,
) -> Report:
    report = Report()
    seen: set[str] = set()
    for page in client.people(conn, "(objectClass=*)", page=BATCH, attrs=searched()):
        named = [(login_of(dn), dn, attrs) for dn, attrs in page]
        logins = [login for login, _dn, _attrs in named if login]
        accounts = {a.login: a for a in snapshots(Account.objects.filter(login__in=logins))}
        today = institution_today()  # once a page: the day every entry of the page is made for
        writes: list[tuple[Any, Write]] = []
        for login, dn, attrs in named:
            account = accounts.get(login) if login else None
            if account is None:  # no such account, or an operator's (no person): not seuil's
                report.unknown.append(dn)
                if prune:
                    writes.append((dn, Write("delete", dn)))
                continue
            seen.add(account.login)
            write = plan(account, attrs, today)
            if write is None:
                report.unchanged += 1
            else:
                writes.append((account.pk, write))
        report.read += len(page)
        _apply(conn, writes, report, dry_run)
        if progress:
            progress(report)
    _add_missing(conn, seen, report, dry_run, progress)
    return report


def _add_missing(
    conn: LDAPObject,
    seen: set[str],
    report: Report,
    dry_run: bool,
    progress: Callable[[Report], None] | None,
) -> None:
    people = Account.objects.filter(person__isnull=False, purged_at__isnull=True)
    missing = [
        pk for pk, login in people.values_list("pk", "login").iterator(5000) if login not in seen
    ]
    for start in range(0, len(missing), BATCH):
        chunk = publishable(Account.objects.all()).filter(pk__in=missing[start : start + BATCH])
        writes: list[tuple[Any, Write]] = []
        for account in chunk:
            write = plan(account, None)
            if write is not None:
                writes.append((account.pk, write))
        _apply(conn, writes, report, dry_run)
        if progress:
            progress(report)


def _apply(
    conn: LDAPObject, writes: list[tuple[Any, Write]], report: Report, dry_run: bool
) -> None:
    outcomes = {} if dry_run else client.write_all(conn, writes)
    for key, write in writes:
        error = outcomes.get(key)
        if error is not None:
            report.refused[key] = error
        elif isinstance(key, str):  # an unknown entry, pruned
            report.pruned += 1
        else:
            report.count(write.kind)
