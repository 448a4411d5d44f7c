"""The admin's door: brute-force lockout (django-axes) and an optional second factor (django-otp).

`newsroom.admin_config.NewsroomAdminConfig` makes `NewsroomAdminSite` the default
`admin.site`, so every app registers its models as usual. The site asks for a
one-time code from staff who have set up an authenticator app, and from every
staff member when `ADMIN_REQUIRE_2FA` is on (docs/operations.md, "Two-factor authentication").
"""

from axes.backends import AxesStandaloneBackend
from django import forms
from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.utils.translation import gettext_lazy as _


class AxesBackend(AxesStandaloneBackend):
    """Axes' lockout check, for logins that come with a request.

    Every login form a person can reach (the admin's) passes the request; a call
    without one comes from code (scripts, `Client.login` in tests) and has no
    address to count failures against, so it is let through to the next backend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def confirmed_devices(user):
    from django_otp import devices_for_user

    return list(devices_for_user(user, confirmed=True))


def two_factor_required(user, devices=None):
    """Staff who set up a device always need it; everyone when ADMIN_REQUIRE_2FA is on."""
    if settings.ADMIN_REQUIRE_2FA:
        return True
    return bool(confirmed_devices(user) if devices is None else devices)


class AdminLoginForm(AdminAuthenticationForm):
    """Password first; then, where a second factor applies, the code from the app."""

    otp_token = forms.CharField(
        label=_("Authentication code"),
        required=False,
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
        help_text=_("The six-digit code from your authenticator app, if you have set one up."),
    )

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        # One answer for every failure: a right password with a missing or wrong code
        # must not tell a guesser that the password was right.
        "invalid_login": _(
            "Please enter the correct %(username)s and password for a staff account, and "
            "the current code from your authenticator app if you have set one up. Note "
            "that both fields may be case-sensitive."
        ),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        if settings.ADMIN_REQUIRE_2FA:
            self.fields["otp_token"].help_text = _(
                "This site requires the six-digit code from your authenticator app. Staff "
                "without one ask an administrator to set one up."
            )

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is None:
            return cleaned
        devices = confirmed_devices(user)
        if not two_factor_required(user, devices):
            return cleaned
        token = (cleaned.get("otp_token") or "").strip().replace(" ", "")
        device = None
        if devices and token:
            from django_otp import match_token

            device = match_token(user, token)
        if device is None:
            # Counted as a failed login (django-axes listens), as a wrong password is.
            user_login_failed.send(
                sender=__name__,
                credentials={"username": cleaned.get("username")},
                request=self.request,
            )
            self.user_cache = None
            raise self.get_invalid_login_error()
        user.otp_device = device
        return cleaned


# What the desk calls the third-party apps it lists (their own names are code names).
APP_NAMES = {
    "auth": _("Accounts and groups"),
    "axes": _("Sign-in attempts"),
    "otp_static": _("Two-factor backup codes"),
    "otp_totp": _("Two-factor authenticator apps"),
    "taggit": _("Tags"),
    "django_tasks_database": _("Background tasks"),
}


class NewsroomAdminSite(AdminSite):
    site_header = _("Newsroom")
    site_title = _("Newsroom admin")
    index_title = _("Editor's desk")
    login_form = AdminLoginForm
    login_template = "admin/newsroom_login.html"

    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        for app in app_list:
            app["name"] = APP_NAMES.get(app["app_label"], app["name"])
        return app_list

    def index(self, request, extra_context=None):
        return super().index(request, {"title": desk_title(request.user), **(extra_context or {})})

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        if not settings.ADMIN_REQUIRE_2FA:
            return True
        is_verified = getattr(request.user, "is_verified", None)
        return bool(is_verified and is_verified())

    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        # A successful login with a code: remember the device in the session, as
        # django_otp.login() does, so OTPMiddleware marks the user verified.
        user = getattr(request, "user", None)
        device = getattr(user, "otp_device", None)
        if request.method == "POST" and device is not None and user.is_authenticated:
            from django_otp import login as otp_login

            otp_login(request, device)
        return response


def desk_title(user):
    """The dashboard's title for the person's role."""
    from articles import workflow

    if user.is_superuser:
        return _("Administration")
    if workflow.can_publish(user):
        return _("Editor's desk")
    if user.has_perm(workflow.CHANGE):
        return _("Reporter's desk")
    if user.has_perm("comments.can_moderate"):
        return _("Moderation desk")
    return _("Newsroom admin")


def lockout_response(request, original_response=None, credentials=None):
    """Axes' answer to a locked-out login: a clear page, status 429."""
    from axes.helpers import get_cool_off, get_failure_limit
    from django.shortcuts import render

    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    context = {"failure_limit": get_failure_limit(request, credentials), "minutes": minutes}
    return render(request, "security/lockout.html", context, status=429)
