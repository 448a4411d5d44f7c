import os
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(request, settings):
    """Hashing strength is Django's business, not these tests'; a fast hasher keeps
    the many logins of the suite cheap. Tests that start real servers (marked slow)
    keep the real hashers, since those servers check the passwords made here."""
    if request.node.get_closest_marker("slow"):
        return
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Every test writes uploads into its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """Pages render without collectstatic: {% static %} gives the unhashed name."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    from newsroom.caching import forget_everything_in_this_process

    cache.clear()
    forget_everything_in_this_process()
    yield
    cache.clear()
    forget_everything_in_this_process()


@pytest.fixture
def reporter(db):
    return UserFactory(username="reporter", groups=["Reporter"])


@pytest.fixture
def editor(db):
    return UserFactory(username="editor", groups=["Editor"])


@pytest.fixture
def moderator(db):
    return UserFactory(username="moderator", groups=["Moderator"])


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` run only against PostgreSQL, and say so when skipped."""
    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL: run with DATABASE_URL=postgres:///...")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole run, shared by every browser test (tests/e2e and the
    CSP checks): Playwright's sync API allows only one instance per thread."""
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not Path(chromium).exists():
        pytest.skip(f"Chromium not found at {chromium} (apt install chromium)")
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_ARGS

    # Playwright's sync API runs an event loop; Django's ORM calls in the tests are safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class ChangeLog:
    """What the change log (newsroom.caching) has recorded since `mark()`."""

    def __init__(self):
        self.mark()

    def _counter(self):
        from django.core.cache import cache

        from newsroom import caching

        return cache.get(caching.COUNTER_KEY) or caching._start_counter()

    def mark(self):
        self.start = self._counter()

    def ended(self):
        from django.core.cache import cache

        from newsroom import caching

        numbers = range(self.start + 1, self._counter() + 1)
        found = cache.get_many([f"{caching.LOG_KEY}:{n}" for n in numbers])
        return set().union(*found.values())


@pytest.fixture
def change_log(db):
    """`change_log.ended()`: the cache keys every change since the test began has ended."""
    return ChangeLog()


@pytest.fixture
def oembed_provider(settings):
    """A real oEmbed provider on loopback (tests/oembed.py), the only one allowed."""
    from tests.oembed import LocalProvider

    with LocalProvider("video") as provider:
        settings.EMBED_PROVIDERS = [provider.config()]
        settings.EMBED_ALLOW_PRIVATE = True
        yield provider
