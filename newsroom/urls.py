from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from articles import api, sitemaps

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("sitemap.xml", sitemaps.sitemap_index, name="sitemap"),
    path("sitemap-<section>.xml", sitemaps.sitemap_section, name="sitemap-section"),
    path("news-sitemap.xml", sitemaps.news_sitemap, name="news_sitemap"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("comments/", include("comments.urls")),
    path("api/v1/", api.urls()),
    path("", include("articles.urls")),
]

if settings.BENCH_ENDPOINTS:
    from . import bench_views

    urlpatterns += [path("bench/noop/", bench_views.noop, name="bench_noop")]

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(
            r"^{}(?P<path>.*)$".format(settings.MEDIA_URL.lstrip("/")),
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]

# A database outage anywhere in the stack answers 503, not 500 (newsroom/middleware.py).
handler500 = "newsroom.middleware.server_error"
