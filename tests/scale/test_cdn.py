"""CDN support: Surrogate-Key on public pages, and the purge hook called after changes,
tested against a real local HTTP server."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from newsroom import invalidation
from tests.factories import ArticleFactory, SectionFactory
from tests.servers import free_port
from tests.taskrunner import DATABASE_TASKS


class PurgeServer(ThreadingHTTPServer):
    """A stand-in CDN purge API on loopback that records what it is sent."""

    def __init__(self, status=200):
        self.received = []
        self.answer_status = status
        self.got_one = threading.Event()
        super().__init__(("127.0.0.1", 0), self.Handler)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            self.server.received.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": json.loads(self.rfile.read(length) or b"{}"),
                }
            )
            self.send_response(self.server.answer_status)
            self.end_headers()
            self.server.got_one.set()

        def log_message(self, *args):
            pass

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/purge"


@pytest.fixture
def purge_server(settings):
    server = PurgeServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.CDN_PURGE_URL = server.url
    settings.CDN_PURGE_TOKEN = "purge-token"
    yield server
    server.shutdown()
    server.server_close()


def keys(response):
    return set(response["Surrogate-Key"].split())


@pytest.mark.django_db
class TestSurrogateKeys:
    """A page's keys name what it shows, in newsroom.invalidation's vocabulary."""

    def test_article_page_names_its_story_its_thread_and_its_related_cards(self, client):
        section = SectionFactory()
        other = ArticleFactory(section=section, tags=["floods"])
        article = ArticleFactory(section=section, tags=["floods"])
        response = client.get(article.get_absolute_url())
        assert response.status_code == 200
        assert "public" in response["Cache-Control"]
        assert keys(response) == {
            "all",
            f"article-{article.pk}",
            f"article-{article.pk}-comments",
            f"article-{other.pk}-card",
        }

    def test_section_page_and_its_feed_name_the_section_and_its_cards(self, client):
        article = ArticleFactory()
        section = article.section
        for url in (
            reverse("articles:section", kwargs={"slug": section.slug}),
            reverse("articles:feed_section", kwargs={"slug": section.slug}),
        ):
            expected = {"all", f"section-{section.pk}", f"article-{article.pk}-card"}
            assert keys(client.get(url)) == expected, url

    def test_tag_page_names_the_tag(self, client):
        article = ArticleFactory(tags=["floods"])
        response = client.get(reverse("articles:tag", kwargs={"slug": "floods"}))
        tag = article.tags.get()
        assert keys(response) == {"all", f"tag-{tag.pk}", f"article-{article.pk}-card"}

    def test_home_and_latest_feed_are_the_front(self, client):
        article = ArticleFactory()
        for url in (reverse("articles:home"), reverse("articles:feed_latest")):
            assert keys(client.get(url)) == {"all", "front", f"article-{article.pk}-card"}, url

    def test_page_cache_hit_keeps_the_keys(self, client, settings):
        settings.PAGE_CACHE_SECONDS = 300
        article = ArticleFactory()
        first = client.get(article.get_absolute_url())
        again = client.get(article.get_absolute_url())
        assert keys(again) == keys(first)
        assert f"article-{article.pk}" in keys(again)

    def test_signed_in_pages_and_posts_carry_no_keys(self, client, editor):
        article = ArticleFactory()
        client.force_login(editor)
        response = client.get(article.get_absolute_url())
        assert "public" not in response.get("Cache-Control", "")
        assert not response.has_header("Surrogate-Key")
        assert not client.get(reverse("admin:index")).has_header("Surrogate-Key")

    def test_cdn_max_age_lets_the_cdn_keep_pages_longer(self, client, settings):
        settings.CDN_MAX_AGE = 86400
        article = ArticleFactory()
        response = client.get(article.get_absolute_url())
        assert response["Surrogate-Control"] == "max-age=86400"
        assert response["CDN-Cache-Control"] == "max-age=86400"
        # Browsers still get the short lifetime.
        assert "max-age=86400" not in response["Cache-Control"]

    def test_without_cdn_max_age_no_cdn_lifetime_is_sent(self, client):
        response = client.get(ArticleFactory().get_absolute_url())
        assert not response.has_header("Surrogate-Control")


@pytest.mark.django_db(transaction=True)
class TestPurgeHook:
    """The purge is a background task; the suite runs tasks at once, on commit
    (TASKS_BACKEND=immediate), so what it sends is there when the change returns."""

    def test_change_purges_the_keys_after_commit(self, purge_server):
        purge_server.received.clear()
        with transaction.atomic():
            invalidation.end({"article-7", "front", "section-3", "tag-2"})
            assert purge_server.received == []  # nothing before the commit
        assert len(purge_server.received) == 1
        sent = purge_server.received[0]
        expected = ["article-7", "front", "section-3", "tag-2"]
        assert sent["body"] == {"surrogate_keys": expected}
        assert sent["headers"]["Surrogate-Key"] == " ".join(expected)
        assert sent["headers"]["Authorization"] == "Bearer purge-token"

    def test_an_approved_comment_purges_only_its_thread(self, purge_server, moderator):
        from comments.models import Comment
        from tests.factories import CommentFactory

        article = ArticleFactory(slug="hot-story")
        comment = CommentFactory(article=article, status=Comment.Status.PENDING)
        purge_server.received.clear()
        comment.approve(by=moderator)
        sent = [request["body"]["surrogate_keys"] for request in purge_server.received]
        assert sent and all(keys == [f"article-{article.pk}-comments"] for keys in sent)

    def test_rolled_back_change_purges_nothing(self, purge_server):
        article = ArticleFactory()
        purge_server.received.clear()
        with pytest.raises(RuntimeError), transaction.atomic():
            invalidation.end({invalidation.article(article.pk)})
            raise RuntimeError("the edit failed")
        assert purge_server.received == []

    def test_publishing_through_the_model_purges_the_article_and_its_lists(
        self, purge_server, superuser
    ):
        article = ArticleFactory(draft=True, slug="fresh-news", tags=["budget"])
        purge_server.received.clear()
        article.publish(by=superuser)
        sent = {
            key for request in purge_server.received for key in request["body"]["surrogate_keys"]
        }
        tag = article.tags.get()
        assert {
            f"article-{article.pk}",
            f"article-{article.pk}-card",
            f"section-{article.section_id}",
            f"tag-{tag.pk}",
            "front",
        } <= sent
        assert "clock" not in sent  # the caches' own key never goes to the CDN

    def test_a_refused_purge_is_logged_and_tried_again(self, purge_server, settings, caplog):
        settings.TASK_MAX_ATTEMPTS = 3
        purge_server.answer_status = 500
        with caplog.at_level(logging.WARNING, logger="newsroom.cdn"):
            invalidation.end({invalidation.ALL})
        assert len(purge_server.received) == 3  # the immediate backend retries at once
        assert "CDN purge" in caplog.text

    def test_an_unreachable_purge_url_is_logged(self, settings, caplog):
        settings.CDN_PURGE_URL = f"http://127.0.0.1:{free_port()}/purge"
        settings.CDN_PURGE_TIMEOUT = 2
        settings.TASK_MAX_ATTEMPTS = 1
        with caplog.at_level(logging.WARNING, logger="newsroom.cdn"):
            invalidation.end({"article-1"})
        assert "CDN purge" in caplog.text

    def test_without_a_purge_url_nothing_is_sent(self, settings, purge_server):
        settings.CDN_PURGE_URL = ""
        invalidation.end({invalidation.ALL})
        assert purge_server.received == []


@pytest.mark.django_db
@override_settings(TASKS=DATABASE_TASKS)
def test_the_editors_request_never_waits_for_the_cdn(purge_server, editor):
    """With a real queue the change only writes a task row; a worker sends the purge."""
    from django_tasks_db.models import DBTaskResult

    from tests.taskrunner import run_waiting_tasks

    article = ArticleFactory(draft=True)
    DBTaskResult.objects.all().delete()
    purge_server.received.clear()
    article.publish(by=editor)
    assert purge_server.received == []
    queued = DBTaskResult.objects.filter(task_path="newsroom.cdn.purge")
    assert queued.count() >= 1
    run_waiting_tasks()
    assert f"article-{article.pk}" in purge_server.received[0]["body"]["surrogate_keys"]
