"""A Redis cache that the site survives losing.

The cache only makes the site faster; when Redis is down, slow, full (out of memory
with no eviction) or refusing writes, every cache operation is logged and answered as
a miss (or dropped), and the page is built from the database instead. After a failure
the backend stops trying Redis for `RETRY_AFTER` seconds, so an outage costs one
connection timeout per process per interval rather than one per cache call.
"""

import logging
import os
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


_announcements = {}
_announcements_lock = threading.Lock()


class Announcements:
    """What is published on one Redis channel, heard by a daemon thread of this process
    (started on first use, and again in a forked child). `heard` counts the messages and
    every (re)subscription; `live` says whether the subscription stands now. A process
    that relies on hearing a change must not rely on it while `live` is false, and must
    allow for a notice in flight (a few hundred microseconds on one network)."""

    WAIT = 5.0

    def __init__(self, cache, channel):
        self._cache = cache
        self.channel = channel
        self.heard = 0
        self.live = False
        self._pid = None
        self._lock = threading.Lock()

    def start(self):
        if self._pid == os.getpid():
            return self
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self.live = False
                thread = threading.Thread(
                    target=self._listen, name=f"listen {self.channel}", daemon=True
                )
                thread.start()
        return self

    def wanted(self):
        return self._pid == os.getpid() and self in _announcements.values()

    def _listen(self):
        failing = False
        while self.wanted():
            try:
                self._subscribed()
            except REDIS_ERRORS as exc:
                self.live = False
                self.heard += 1
                if not failing:
                    logger.warning("not hearing %s (%s: %s)", self.channel, type(exc).__name__, exc)
                failing = True
                time.sleep(max(1.0, self._cache.retry_after))
            else:
                failing = False

    def _subscribed(self):
        pubsub = self._cache._cache.get_client(write=False).pubsub()
        try:
            pubsub.subscribe(self.channel)
            while self.wanted():
                message = pubsub.get_message(timeout=self.WAIT)
                if message is None:
                    continue
                if message["type"] == "subscribe":
                    self.live = True
                self.heard += 1
        finally:
            self.live = False
            self.heard += 1
            pubsub.close()


def stop_listening():
    """Every listener of this process ends (soon): for tests, between Redis servers."""
    with _announcements_lock:
        _announcements.clear()


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
        cleared = self._call("clear", False)
        # Whoever relies on hearing changes reads again: here at once, elsewhere when told.
        for announcements in list(_announcements.values()):
            announcements.heard += 1
        for channel in {name for _server, name in _announcements}:
            self._publish(channel)
        return cleared

    # Announcements (Redis pub/sub): processes hear at once what another one changed.

    def announce(self, channel):
        self._publish(self.make_key(channel))

    def _publish(self, name):
        if self._available():
            try:
                self._cache.get_client(write=True).publish(name, b"")
            except REDIS_ERRORS as exc:
                self._failed("announce", exc)

    def announcements(self, channel):
        """The `Announcements` of `channel` in this process (one per process and Redis,
        whichever thread asks), listening."""
        name = self.make_key(channel)
        key = (tuple(self._servers), name)
        found = _announcements.get(key)
        if found is None:
            with _announcements_lock:
                found = _announcements.setdefault(key, Announcements(self, name))
        return found.start()
