"""The cache backend reuses one Redis client per connection pool and behaves like Django's."""

from django.core.cache import cache, caches

from eventstream.core.cache import RedisCache


def test_default_cache_reuses_one_client():
    assert isinstance(caches["default"], RedisCache)
    assert cache._cache.get_client(write=True) is cache._cache.get_client(write=True)


def test_cache_operations_round_trip_through_redis():
    cache.set("reuse-test", {"a": 1}, 30)
    assert cache.get("reuse-test") == {"a": 1}
    assert cache.add("reuse-test", 2, 30) is False
    assert cache.add("reuse-count", 1, 30) is True
    assert cache.incr("reuse-count") == 2
    cache.delete_many(["reuse-test", "reuse-count"])
    assert cache.get("reuse-test") is None
