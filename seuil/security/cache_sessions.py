"""Django's cache sessions (in Redis with SEUIL_REDIS_URL), written in one round trip, and never
taken for "no session" when Redis is unreachable.

- **Outages.** Django's cache store treats any error while loading a session as "no session"
  (some cache backends raise on a malformed key), so with Redis away a signed-in person looked
  signed out: sent to the sign-in page, told a reset link was invalid, a validation started over.
  Here an unreachable Redis is raised instead, and the person gets the 503 page
  (core/outages.py), as for every other request that needs Redis; a malformed key still means no
  session.
- **One write per request.** Django's store reserved a new key with two round trips (EXISTS, then
  SET NX of an empty session) and saved the data at the response with two more (GET to check
  the session still exists, then SET): a sign-in spent four round trips on its session, and
  every signed-in request two on its save. Here a new key is only chosen, and written once, with
  its data, by SET NX at the response (a key already taken, 2**165 keys, is refused and another
  drawn, never overwritten); an existing session is saved by one SET XX, which writes only if the
  session still exists. So a session ended meanwhile (signed out elsewhere, a password reset) is
  not brought back by a request still in flight, as Django's GET-then-SET meant to do, without
  its window between the two.
"""

from typing import Any

from django.contrib.sessions.backends import cache
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.core.cache.backends.redis import RedisCache

from seuil.core.outages import store_away
from seuil.security.sessions import KeyChosenAtCreate


class SessionStore(KeyChosenAtCreate, cache.SessionStore):
    def load(self) -> dict[str, Any]:
        try:
            data = self._cache.get(self.cache_key)  # type: ignore[attr-defined]  # not in the stubs
        except Exception as error:
            if store_away(error):
                raise
            data = None  # as Django: a key the backend refused is no session
        if data is not None:
            return data  # type: ignore[no-any-return]
        self._session_key = None
        return {}

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            self.create()
        if must_create:
            if not self._add():
                raise CreateError
            self._unsaved = False
            return
        if self._unsaved:
            while not self._add():
                self._draw_key()
            self._unsaved = False
            return
        # Unchanged (SESSION_SAVE_EVERY_REQUEST saves every request's, for the idle timeout):
        # only its timeout slides (EXPIRE), with nothing to serialise, and a change another
        # request made to it meanwhile is kept, not overwritten with this request's copy.
        written = self._replace() if self.modified else self._touch()
        if not written:
            raise UpdateError

    def _add(self) -> bool:
        """SET NX: the session written under its key unless the key is taken."""
        store = self._cache  # type: ignore[attr-defined]  # not in the stubs
        data = self._get_session(no_load=True)  # type: ignore[attr-defined]
        return bool(store.add(self.cache_key, data, self.get_expiry_age()))

    def _touch(self) -> bool:
        """EXPIRE: the session's timeout moved, if it still exists, in one round trip."""
        store = self._cache  # type: ignore[attr-defined]  # not in the stubs
        return bool(store.touch(self.cache_key, self.get_expiry_age()))

    def _replace(self) -> bool:
        """SET XX: the session written only if it still exists, in one round trip."""
        store = self._cache  # type: ignore[attr-defined]  # not in the stubs
        data = self._get_session()  # type: ignore[attr-defined]
        if not isinstance(store, RedisCache):  # another cache: Django's way, GET then SET
            if store.get(self.cache_key) is None:
                return False
            store.set(self.cache_key, data, self.get_expiry_age())
            return True
        key = store.make_and_validate_key(self.cache_key)
        timeout = store.get_backend_timeout(self.get_expiry_age())
        if not timeout:  # expired already: as Django's cache.set with 0, the session goes
            store.delete(self.cache_key)
            return True
        # The backend's own client and serialiser (tests/test_sessions_in_redis.py pins them):
        # Django's cache API has no "set if it exists".
        client = store._cache.get_client(key, write=True)
        value = store._cache._serializer.dumps(data)  # type: ignore[attr-defined]
        return bool(client.set(key, value, ex=int(timeout), xx=True))
