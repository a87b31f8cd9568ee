"""Pushing accounts' current entries: read what the directory holds, write only what differs.

Pushing the current state, not a replay of each change, makes a push idempotent: replaying it
changes nothing, and any number of changes to one account cost one write.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.db.models.base import ModelState
from django.utils.translation import gettext as _
from ldap.ldapobject import LDAPObject

from seuil.accounts.models import Account
from seuil.directory import client
from seuil.directory.client import Write
from seuil.directory.entries import (
    Entry,
    changes,
    dn_key,
    dn_of,
    entry_of,
    searched,
    uid_filter,
)
from seuil.people.attributes import PUBLISHED

SEARCH_BATCH = 200  # uids per search filter
# What password_of needs beyond the published attributes' fields.
PASSWORD_FIELDS = ("login", "password", "activated_at", "locked_at", "purged_at", "created_at")


def fields() -> list[str]:
    """What an entry is made of (seuil.people.attributes.PUBLISHED, entries.password_of):
    loading only these halves the cost of reading 100,000 accounts."""
    reads = [name for item in PUBLISHED for name in item.reads]
    return list(dict.fromkeys([*PASSWORD_FIELDS, *reads]))


def publishable(accounts: QuerySet[Account]) -> QuerySet[Account]:
    """Accounts with their person, loaded with what their entries need."""
    return accounts.select_related("person").only(*fields())


def snapshots(accounts: QuerySet[Account]) -> Iterator[Account]:
    """The accounts publishable() loads that have a person, for reading their entries only.

    The same fields, in one query, but each row is read as a tuple and becomes an Account and its
    Person the way unpickling makes model instances (Model.__new__, then the fields' values):
    without what Model.__init__ and from_db do for instances that may be saved (a loop over
    every field, the init signals, Published's copy of the saved values), which was a third of a
    full reconciliation's CPU. Fields left out are deferred, as only() leaves them: reading one
    loads it. The person's link back to its account is not set (nothing an entry is made of
    reads it), which leaves no reference cycle for the garbage collector to find.
    """
    person_model: Any = Account._meta.get_field("person").related_model
    needed = fields()
    own = ["pk", *(name for name in needed if "__" not in name)]
    theirs = ["pk", *(name.removeprefix("person__") for name in needed if "__" in name)]
    own_names = [_attname(Account, name) for name in own]
    their_names = [_attname(person_model, name) for name in theirs]
    split = len(own)
    rows = accounts.filter(person__isnull=False).values_list(
        *own, *(f"person__{name}" for name in theirs)
    )
    db = rows.db
    for row in rows:
        account = Account.__new__(Account)
        account.__dict__.update(zip(own_names, row[:split], strict=True))
        account._state = _loaded(db)
        person = person_model.__new__(person_model)
        person.__dict__.update(zip(their_names, row[split:], strict=True))
        person._state = _loaded(db)
        account._state.fields_cache["person"] = person
        yield account


def _attname(model: Any, name: str) -> str:
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    return str(field.attname)


def _loaded(db: str) -> ModelState:
    state = ModelState()
    state.adding, state.db = False, db
    return state


@dataclass
class Pushed:
    added: int = 0
    modified: int = 0
    deleted: int = 0
    unchanged: int = 0
    # account pk: the directory's message, for the writes it refused
    refused: dict[Any, str] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        name = _COUNTERS[kind]
        setattr(self, name, getattr(self, name) + 1)

    def summary(self) -> str:
        return _(
            "%(added)d ajouté(s), %(modified)d modifié(s), %(deleted)d supprimé(s), "
            "%(unchanged)d inchangé(s), %(refused)d refusé(s)"
        ) % {
            "added": self.added,
            "modified": self.modified,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "refused": len(self.refused),
        }


_COUNTERS = {"add": "added", "modify": "modified", "delete": "deleted"}


def plan(account: Any, current: Entry | None, today: date | None = None) -> Write | None:
    """The one write that makes the directory agree with seuil about this account, if any."""
    desired = entry_of(account, today)
    if desired is None:
        return Write("delete", dn_of(account.login)) if current is not None else None
    if current is None:
        return Write("add", dn_of(account.login), desired)
    mods = changes(current, desired)
    return Write("modify", dn_of(account.login), mods) if mods else None


def current_entries(conn: LDAPObject, logins: Sequence[str]) -> dict[str, Entry]:
    """What the directory holds at each login's DN (uid=<login>,<people>), by login."""
    found: dict[str, Entry] = {}
    for start in range(0, len(logins), SEARCH_BATCH):
        batch = list(logins[start : start + SEARCH_BATCH])
        wanted = {dn_key(dn_of(login)): login for login in batch}
        for page in client.people(conn, uid_filter(batch), attrs=searched()):
            for dn, attrs in page:
                login = wanted.get(dn_key(dn))
                if login is not None:  # an entry elsewhere with this uid is not this account's
                    found[login] = attrs
    return found


def push(conn: LDAPObject, accounts: Sequence[Any], *, dry_run: bool = False) -> Pushed:
    """Make the directory hold these accounts' current entries (accounts with their person)."""
    result = Pushed()
    current = current_entries(conn, [account.login for account in accounts])
    writes: list[tuple[Any, Write]] = []
    for account in accounts:
        write = plan(account, current.get(account.login))
        if write is None:
            result.unchanged += 1
        else:
            writes.append((account.pk, write))
    outcomes = {} if dry_run else client.write_all(conn, writes)
    for pk, write in writes:
        error = outcomes.get(pk)
        if error is None:
            result.count(write.kind)
        else:
            result.refused[pk] = error
    return result
