"""Read replicas (newsroom/db_router.py), with `replica1` a Django test mirror of the
primary: which connection answers each query shows where the router sent it."""

import os
import subprocess
import sys

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.models import Article
from newsroom import db_router
from tests.factories import ArticleFactory, CommentFactory
from tests.servers import ROOT, app_environment

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica1"])


@pytest.fixture(autouse=True)
def replicas(settings):
    assert (
        connections["replica1"].settings_dict["NAME"]
        == connections["default"].settings_dict["NAME"]
    )
    settings.DATABASE_REPLICAS = ["replica1"]
    settings.DATABASE_ROUTERS = ["newsroom.db_router.ReplicaRouter"]
    settings.MIDDLEWARE = ["newsroom.db_router.ReplicaRoutingMiddleware", *settings.MIDDLEWARE]
    settings.PAGE_CACHE_SECONDS = 0


def queries_on(alias):
    return CaptureQueriesContext(connections[alias])


def test_anonymous_reader_pages_read_from_the_replica(client):
    article = ArticleFactory()
    CommentFactory(article=article)
    with queries_on("default") as primary, queries_on("replica1") as replica:
        for url in (article.get_absolute_url(), reverse("articles:home")):
            assert client.get(url).status_code == 200
    assert any("articles_article" in q["sql"] for q in replica.captured_queries)
    assert primary.captured_queries == []


def test_admin_and_signed_in_requests_use_the_primary(client, superuser):
    article = ArticleFactory()
    client.force_login(superuser)
    with queries_on("replica1") as replica:
        assert client.get(reverse("admin:articles_article_changelist")).status_code == 200
        assert client.get(article.get_absolute_url()).status_code == 200
    assert replica.captured_queries == []


def test_posts_use_the_primary(client):
    article = ArticleFactory()
    with queries_on("replica1") as replica:
        client.post(reverse("comments:post", args=[article.pk]), {"name": "Jo", "body": "Hi"})
    assert replica.captured_queries == []


def test_a_read_after_a_write_in_the_same_request_goes_to_the_primary():
    article = ArticleFactory()
    with db_router.reader_request("replica1"):
        with queries_on("default") as primary, queries_on("replica1") as replica:
            Article.objects.get(pk=article.pk)
        assert len(replica.captured_queries) == 1
        assert primary.captured_queries == []

        Article.objects.filter(pk=article.pk).update(featured=True)
        with queries_on("default") as primary, queries_on("replica1") as replica:
            assert Article.objects.get(pk=article.pk).featured
        assert replica.captured_queries == []
        assert len(primary.captured_queries) == 1


def test_reads_inside_a_transaction_on_the_primary_stay_there():
    article = ArticleFactory()
    with db_router.reader_request("replica1"), transaction.atomic():
        with queries_on("replica1") as replica:
            Article.objects.get(pk=article.pk)
        assert replica.captured_queries == []


def test_outside_a_request_everything_uses_the_primary():
    article = ArticleFactory()
    with queries_on("replica1") as replica:
        Article.objects.get(pk=article.pk)
    assert replica.captured_queries == []


def test_sessions_are_always_read_from_the_primary():
    from django.contrib.sessions.models import Session

    with db_router.reader_request("replica1"), queries_on("replica1") as replica:
        Session.objects.filter(session_key="nope").exists()
    assert replica.captured_queries == []


def test_migrations_run_only_on_the_primary():
    router = db_router.ReplicaRouter()
    assert router.allow_migrate("default", "articles")
    assert not router.allow_migrate("replica1", "articles")


@pytest.mark.django_db(databases=[])
def test_settings_read_replica_urls_from_the_environment():
    env = app_environment(
        {
            "DATABASE_URL": "postgres://primary.example/newsroom",
            "DATABASE_REPLICA_URLS": "postgres://r1.example/newsroom, postgres://r2.example/newsroom",
        }
    )
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([sorted(s.DATABASES), s.DATABASE_REPLICAS, s.DATABASE_ROUTERS, "
        "s.MIDDLEWARE[:3], s.DATABASES['replica2']['HOST'], s.DATABASES['replica1']['TEST']]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "newsroom.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    import json

    aliases, replicas, routers, middleware, host, test = json.loads(result.stdout)
    assert aliases == ["default", "replica1", "replica2"]
    assert replicas == ["replica1", "replica2"]
    assert routers == ["newsroom.db_router.ReplicaRouter"]
    assert "newsroom.db_router.ReplicaRoutingMiddleware" in middleware
    assert host == "r2.example"
    assert test["MIRROR"] == "default"
    assert "DATABASE_REPLICA_URLS" not in os.environ
