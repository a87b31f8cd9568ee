"""The write path's record: which accounts changed, in the transaction that changed them.

Every change to what the outside world sees of an account or its person (the directory, the
single sign-on claims) leaves an AccountChange row, written with the change or not at all. A
worker (the directory's) drains them as a queue; `seuil.core.hooks` tells it right after the
commit. See docs/architecture.md.

The rows are written by a few methods only: `Account.save()` and `Person.save()` when a published
field changed (so the admin's and Django's own writes, such as the hash upgrade at sign-in, are
covered), their QuerySets' `update()`, `bulk_update()` and `bulk_create()`, and the import's raw
insert. A named operation (activation, purge…) wraps its writes in `recording(what)`, so that it
leaves one row per account, named after it, however many writes it takes.
"""

from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ClassVar, Self, TypeVar

from django.conf import settings
from django.db import connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from seuil.core import bulk, hooks
from seuil.core.queue import QueueItem, QueueQuerySet


class What(models.TextChoices):
    """What changed, by priority: a row names the first that applies."""

    REGISTER = "register", _("enregistrement")
    PURGE = "purge", _("suppression des données")
    LOCK = "lock", _("verrouillage ou déverrouillage")
    ACTIVATE = "activate", _("activation")
    STATE = "state", _("état")
    PASSWORD = "password", _("mot de passe")
    RECOVERY = "recovery", _("mail personnel")
    NAMES = "names", _("fiche (noms, statut, dates)")


# The account's published fields and what a change of each is called. Not published: last_login
# (so signing in writes no change), the pending address, the secret question, operator flags.
ACCOUNT_FIELDS: Mapping[str, What] = {
    "login": What.REGISTER,
    "mail": What.REGISTER,
    "purged_at": What.STATE,  # purge() records itself as a purge
    "locked_at": What.LOCK,
    "lock_reason": What.LOCK,
    "activated_at": What.ACTIVATE,
    "state": What.STATE,
    "state_since": What.STATE,
    "password": What.PASSWORD,
    "recovery_email": What.RECOVERY,
}
_PRIORITY = list(What)
# The ids recorded by the innermost `recording()` block of this thread, if any.
_batch: ContextVar[dict[int, None] | None] = ContextVar("seuil_account_changes", default=None)


def what_of(fields: Iterable[str], table: Mapping[str, What]) -> What | None:
    """What a write of these fields is called; None when none of them is published."""
    found = {table[name] for name in fields if name in table}
    return min(found, key=_PRIORITY.index) if found else None


class AccountChangeQuerySet(QueueQuerySet["AccountChange"]):
    def record(self, account_ids: Iterable[int], *, what: str) -> int:
        """Record that these accounts changed, in the caller's transaction; return how many.

        Inside a `recording()` block, the ids join the block's one record per account instead.
        """
        ids = dict.fromkeys(account_ids)
        batch = _batch.get()
        if batch is not None:
            batch.update(ids)
            return len(ids)
        return self._insert(list(ids), what)

    @contextmanager
    def recording(self, what: str) -> Iterator[None]:
        """One record per account named `what` for everything written inside the block, in one
        transaction; an enclosing block wins."""
        if _batch.get() is not None:
            yield
            return
        batch: dict[int, None] = {}
        # No savepoint inside a caller's transaction: nobody catches an error inside the block,
        # which then rolls back the whole transaction (two statements saved per activation).
        with transaction.atomic(using=self.db, savepoint=False):
            token = _batch.set(batch)
            try:
                yield
            finally:
                _batch.reset(token)
            self._insert(list(batch), what)

    def _insert(self, ids: list[int], what: str) -> int:
        if not ids:
            return 0
        connection = connections[self.db]
        meta = self.model._meta
        now = meta.get_field("created_at").get_db_prep_save(timezone.now(), connection)
        # Every column from the model: those this insert sets, the others at their defaults, so
        # that a field added to the model cannot be forgotten here (test_write_path.py).
        given = {"what": what, "created_at": now, "due_at": now}
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        values = [
            given[f.name] if f.name in given else f.get_db_prep_save(f.get_default(), connection)
            for f in fields
        ]
        columns = [str(f.column) for f in fields]
        at = columns.index("account_id")
        rows = [[*values[:at], pk, *values[at + 1 :]] for pk in ids]
        bulk.insert_rows(meta.db_table, columns, rows, using=self.db)
        hooks.accounts_changed(ids, using=self.db)
        return len(ids)


class AccountChange(QueueItem):
    """An account whose published data changed; the directory's queue."""

    MAX_ATTEMPTS = 48  # with hourly retries, two days of a directory being down

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="changes"
    )
    what = models.CharField(_("changement"), max_length=16, choices=What.choices)

    objects: ClassVar[AccountChangeQuerySet] = AccountChangeQuerySet.as_manager()  # type: ignore[assignment]

    class Meta(QueueItem.Meta):
        verbose_name = _("changement publié")
        verbose_name_plural = _("changements publiés")

    def __str__(self) -> str:
        return f"{self.what} #{self.account_id}"


_UNLOADED = object()
M = TypeVar("M", bound=models.Model)


class Published:
    """For a model whose fields the outside world sees: its saves record what they change.

    The values of the published fields are remembered when a row is loaded and after each save,
    so a save records only when one of them really changed: signing in (last_login) or saving
    an unchanged form writes nothing.
    """

    PUBLISHED: ClassVar[Mapping[str, What]]
    ACCOUNT_ID: ClassVar[str]  # the attribute that holds the account's id
    RECORD_INSERTS: ClassVar[bool]  # whether a new row is a registration
    _published: dict[str, Any]
    _state: Any
    pk: Any

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> Self:
        instance: Self = super().from_db(db, field_names, values, **kwargs)  # type: ignore[misc]
        instance._published = instance._published_now()
        return instance

    def _published_now(self) -> dict[str, Any]:
        return {name: self.__dict__.get(name, _UNLOADED) for name in self.PUBLISHED}

    def save(self, *args: Any, **kwargs: Any) -> None:
        what = self._what_is_saved(kwargs.get("update_fields"))
        if what is None:
            super().save(*args, **kwargs)  # type: ignore[misc]
        else:
            # One transaction with the caller's, without a savepoint: saves are frequent.
            with transaction.atomic(using=kwargs.get("using"), savepoint=False):
                super().save(*args, **kwargs)  # type: ignore[misc]
                AccountChange.objects.record([getattr(self, self.ACCOUNT_ID)], what=what)
        self._published = self._published_now()

    def _what_is_saved(self, update_fields: Iterable[str] | None) -> What | None:
        if self._state.adding:
            return What.REGISTER if self.RECORD_INSERTS else None
        before = getattr(self, "_published", {})
        now = self._published_now()
        names = self.PUBLISHED if update_fields is None else update_fields
        changed = [
            name
            for name in names
            if name in self.PUBLISHED and before.get(name, _UNLOADED) != now[name]
        ]
        return what_of(changed, self.PUBLISHED)


class PublishedQuerySet(models.QuerySet[M]):
    """The bulk writes of a Published model record the accounts they change."""

    def update(self, **kwargs: Any) -> int:
        model: Any = self.model
        what = what_of(kwargs, model.PUBLISHED)
        if what is None:
            return super().update(**kwargs)
        with transaction.atomic(using=self.db, savepoint=False):
            ids = list(self.values_list(model.ACCOUNT_ID, flat=True))
            count = super().update(**kwargs)
            AccountChange.objects.record(ids, what=what)
        return count

    def bulk_update(
        self, objs: Iterable[M], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        model: Any = self.model
        objs, fields = list(objs), list(fields)
        what = what_of(fields, model.PUBLISHED)
        if what is None or not objs:
            return super().bulk_update(objs, fields, batch_size)
        # Django's bulk_update runs update(), which records too: one row per account all the same.
        with AccountChange.objects.recording(what):
            count = super().bulk_update(objs, fields, batch_size)
            AccountChange.objects.record(
                [getattr(obj, model.ACCOUNT_ID) for obj in objs], what=what
            )
        return count

    def bulk_create(self, objs: Iterable[M], *args: Any, **kwargs: Any) -> list[M]:
        model: Any = self.model
        if not model.RECORD_INSERTS:
            return super().bulk_create(objs, *args, **kwargs)
        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(objs, *args, **kwargs)
            AccountChange.objects.record(
                [getattr(obj, model.ACCOUNT_ID) for obj in created], what=What.REGISTER
            )
        return created
