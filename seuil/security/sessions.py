"""Django's database sessions, written once per request.

Django's own store reserves a new session key at once, with a query to check it is free and an
INSERT of an empty row; the response then UPDATEs that row with the session's data. A sign-in thus
wrote its session twice, in two transactions. Here a new key is only chosen, and the row is
INSERTed once, with its data, when the response saves the session. The INSERT is still a forced
insert: a key already taken (2**165 keys: it does not happen) is refused by the primary key, never
overwritten, and another key is drawn.
"""

from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError
from django.utils.crypto import get_random_string


class SessionStore(db.SessionStore):
    _unsaved = False  # a key chosen, its row not yet inserted

    def create(self) -> None:
        self._session_key = get_random_string(32, VALID_KEY_CHARS)
        self._unsaved = True
        self.modified = True
        if not hasattr(self, "_session_cache"):  # as after Django's create(): nothing to load
            self._session_cache: dict[str, Any] = {}

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            self.create()
        if not self._unsaved:
            super().save(must_create=must_create)
            return
        while True:
            try:
                super().save(must_create=True)
            except CreateError:
                self._session_key = get_random_string(32, VALID_KEY_CHARS)
                continue
            self._unsaved = False
            return
