import pytest


@pytest.fixture
def fast_passwords(settings):
    """Tests that create many users and log in with force_login need no slow hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
