import pytest


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Render pages without a collectstatic manifest (production storage needs one)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="module")
def private_postgres():
    from tests.servers import PostgresServer, ServerError, postgres_available

    if not postgres_available():
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    try:
        server = PostgresServer().start()
    except ServerError as exc:
        pytest.skip(f"cannot start a private PostgreSQL here: {exc}")
    yield server
    server.cleanup()


@pytest.fixture(scope="module")
def private_redis():
    from tests.servers import RedisServer, redis_available

    if not redis_available():
        pytest.skip("redis-server is not installed")
    server = RedisServer().start()
    yield server
    server.cleanup()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Lockout tests log in dozens of times; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
