"""The admin app with Newsroom's site (lockout-aware, optionally two-factor login).

It lives apart from newsroom/security.py because INSTALLED_APPS imports it before
models are ready.
"""

from django.contrib.admin.apps import AdminConfig


class NewsroomAdminConfig(AdminConfig):
    default_site = "newsroom.security.NewsroomAdminSite"
