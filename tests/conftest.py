import pytest
from django.db import connection

from tests.factories import UserFactory


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

    cache.clear()
    yield
    cache.clear()


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
