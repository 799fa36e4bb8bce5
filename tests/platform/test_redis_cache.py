"""The Redis cache backend builds its client once per connection pool (issue 17, item 8)."""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache

from icpfiling.core.redis_cache import SharedClientRedisCache
from tests.services import redis_url, requires_redis

URL = "redis://127.0.0.1:6379/14"  # never connected to: building a client opens no connection


def test_r_s6_one_redis_client_serves_every_operation_of_a_cache():
    # Given the portal's Redis cache backend (nothing connects until a command runs)
    cache = SharedClientRedisCache(URL, {"KEY_PREFIX": "shared-client-test"})
    # When operations of both kinds ask for a client
    reads = {id(cache._cache.get_client("a")) for _ in range(3)}
    writes = {id(cache._cache.get_client("a", write=True)) for _ in range(3)}
    # Then one client serves them, over the one pool of the single server
    assert len(reads | writes) == 1
    assert cache._cache.get_client().connection_pool is cache._cache._get_connection_pool(write=True)
    # And Django's own backend would have built a new client for each
    django_cache = RedisCache(URL, {})
    assert django_cache._cache.get_client() is not django_cache._cache.get_client()


@requires_redis
def test_r_s6_the_shared_client_reads_what_it_wrote():
    # Given the Redis the suite runs against
    cache = SharedClientRedisCache(redis_url(), {"KEY_PREFIX": "shared-client-test"})
    # When a value is written, counted up and read back through the shared client
    cache.set("k", 41, 30)
    cache.incr("k")
    # Then every operation saw the others
    assert cache.get("k") == 42
    assert cache.delete("k") is True
    assert cache.get("k") is None
