"""The site's addresses under a prefix, for tests of addresses that follow ROOT_URLCONF."""

from django.urls import include, path

urlpatterns = [path("edition/", include("newsroom.urls"))]
