"""A Redis cache that the site survives losing.

The cache only makes the site faster; when Redis is down, slow, full (out of memory
with no eviction) or refusing writes, every cache operation is logged and answered as
a miss (or dropped), and the page is built from the database instead. After a failure
the backend stops trying Redis for `RETRY_AFTER` seconds, so an outage costs one
connection timeout per process per interval rather than one per cache call.
"""

import logging
import threading
import time

import redis.exceptions
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger("newsroom.cache")

# Every error redis-py raises (connection, timeout, OOM, read-only replica, ...).
REDIS_ERRORS = (redis.exceptions.RedisError, OSError)


class KeptClientRedisCacheClient(RedisCacheClient):
    """Django's client makes a new `redis.Redis` for every cache call, which costs about
    50 microseconds (it builds redis-py's table of response callbacks), a third of a
    whole round trip to Redis on loopback. A `redis.Redis` is thread-safe (each command
    takes a connection from the pool), so one per connection pool is kept."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(
                    self._servers[index], **self._pool_options
                )
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class ResilientRedisCache(RedisCache):
    """Django's RedisCache, bypassed (with a warning in the log) while Redis is unreachable."""

    RETRY_AFTER = 5.0

    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        self.retry_after = float(options.pop("RETRY_AFTER", self.RETRY_AFTER))
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _available(self):
        return time.monotonic() >= self._down_until

    def _failed(self, operation, exc):
        with self._lock:
            first = self._available()
            self._down_until = time.monotonic() + self.retry_after
        if first:
            logger.warning(
                "Redis cache unavailable during %s (%s: %s); serving without the cache "
                "for the next %.0f s",
                operation,
                type(exc).__name__,
                exc,
                self.retry_after,
            )

    def _call(self, operation, fallback, *args, **kwargs):
        if not self._available():
            return fallback
        try:
            return getattr(super(), operation)(*args, **kwargs)
        except REDIS_ERRORS as exc:
            self._failed(operation, exc)
            return fallback

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, key, value, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # Answer as if the key was new: a counter then starts afresh rather than
        # blocking every caller while Redis is away.
        return self._call("add", True, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", [], data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, keys, version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", delta, key, delta, version)

    def decr(self, key, delta=1, version=None):
        return self._call("decr", -delta, key, delta, version)

    def clear(self):
        return self._call("clear", False)
