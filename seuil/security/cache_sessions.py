"""Django's cache sessions (in Redis with SEUIL_REDIS_URL), except when Redis is unreachable.

Django's cache store treats any error while loading a session as "no session" (some cache
backends raise on a malformed key), so with Redis away a signed-in person looked signed out: sent
to the sign-in page, told a reset link was invalid, a validation started over. Here an
unreachable Redis is raised instead, and the person gets the 503 page (core/outages.py), as for
every other request that needs Redis; a malformed key still means no session.
"""

from typing import Any

from django.contrib.sessions.backends import cache

from seuil.core.outages import store_away


class SessionStore(cache.SessionStore):
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
