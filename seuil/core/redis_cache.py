"""Django's Redis cache, with one client per connection pool instead of one per operation.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` on every cache operation, and
redis-py's constructor fills a table of about 170 response callbacks each time: with sessions in
Redis (a load and a save per request), that was 6 % of an authorization request's CPU in the
worker (cProfile of 200, `bench/sso.py`). A `redis.Redis` shares its pool's connections and is
safe to share between threads, as seuil's own client for the rate window is
(`seuil.security.rate._redis`); the pools, their reconnection after a fork or an outage and
everything else stay Django's and redis-py's.
"""

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _ClientPerPool(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's own attributes, absent from django-stubs.
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            # Two threads may both build one the first time: either is fine, one is kept.
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._clients.setdefault(index, self._client(connection_pool=pool))  # type: ignore[attr-defined]
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ClientPerPool
