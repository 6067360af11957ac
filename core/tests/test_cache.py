"""The Redis cache backend of core/cache.py: Django's, with one client object per pool."""

import os

import pytest
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from core.cache import RedisCache

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (a running Redis)")


def _cache(cls):
    return cls(REDIS_URL, {"KEY_PREFIX": f"test-cache-{os.getpid()}", "TIMEOUT": 60})


def test_behaves_as_djangos_backend_on_the_same_redis():
    ours, django = _cache(RedisCache), _cache(DjangoRedisCache)
    ours.set("k", {"a": [1, 2]})
    assert django.get("k") == {"a": [1, 2]}
    assert ours.add("k", 1) is False  # already there
    ours.set("n", 0)
    assert ours.incr("n") == 1
    assert django.get("n") == 1
    assert ours.get_many(["k", "missing"]) == {"k": {"a": [1, 2]}}
    ours.delete_many(["k", "n"])
    assert django.get("k") is None


def test_one_client_object_per_pool():
    cache = _cache(RedisCache)
    cache.set("x", 1)
    first = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is first
    assert cache.get("x") == 1
    cache.delete("x")
