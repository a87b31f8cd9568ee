"""Django's database sessions, written once per request.

Django's own store reserves a new session key at once, with a query to check it is free and an
INSERT of an empty row; the response then UPDATEs that row with the session's data. A sign-in thus
wrote its session twice, in two transactions. Here a new key is only chosen, and the row is
INSERTed once, with its data, when the response saves the session. The INSERT is still a forced
insert: a key already taken (2**165 keys: it does not happen) is refused by the primary key, never
overwritten, and another key is drawn.

Both the INSERT and a later request's UPDATE run alone, in autocommit, unless the request is
already in a transaction: Django's store wraps each in a transaction of its own, which on SQLite
is two statements more (BEGIN IMMEDIATE, COMMIT) for a statement that is atomic by itself.
"""

import contextlib
from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import (
    VALID_KEY_CHARS,
    CreateError,
    SessionBase,
    UpdateError,
)
from django.db import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connections,
    router,
    transaction,
)
from django.utils.crypto import get_random_string


class KeyChosenAtCreate(SessionBase):
    """A new session only chooses its key; the store writes it once, with its data, when the
    response saves it (this store and security/cache_sessions.py)."""

    _unsaved = False  # a key chosen, not yet written

    def create(self) -> None:
        self._draw_key()
        self._unsaved = True
        self.modified = True
        if not hasattr(self, "_session_cache"):  # as after Django's create(): nothing to load
            self._session_cache: dict[str, Any] = {}

    def _draw_key(self) -> None:
        """A new key, at creation and again when the store finds the drawn one taken."""
        self._session_key = get_random_string(32, VALID_KEY_CHARS)


class SessionStore(KeyChosenAtCreate, db.SessionStore):
    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            self.create()
        if not self._unsaved:
            self._write(insert=must_create)
            return
        while True:
            try:
                self._write(insert=True)
            except CreateError:
                self._draw_key()
                continue
            self._unsaved = False
            return

    def _write(self, *, insert: bool) -> None:
        """Django's db.SessionStore.save, without a transaction of its own in autocommit (a
        savepoint inside one, so that a refused INSERT leaves the outer transaction usable)."""
        # _get_session is the store's own cache, which Django's save reads too (not in the stubs).
        data = self._get_session(no_load=insert)  # type: ignore[attr-defined]
        obj = self.create_model_instance(data)
        using = router.db_for_write(self.model, instance=obj)
        alone = not connections[using].in_atomic_block
        try:
            with contextlib.nullcontext() if alone else transaction.atomic(using=using):
                obj.save(force_insert=insert, force_update=not insert, using=using)
        except IntegrityError as error:
            if insert:
                raise CreateError from error
            raise
        except (OperationalError, InterfaceError):
            raise  # the database is away: the 503 page (core/outages.py), not "session deleted"
        except DatabaseError as error:
            if not insert:
                raise UpdateError from error
            raise
