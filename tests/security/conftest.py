import pytest


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Render pages without a collectstatic manifest (production storage needs one)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
