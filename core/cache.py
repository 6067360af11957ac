"""Django's Redis cache, with one client object per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` object around its pool for every cache
call; a rate-limited API request makes four calls, and building them cost more CPU than the
calls themselves. A `redis.Redis` object is thread-safe (each command takes a connection from
the pool), so one per pool is enough. Everything else is Django's backend unchanged; settings
swap it in for `rediscache://` URLs.
"""

from typing import Any

from django.core.cache.backends.redis import RedisCache as _DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as _DjangoClient


class _ReusingClient(_DjangoClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # Django's, unstubbed
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(_DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ReusingClient
