"""The Redis cache backend keeps one redis-py client per connection pool."""

import os
import uuid

import pytest

from newsroom.cache_backends import ResilientRedisCache
from tests.servers import redis_reachable

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11")

pytestmark = pytest.mark.skipif(
    not redis_reachable(REDIS_URL), reason=f"needs a Redis server at {REDIS_URL}"
)


@pytest.fixture
def backend():
    cache = ResilientRedisCache(REDIS_URL, {"KEY_PREFIX": f"backend-test-{uuid.uuid4().hex}"})
    yield cache
    cache.clear()


def test_one_client_serves_every_call(backend):
    client = backend._cache.get_client()
    assert backend._cache.get_client(write=True) is client
    backend.set("headline", "Heron returns", 30)
    assert backend.get_many(["headline", "missing"]) == {"headline": "Heron returns"}
    assert backend._cache.get_client() is client


def test_a_replica_list_keeps_a_client_for_each_server(backend):
    replicated = ResilientRedisCache(f"{REDIS_URL},{REDIS_URL}", {"KEY_PREFIX": "replicas"})
    writer = replicated._cache.get_client(write=True)
    reader = replicated._cache.get_client()
    # Writes go to the first server, reads to the others: two pools, two clients.
    assert writer is not reader
    assert replicated._cache.get_client() is reader
    assert writer.connection_pool is not reader.connection_pool
