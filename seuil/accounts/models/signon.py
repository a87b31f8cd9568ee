"""The browser sessions signed in to an account, so that any host can end them all at once.

Django finds a session by its key, not by its person: a password reset or HR's lock could only
make the other sessions fail at their next request, and the services they signed in to never
heard of it. Each sign-in leaves one row here, named by a random sign-on identifier that the
session carries and that every ticket and token issued under it names; ending a row ends the
session on the server and tells the protocols (`seuil.core.hooks.after_session_end`).
"""

import secrets
from datetime import datetime, timedelta
from functools import partial
from importlib import import_module
from typing import Any, ClassVar

from django.conf import settings
from django.db import connections, models, transaction
from django.utils.translation import gettext_lazy as _

from seuil.core import hooks
from seuil.core.bulk import insert_statement, saved, write_together


def _store(session_key: str) -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key)


class SignOnQuerySet(models.QuerySet["SignOn"]):
    def open(
        self, *, account: Any, session_key: str, at: datetime, audit: models.Model | None = None
    ) -> "SignOn":
        """A new sign-on, the account's last_login and, given, the sign-in's audit row (an
        unsaved AuditEvent): on PostgreSQL one statement (a WITH of three writes), where the
        ORM sent three, each compiled, each a round trip and a commit; on SQLite, three plain
        statements. Rows past the absolute lifetime, whose sessions are gone, are deleted by
        `forget_past` (the nightly run_lifecycle), not here: a sign-in writes one row."""
        sign_on = self.model(
            id=secrets.token_hex(16), account=account, session_key=session_key, signed_in_at=at
        )
        using = self.db
        writes = [insert_statement(sign_on, using=using), _last_login(account, at, using)]
        if audit is not None:
            writes.append(insert_statement(audit, using=using))
        write_together(writes, using=using, atomic_on_sqlite=False)
        account.last_login = at
        saved([sign_on, audit], using=using)
        return sign_on

    def forget_past(self, now: datetime) -> int:
        return int(self.filter(signed_in_at__lt=now - lifetime()).delete()[0])

    def end(self, *, why: str, data: dict[str, Any] | None = None) -> int:
        """End these sessions, in one transaction (the caller's, if any): their rows, and what
        the protocols' handlers write (tokens revoked, tickets voided, logouts queued), so that
        a database that goes away half-way leaves every session as it was, never ended here and
        alive at a service. Each session's data is read first (unless `data` gives it, for the
        request's own session); after the commit, its store is emptied and the handlers' own
        after-commit work (the logouts sent) runs. Return how many."""
        rows = list(self.values_list("id", "account_id", "session_key"))
        if not rows:
            return 0
        ended = [
            hooks.EndedSession(account_id, sign_on, _data_of(session_key, data), why)
            for sign_on, account_id, session_key in rows
        ]
        with transaction.atomic(using=self.db):
            self.model.objects.filter(id__in=[row[0] for row in rows]).delete()
            hooks.sessions_ended(ended)
        if data is None:
            keys = [key for _, _, key in rows if key]
            transaction.on_commit(partial(_forget, keys), using=self.db, robust=True)
        return len(rows)


def _last_login(account: Any, at: datetime, using: str) -> tuple[str, list[Any]]:
    """The UPDATE of the account's last_login (not published: no AccountChange to record)."""
    connection = connections[using]
    field = account._meta.get_field("last_login")
    quote = connection.ops.quote_name
    pk = account._meta.pk
    # Only the model's own table and column names are interpolated; the values are parameters.
    sql = (
        f"UPDATE {quote(account._meta.db_table)} SET {quote(field.column)} = %s "  # noqa: S608 # nosec B608
        f"WHERE {quote(pk.column)} = %s"
    )
    return sql, [field.get_db_prep_save(at, connection), account.pk]


def _data_of(session_key: str, data: dict[str, Any] | None) -> dict[str, Any]:
    if data is not None:
        return data
    return dict(_store(session_key).load()) if session_key else {}


def _forget(session_keys: list[str]) -> None:
    """The ended sessions' stores, once their end is committed (the request's own session is
    flushed by its request)."""
    for key in session_keys:
        _store(key).delete(key)


def lifetime() -> timedelta:
    return timedelta(hours=settings.SEUIL_SESSION_MAX_HOURS)


class SignOn(models.Model):
    """One browser session signed in to an account: when, and under which session key."""

    id = models.CharField(primary_key=True, max_length=32, editable=False)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_ons"
    )
    # The key changes when the session cycles it (a password change keeps its own session).
    session_key = models.CharField(max_length=40)
    signed_in_at = models.DateTimeField(_("connecté le"))

    objects: ClassVar[SignOnQuerySet] = SignOnQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("session ouverte")
        verbose_name_plural = _("sessions ouvertes")
        indexes = [models.Index(fields=["signed_in_at"], name="sign_on_signed_in_at")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.signed_in_at:%Y-%m-%d %H:%M}"
