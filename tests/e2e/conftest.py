"""Shared browser fixtures: Playwright driving Debian's Chromium against `live_server`.

Use the `page` fixture in a test marked `e2e`; it gives a fresh browser context whose
relative URLs go to the live server, and fails the test on any JavaScript error or
Content-Security-Policy violation of a script. `login(page, username)` signs in
through the admin login form. Screenshots go to `test-artifacts/` (`artifacts`).
"""

import functools
import os
import threading
import time
from pathlib import Path

import pytest
from django.test import TransactionTestCase

# Playwright's sync API runs an event loop; Django's ORM calls in the test are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct-horse-battery-staple"  # tests.factories.UserFactory's password
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _requests_in_flight():
    return [
        thread
        for thread in threading.enumerate()
        if thread.name.endswith("(process_request_thread)") and thread.is_alive()
    ]


def _after_the_last_request(teardown):
    """A page's timers and the beacon it sends when closed (presence, autosave) reach the
    live server just as the test's tables are emptied; on PostgreSQL the request's reads
    and TRUNCATE's locks then deadlock. The tables are emptied once the live server has
    answered everything it was sent."""

    @functools.wraps(teardown)
    def wrapper(self):
        deadline = time.monotonic() + 10
        time.sleep(0.05)  # a beacon sent as its page closed is still on its way
        while _requests_in_flight() and time.monotonic() < deadline:
            time.sleep(0.02)
        return teardown(self)

    return wrapper


TransactionTestCase._fixture_teardown = _after_the_last_request(
    TransactionTestCase._fixture_teardown
)


def pytest_collection_modifyitems(items):
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture
def roles(transactional_db):
    """The Reporter/Editor/Moderator groups as newsroom/roles.py defines them. A
    transactional test starts from a flushed database, without the data migration's rows."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    from newsroom.roles import ROLE_PERMISSIONS

    for name, permissions in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        match = Q(pk__in=[])
        for permission in permissions:
            app_label, codename = permission.split(".")
            match |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(match))


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1400, "height": 1000}
    )
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"CSP: {message.text}")
            if message.type == "error"
            and "Content Security Policy" in message.text
            and "script" in message.text.lower()
            else None
        ),
    )
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert not problems, problems


def login(page, username, password=PASSWORD):
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(lambda url: "/admin/login/" not in url)


def logout(page):
    page.context.clear_cookies()
