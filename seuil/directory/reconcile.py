"""`sync_directory --full`: make the whole people branch agree with seuil, whatever happened to it
(manual edits and deletions, a restored backup, a change lost before the write path existed).

The branch is read a page at a time (the paged-results control), each page compared with the
accounts it names; then the accounts the branch lacks are added. Entries seuil does not know are
reported, and deleted only when asked (`prune`).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ldap.dn
from django.utils.translation import gettext as _
from ldap.ldapobject import LDAPObject

from seuil.accounts.models import Account
from seuil.directory import client
from seuil.directory.client import Write
from seuil.directory.push import Pushed, plan, publishable

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


def login_of(dn: str) -> str | None:
    """The login an entry right under the people branch names, if it is named like seuil's
    entries: uid=<login>."""
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
    report = Report()
    seen: set[str] = set()
    for page in client.people(conn, "(objectClass=*)", page=BATCH):
        named = [(login_of(dn), dn, attrs) for dn, attrs in page]
        accounts = (
            publishable(Account.objects.all())
            .filter(login__in=[login for login, _dn, _attrs in named if login])
            .in_bulk(field_name="login")
        )
        writes: list[tuple[Any, Write]] = []
        for login, dn, attrs in named:
            account = accounts.get(login) if login else None
            if account is None or getattr(account, "person", None) is None:
                report.unknown.append(dn)
                if prune:
                    writes.append((dn, Write("delete", dn)))
                continue
            seen.add(account.login)
            write = plan(account, attrs)
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
