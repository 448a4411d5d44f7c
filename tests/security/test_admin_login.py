"""The admin's door: lockout after repeated failures, unlock by a superuser, a second factor."""

import datetime
import re

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

PASSWORD = "correct-horse-battery-staple"


def attempt(client, username, password, address="203.0.113.10", forwarded=None, **extra):
    headers = {"REMOTE_ADDR": address}
    if forwarded:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index"), **extra},
        **headers,
    )


def totp_now(device):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def staff(db):
    return UserFactory(username="desk", groups=["Editor"])


def test_lockout_after_the_failure_limit_even_with_the_right_password(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = attempt(client, "desk", "wrong-guess")
        assert response.status_code == 200
        assert b"Please enter the correct username and password" in response.content
    locked = attempt(client, "desk", "wrong-guess")
    assert locked.status_code == 429
    assert b"Sign-in locked" in locked.content
    assert b"15 minutes" in locked.content
    again = attempt(client, "desk", PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_user_and_address(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "desk", "wrong-guess")
    assert attempt(client, "desk", PASSWORD).status_code == 429
    other_address = Client()
    assert attempt(other_address, "desk", PASSWORD, address="198.51.100.20").status_code == 302


def test_a_forged_forwarded_header_does_not_escape_the_lockout(client, staff, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "desk", "wrong-guess", forwarded=f"192.0.2.{n}")
    assert attempt(client, "desk", PASSWORD, forwarded="192.0.2.200").status_code == 429


def test_a_success_before_the_limit_resets_the_count(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "desk", "wrong-guess")
    assert attempt(client, "desk", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "desk", "wrong-guess")
    assert attempt(Client(), "desk", PASSWORD).status_code == 302


def test_a_superuser_unlocks_an_account_from_the_admin(client, staff, superuser, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "desk", "wrong-guess")
    assert attempt(client, "desk", PASSWORD).status_code == 429
    locked = AccessAttempt.objects.get(username="desk")

    boss = Client()
    boss.force_login(superuser)
    changelist = reverse("admin:axes_accessattempt_changelist")
    assert b"desk" in boss.get(changelist).content
    response = boss.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [locked.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="desk").exists()
    assert attempt(client, "desk", PASSWORD).status_code == 302


def test_staff_without_the_unlock_permission_cannot_see_attempts(staff):
    client = Client()
    client.force_login(staff)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403


@pytest.mark.parametrize("password", ["short1!", "password1234", "123456789012345", "desk@example"])
def test_weak_passwords_are_refused(staff, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=staff)


WRONG_LOGIN = b"Please enter the correct username and password for a staff account"


def test_staff_with_an_authenticator_needs_the_code(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    response = attempt(client, "desk", PASSWORD)
    assert response.status_code == 200
    assert WRONG_LOGIN in response.content
    wrong = "000000" if totp_now(device) != "000000" else "111111"
    response = attempt(client, "desk", PASSWORD, otp_token=wrong)
    assert response.status_code == 200
    assert WRONG_LOGIN in response.content
    assert "_auth_user_id" not in client.session
    # django-otp throttles a device after a wrong code; a minute later it accepts again.
    with time_machine.travel(datetime.timedelta(minutes=1)):
        response = attempt(client, "desk", PASSWORD, otp_token=totp_now(device))
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def _answer(response):
    """The page as a guesser compares it: everything but the per-request CSRF token."""
    return response.status_code, re.sub(rb'value="[^"]{64}"', b"", response.content)


@pytest.mark.parametrize("required", [False, True])
def test_a_right_password_without_its_code_answers_as_a_wrong_password(
    client, staff, settings, required
):
    """No password oracle: a right password with no code, or a wrong one, gets the very
    answer a wrong password gets, and counts towards the lockout the same way."""
    settings.ADMIN_REQUIRE_2FA = required
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    wrong_code = "000000" if totp_now(device) != "000000" else "111111"
    for code in ("", wrong_code):
        wrong_password = _answer(attempt(Client(), "desk", "wrong-guess", otp_token=code))
        assert wrong_password[0] == 200 and WRONG_LOGIN in wrong_password[1]
        assert _answer(attempt(Client(), "desk", PASSWORD, otp_token=code)) == wrong_password
    # Every one of those was a failure for the lockout: the next locks the pair out.
    assert AccessAttempt.objects.get(username="desk").failures_since_start == 4
    for _ in range(settings.AXES_FAILURE_LIMIT - 4):
        attempt(client, "desk", PASSWORD)
    assert attempt(client, "desk", PASSWORD, otp_token=totp_now(device)).status_code == 429


def test_required_two_factor_turns_away_staff_without_a_device(client, staff, settings):
    settings.ADMIN_REQUIRE_2FA = True
    response = attempt(client, "desk", PASSWORD)
    assert response.status_code == 200
    assert WRONG_LOGIN in response.content
    # Every visitor reads that the site needs a code, and what to do without one.
    assert b"This site requires the six-digit code" in response.content
    assert "_auth_user_id" not in client.session
    assert _answer(attempt(Client(), "desk", "wrong-guess")) == _answer(response)


def test_required_two_factor_refuses_an_unverified_session(staff, settings):
    settings.ADMIN_REQUIRE_2FA = True
    client = Client()
    client.force_login(staff)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_required_two_factor_lets_in_staff_with_the_code(client, staff, settings):
    settings.ADMIN_REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    response = attempt(client, "desk", PASSWORD, otp_token=totp_now(device))
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_wrong_codes_count_towards_the_lockout(client, staff, settings):
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "desk", "wrong-guess", otp_token="123456")
    assert attempt(client, "desk", PASSWORD).status_code == 429
