"""Scale-out: two app servers (separate gunicorn processes on different ports) sharing
one PostgreSQL and one Redis. What an editor or a moderator does through one server is
what readers get from the other at once, although the other had the page cached."""

import pytest
from django.db import connection
from django.urls import reverse

from tests.factories import ArticleFactory, CommentFactory, UserFactory
from tests.scale.http import Browser
from tests.servers import AppServer, RedisServer, redis_available

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not redis_available(), reason="needs redis-server on the PATH"),
]

PASSWORD = "two-servers-password-123"


def suite_database_url():
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture(scope="module")
def shared(django_db_setup):
    with RedisServer() as redis:
        env = {
            "DATABASE_URL": suite_database_url(),
            "REDIS_URL": redis.url(0),
            "PAGE_CACHE_SECONDS": "300",
        }
        with AppServer(env, workers=1) as one, AppServer(env, workers=1) as two:
            assert one.port != two.port
            yield one, two, redis


@pytest.fixture
def servers(shared):
    """The two servers, their shared cache emptied: each test's database starts empty
    (and its stories reuse addresses), so pages kept by an earlier test must go too,
    as they would after restoring a database."""
    import redis as redis_client

    one, two, redis = shared
    redis_client.Redis.from_url(redis.url(0)).flushall()
    return one, two


@pytest.fixture
def story():
    UserFactory(username="chief", password=PASSWORD, is_staff=True, is_superuser=True)
    article = ArticleFactory(headline="Bridge reopens after repairs", slug="bridge-reopens")
    pending = CommentFactory(
        article=article, status="pending", body="The detour added an hour to my commute."
    )
    return article, pending


def reader_sees(server, path, text):
    status, html, _ = Browser(server.url("")).get(path)
    assert status == 200
    return text in html


def test_an_edit_through_one_server_shows_on_the_other_at_once(servers, story):
    one, two = servers
    article, _ = story
    path = article.get_absolute_url()
    assert reader_sees(two, path, "Bridge reopens after repairs")
    assert reader_sees(two, path, "Bridge reopens after repairs")  # now from the cache

    editor = Browser(one.url(""))
    editor.log_in(reverse("admin:login"), "chief", PASSWORD)
    change = reverse("admin:articles_article_change", args=[article.pk])
    form = editor.form(change, form_id="article_form")
    form.set("headline", "Bridge reopens two weeks early")
    form.fields.append(["_save", "Save"])
    status, html, final = editor.post(change, form.fields)
    assert status == 200 and final.endswith(reverse("admin:articles_article_changelist")), html[
        :2000
    ]

    assert reader_sees(two, path, "Bridge reopens two weeks early")
    assert not reader_sees(two, path, "Bridge reopens after repairs")


def test_a_comment_approved_through_one_server_shows_on_the_other_at_once(servers, story):
    one, two = servers
    article, pending = story
    path = article.get_absolute_url()
    assert not reader_sees(two, path, "The detour added an hour")
    assert not reader_sees(two, path, "The detour added an hour")  # cached without it

    moderator = Browser(one.url(""))
    moderator.log_in(reverse("admin:login"), "chief", PASSWORD)
    changelist = reverse("admin:comments_comment_changelist") + "?status__exact=pending"
    token = moderator.form(changelist, form_id="changelist-form").get("csrfmiddlewaretoken")
    status, _, _ = moderator.post(
        changelist,
        [
            ["csrfmiddlewaretoken", token],
            ["action", "approve"],
            ["_selected_action", str(pending.pk)],
            ["index", "0"],
            ["select_across", "0"],
        ],
    )
    assert status == 200
    pending.refresh_from_db()
    assert pending.status == "approved"

    assert reader_sees(two, path, "The detour added an hour")
