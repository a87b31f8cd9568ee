"""A queue in a table, drained by workers on any host: the outbox's mail, the directory's changes.

A worker claims due rows with `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite serialises
writers anyway) and leases them: the claim moves `due_at` past the work and counts the attempt,
then commits, so that no transaction stays open while an outside system answers. Another worker
skips the locked rows and, after the commit, sees them as not due. A worker that dies releases its
rows when the lease ends; the attempt it spent still counts, so that a row that kills its worker
is not retried forever.

Each attempt ends with `succeeded()` or `failed(error)`: the error is recorded, the next attempt
waits `BACKOFF[attempts - 1]` (the last step repeats), and the row is dead after `MAX_ATTEMPTS`.
Dead rows stay, with their error, for an operator to read and `retry()`.
"""

from datetime import timedelta
from typing import Any, ClassVar, Self, TypeVar

from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ERROR_LENGTH = 300


class QueueState(models.TextChoices):
    PENDING = "pending", _("en attente")
    DONE = "done", _("traité")
    DEAD = "dead", _("abandonné")


T = TypeVar("T", bound="QueueItem")


class QueueQuerySet(models.QuerySet[T]):
    def pending(self) -> Self:
        return self.filter(state=QueueState.PENDING)

    def due(self) -> Self:
        return self.pending().filter(due_at__lte=timezone.now())

    def claim(self, limit: int) -> list[T]:
        """Take up to `limit` due rows, oldest first, that no other worker holds; lease them."""
        model: Any = self.model
        now = timezone.now()
        with transaction.atomic(using=self.db):
            rows = list(
                self.due()
                .order_by("due_at", "pk")
                # Lock this table's rows only, not those of a select_related join.
                .select_for_update(skip_locked=True, of=("self",))[:limit]
            )
            spent = [row for row in rows if row.attempts >= model.MAX_ATTEMPTS]
            if spent:  # a worker died on their last attempt
                model._default_manager.filter(pk__in=[row.pk for row in spent]).update(
                    state=QueueState.DEAD, last_error="interrupted during its last attempt"
                )
            claimed = [row for row in rows if row.attempts < model.MAX_ATTEMPTS]
            if claimed:
                model._default_manager.filter(pk__in=[row.pk for row in claimed]).update(
                    due_at=now + model.LEASE, attempts=F("attempts") + 1
                )
        for row in claimed:
            row.attempts += 1
            row.due_at = now + model.LEASE
        return claimed

    def retry(self) -> int:
        """Give dead rows a new series of attempts (an operator, once the cause is fixed)."""
        return self.filter(state=QueueState.DEAD).update(
            state=QueueState.PENDING, attempts=0, due_at=timezone.now()
        )


class QueueItem(models.Model):
    """A row of a queue. Subclasses may set BACKOFF, MAX_ATTEMPTS and LEASE."""

    BACKOFF: ClassVar[tuple[timedelta, ...]] = tuple(timedelta(minutes=m) for m in (1, 5, 15, 60))
    MAX_ATTEMPTS: ClassVar[int] = 10
    LEASE: ClassVar[timedelta] = timedelta(minutes=10)  # longer than any attempt takes

    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    due_at = models.DateTimeField(_("prochain essai"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("essais"), default=0)
    last_error = models.CharField(_("dernière erreur"), max_length=ERROR_LENGTH, blank=True)
    state = models.CharField(
        _("état"), max_length=8, choices=QueueState.choices, default=QueueState.PENDING
    )
    done_at = models.DateTimeField(_("traité le"), null=True, blank=True)

    class Meta:
        abstract = True
        # Only pending rows are ever looked up by date: the index stays small as rows are done.
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(state="pending"),
                name="%(app_label)s_%(class)s_due",
            )
        ]

    def succeeded(self) -> None:
        self.state, self.done_at, self.last_error = QueueState.DONE, timezone.now(), ""
        self._write("state", "done_at", "last_error")

    def failed(self, error: BaseException | str) -> timedelta | None:
        """Record the error; return the wait before the next attempt, None if the row is dead."""
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self.last_error = text[:ERROR_LENGTH]
        if self.attempts >= self.MAX_ATTEMPTS:
            self.state = QueueState.DEAD
            self._write("state", "last_error")
            return None
        delay = self.BACKOFF[min(self.attempts, len(self.BACKOFF)) - 1]
        self.due_at = timezone.now() + delay
        self._write("due_at", "last_error")
        return delay

    def _write(self, *fields: str) -> None:
        values = {name: getattr(self, name) for name in fields}
        type(self)._default_manager.filter(pk=self.pk).update(**values)
