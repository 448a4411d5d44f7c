"""Read replicas: reader-facing reads go to a replica, everything else to the primary.

Configured by `DATABASE_REPLICA_URLS` (comma-separated database URLs); settings.py
then adds the aliases `replica1`, `replica2`, ... (each a test mirror of `default`),
installs `ReplicaRouter` and puts `ReplicaRoutingMiddleware` first.

A request may read from a replica only when all of this holds:
- it is a GET or HEAD outside the admin, with no session cookie (an anonymous reader,
  not an editor who expects to see what they just saved);
- nothing in it has written yet: the first write pins the rest of the request to the
  primary, so a read just after a write sees that write;
- it is not inside a transaction on the primary.
Everything else (admin, POSTs, management commands, background work) uses the primary.
Sessions are always read from the primary: a session written by one request must be
there for the next one, whatever the replication lag.
"""

import contextlib
import contextvars
import random

from django.conf import settings
from django.db import connections
from django.urls import NoReverseMatch, reverse

PRIMARY = "default"
PRIMARY_ONLY_APPS = frozenset({"sessions"})
SAFE_METHODS = frozenset({"GET", "HEAD"})

_route = contextvars.ContextVar("newsroom_db_route", default=None)


class _Route:
    __slots__ = ("pinned", "replica")

    def __init__(self, replica):
        self.replica = replica
        self.pinned = False


def replicas():
    return list(getattr(settings, "DATABASE_REPLICAS", ()))


def pin_to_primary():
    """Send the rest of this request's reads to the primary."""
    route = _route.get()
    if route is not None:
        route.pinned = True


@contextlib.contextmanager
def reader_request(replica=None):
    """Let the reads inside the block go to a replica (what the middleware does per request)."""
    choices = replicas()
    replica = replica or (random.choice(choices) if choices else None)  # noqa: S311
    token = _route.set(_Route(replica) if replica else None)
    try:
        yield replica
    finally:
        _route.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        route = _route.get()
        if (
            route is None
            or route.pinned
            or model._meta.app_label in PRIMARY_ONLY_APPS
            or connections[PRIMARY].in_atomic_block
        ):
            return PRIMARY
        return route.replica

    def db_for_write(self, model, **hints):
        pin_to_primary()
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Replicas hold the same rows as the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


class ReplicaRoutingMiddleware:
    """Marks anonymous reader requests as allowed to read from a replica."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._admin_prefix = None

    def admin_prefix(self):
        if self._admin_prefix is None:
            try:
                self._admin_prefix = reverse("admin:index")
            except NoReverseMatch:
                self._admin_prefix = "/admin/"
        return self._admin_prefix

    def reader_facing(self, request):
        return (
            request.method in SAFE_METHODS
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and not request.path.startswith(self.admin_prefix())
        )

    def __call__(self, request):
        if not replicas() or not self.reader_facing(request):
            return self.get_response(request)
        with reader_request():
            return self.get_response(request)
