"""Anonymous pages are cacheable by anyone, served from the shared page cache, and
ended by what changes (newsroom.invalidation; see also test_invalidation.py)."""

import os
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from newsroom import invalidation
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory
from tests.servers import redis_reachable


@pytest.fixture
def article(db):
    return ArticleFactory(
        headline="Cached heron sighting",
        slug="heron",
        section=SectionFactory(slug="nature"),
        authors=[AuthorFactory(slug="hal")],
        tags=["birds"],
    )


def public_paths(article):
    return [
        "/",
        article.get_absolute_url(),
        "/section/nature/",
        "/tag/birds/",
        "/author/hal/",
        "/search/?q=heron",
        "/corrections/",
        "/feeds/latest/",
        "/sitemap.xml",
        "/news-sitemap.xml",
    ]


@pytest.fixture
def paths(article):
    return public_paths(article)


def test_anonymous_pages_are_publicly_cacheable(client, paths):
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert not response.cookies, f"{path} sets a cookie"
        assert not response.has_header("Set-Cookie")
        assert "cookie" not in response.get("Vary", "").lower(), path
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert "public" in directives, path
        assert any(d.startswith("max-age=") for d in directives), path
        assert "s-maxage=300" in directives, path
        assert response.has_header("ETag"), path


def test_conditional_request_gets_304(client, paths):
    for path in paths:
        etag = client.get(path)["ETag"]
        again = client.get(path, headers={"if-none-match": etag})
        assert again.status_code == 304, path
        assert again.content == b""
        assert again["ETag"] == etag
        assert client.get(path, headers={"if-none-match": '"other"'}).status_code == 200


def test_second_anonymous_request_is_served_from_the_cache_without_sql(client, paths):
    for path in paths:
        first = client.get(path)
        with CaptureQueriesContext(connection) as queries:
            second = client.get(path)
        assert len(queries) == 0, f"{path} ran {[q['sql'] for q in queries]}"
        assert second.status_code == 200
        assert second.content == first.content
        assert second["ETag"] == first["ETag"]


def test_cache_hit_carries_the_same_headers_as_a_miss(client, paths):
    for path in paths:
        miss = client.get(path)
        with CaptureQueriesContext(connection) as queries:
            hit = client.get(path)
        assert len(queries) == 0, path
        assert hit.status_code == miss.status_code == 200, path
        assert dict(hit.items()) == dict(miss.items()), path
        for name in ("Surrogate-Key", "Content-Security-Policy", "X-Frame-Options", "ETag"):
            assert hit.has_header(name), f"{path}: a hit lacks {name}"
        assert not hit.cookies, path


def test_cache_hit_is_answered_before_the_session_is_read(client, paths, monkeypatch):
    from django.contrib.sessions.middleware import SessionMiddleware

    for path in paths:
        client.get(path)

    def no_session(self, request):
        raise AssertionError(f"{request.path}: the session middleware ran on a cache hit")

    monkeypatch.setattr(SessionMiddleware, "process_request", no_session)
    for path in paths:
        assert client.get(path).status_code == 200


def test_a_kept_page_ends_when_what_it_shows_changes(client, article):
    url = article.get_absolute_url()
    client.get(url)
    # A change behind the models' back (no signal) is not seen...
    type(article).objects.filter(pk=article.pk).update(headline="Versioned heron")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    assert len(queries) == 0
    # ...until something ends a key the page shows.
    invalidation.end({invalidation.article(article.pk)})
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert len(queries) > 0
    assert b"Versioned heron" in response.content


def test_a_save_in_a_shell_reaches_every_page_that_shows_it(client, article):
    url = article.get_absolute_url()
    assert b"Cached heron sighting" in client.get(url).content
    assert b"Cached heron sighting" in client.get("/").content
    # No admin involved: the model announces the change, the caches listen.
    article.headline = "Renamed heron sighting"
    article.save()
    assert b"Renamed heron sighting" in client.get(url).content
    assert b"Renamed heron sighting" in client.get("/").content


def test_page_rendered_before_the_commit_does_not_survive_it(
    client, article, django_capture_on_commit_callbacks
):
    url = article.get_absolute_url()
    with django_capture_on_commit_callbacks(execute=True):
        invalidation.end({invalidation.article(article.pk)})
        # Another process renders now: the change is not committed, so it sees the old
        # headline and keeps it, stamped after the change was logged.
        assert b"Cached heron sighting" in client.get(url).content
        type(article).objects.filter(pk=article.pk).update(headline="Committed heron sighting")
        assert b"Cached heron sighting" in client.get(url).content
    # The commit logs the change again: the page rendered in between is gone.
    assert b"Committed heron sighting" in client.get(url).content


def test_page_cache_can_be_turned_off(client, article, settings):
    settings.PAGE_CACHE_SECONDS = 0
    settings.FRAGMENT_CACHE_SECONDS = 0
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert len(queries) > 0
    assert response.has_header("ETag")


def test_signed_in_staff_get_fresh_private_pages(client, article, editor):
    client.force_login(editor)
    client.get("/")
    type(article).objects.filter(pk=article.pk).update(headline="Freshly edited heron")
    response = client.get("/")
    assert b"Freshly edited heron" in response.content
    assert "private" in response["Cache-Control"]
    # ...and what they saw is not served to anonymous readers.
    client.logout()
    anonymous = client.get("/")
    assert "public" in anonymous["Cache-Control"]


def test_404_pages_set_no_cookie(client, db):
    response = client.get("/section/nowhere/")
    assert response.status_code == 404
    assert not response.cookies


def test_post_is_never_served_from_the_cache(client, article):
    client.get("/")
    assert client.post("/").status_code == 405


@pytest.mark.parametrize("page", ["/", "/?page=2"])
def test_each_page_number_has_its_own_cache_entry(client, db, page):
    for n in range(25):
        ArticleFactory(headline=f"Story number {n:02d}", slug=f"story-{n}")
    first = client.get("/").content
    second = client.get("/?page=2").content
    assert first != second


REDIS_URL = os.environ.get("READER_TEST_REDIS_URL", "redis://127.0.0.1:6379/2")


@pytest.mark.skipif(not redis_reachable(REDIS_URL), reason=f"needs a Redis server at {REDIS_URL}")
def test_page_cache_is_shared_through_redis_and_invalidated_for_everyone(client, article, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"reader-test-{uuid.uuid4().hex}",
        }
    }
    from django.core.cache import caches

    url = article.get_absolute_url()
    client.get(url)
    # Another app process: its own connection to the same Redis, no local state.
    caches.close_all()
    with CaptureQueriesContext(connection) as queries:
        assert b"Cached heron sighting" in client.get(url).content
    assert len(queries) == 0
    type(article).objects.filter(pk=article.pk).update(headline="Heron flew away")
    invalidation.end({invalidation.article(article.pk)})
    caches.close_all()
    assert b"Heron flew away" in client.get(url).content
    caches["default"].clear()


# Fragments: with the page cache off, the views still run, and keep the expensive
# parts of their pages in the same cache under the same rules.


def story_headline(response):
    """The headline in the story itself (the page's <title> is never kept)."""
    html = response.content.decode()
    return html.split('class="story-headline">', 1)[1].split("</h1>", 1)[0]


@pytest.fixture
def fragments_only(settings):
    settings.PAGE_CACHE_SECONDS = 0
    settings.FRAGMENT_CACHE_SECONDS = 600


def queries_for(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return [query["sql"] for query in queries]


@pytest.mark.parametrize(
    "path", ["article", "/section/nature/", "/tag/birds/", "/author/hal/", "/"]
)
def test_a_page_made_of_kept_fragments_reads_no_database(client, article, fragments_only, path):
    if path == "article":
        path = article.get_absolute_url()
    assert len(queries_for(client, path)) > 2
    # Everything a page is built on (the article's keys, the section, the rendered
    # parts) is kept until what it shows changes; whether the article is live is
    # decided by the clock, on every request.
    assert queries_for(client, path) == []
    # The page is the same page, not a stale or partial one.
    assert b"Cached heron sighting" in client.get(path).content


def test_fragments_end_when_what_they_show_changes(client, article, fragments_only):
    url = article.get_absolute_url()
    client.get(url)
    client.get("/")
    type(article).objects.filter(pk=article.pk).update(headline="Heron, renamed")
    # A change made behind the site's back (no signal): they stay...
    assert b"Heron, renamed" not in client.get("/").content
    invalidation.end({invalidation.card(article.pk)})
    # ...and once the card is ended every list shows the change.
    assert b"Heron, renamed" in client.get("/").content
    assert b"Heron, renamed" in client.get("/section/nature/").content


def test_an_approved_comment_shows_with_fragments_kept(
    client, article, fragments_only, moderator, django_capture_on_commit_callbacks
):
    from comments.models import Comment

    url = article.get_absolute_url()
    assert b"No comments yet." in client.get(url).content
    comment = Comment.objects.create(
        article=article,
        name="Wren",
        body="Saw it too.",
        body_html="<p>Saw it too.</p>",
        status=Comment.Status.PENDING,
    )
    assert b"Saw it too." not in client.get(url).content
    with django_capture_on_commit_callbacks(execute=True):
        comment.moderate(Comment.Status.APPROVED, by=moderator)
    assert b"Saw it too." in client.get(url).content


def test_fragments_are_kept_in_process_and_checked_against_the_shared_version(
    client, article, fragments_only
):
    from django.core.cache import cache

    from newsroom.caching import COUNTER_KEY, START_KEY, local_fragments

    url = article.get_absolute_url()
    client.get(url)
    # The shared entries are gone (evicted, say), the change log is not: this process
    # still has the page's parts in memory...
    kept = cache.get_many([COUNTER_KEY, START_KEY])
    cache.clear()
    cache.set_many(kept, None)
    assert queries_for(client, url) == []
    # ...but not once what they show changes (an UPDATE that bypasses save() clears
    # the article's kept markup itself, as save() would).
    type(article).objects.filter(pk=article.pk).update(headline="Heron, elsewhere", page_html=None)
    invalidation.end({invalidation.article(article.pk)})
    assert story_headline(client.get(url)) == "Heron, elsewhere"
    local_fragments.clear()
    assert story_headline(client.get(url)) == "Heron, elsewhere"


def test_a_cleared_cache_never_revives_an_entry_kept_in_memory(client, article, fragments_only):
    from django.core.cache import cache

    url = article.get_absolute_url()
    cache.clear()
    client.get(url)  # rendered under the first version of an empty cache
    # Redis restarted (or was flushed): the change counter starts again, from the
    # clock, above the stamps of the entries this process holds.
    cache.clear()
    type(article).objects.filter(pk=article.pk).update(
        headline="Heron after the restart", page_html=None
    )
    assert story_headline(client.get(url)) == "Heron after the restart"


def test_previews_and_staff_never_get_kept_fragments(client, article, fragments_only, editor):
    url = article.get_absolute_url()
    client.get(url)
    type(article).objects.filter(pk=article.pk).update(
        headline="Heron, as staff see it", page_html=None
    )
    client.force_login(editor)
    assert story_headline(client.get(url)) == "Heron, as staff see it"


@pytest.mark.parametrize("page_cache_seconds", [0, 300])
def test_a_scheduled_story_goes_live_on_time_on_kept_pages(
    client, article, settings, monkeypatch, page_cache_seconds
):
    """A scheduled story turns live by the clock, with nothing saved to announce it:
    no kept page or fragment may outlive that moment."""
    import datetime
    import time

    from django.utils import timezone

    from newsroom import caching

    settings.PAGE_CACHE_SECONDS = page_cache_seconds
    settings.FRAGMENT_CACHE_SECONDS = 600
    due = timezone.now() + datetime.timedelta(seconds=60)
    ArticleFactory(
        headline="Embargoed egret report", slug="egret", section=article.section, published_at=due
    )
    assert b"Embargoed egret report" not in client.get("/").content
    assert b"Embargoed egret report" not in client.get("/section/nature/").content
    # Sixty-one seconds later: the story's time has come (here, it is moved to the
    # past, which is what the clock does to it) and the cache's clock says so too.
    type(article).objects.filter(slug="egret").update(
        published_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    later = time.time() + 61
    monkeypatch.setattr(caching, "_now", lambda: later)
    assert b"Embargoed egret report" in client.get("/").content
    assert b"Embargoed egret report" in client.get("/section/nature/").content


def test_a_renamed_section_or_author_shows_at_once_on_kept_pages(client, article, fragments_only):
    from articles.models import Author, Section

    client.get("/")
    client.get(article.get_absolute_url())
    section = Section.objects.get(slug="nature")
    section.name = "Wildlife"
    section.save()
    assert 'href="/section/nature/">Wildlife</a>' in client.get("/").content.decode()
    author = Author.objects.get(slug="hal")
    author.name = "Hal Renamed"
    author.save()
    assert "Hal Renamed" in client.get(article.get_absolute_url()).content.decode()


def test_a_page_from_kept_fragments_is_the_page_rendered_afresh(client, paths, settings):
    """Byte for byte: the fragments change where the work is done, not the page."""
    from newsroom.caching import local_fragments

    settings.PAGE_CACHE_SECONDS = 0
    for path in [*paths, "/?page=2", "/section/nature/?page=1"]:
        settings.FRAGMENT_CACHE_SECONDS = 0
        fresh = client.get(path)
        settings.FRAGMENT_CACHE_SECONDS = 600
        client.get(path)
        kept = client.get(path)
        assert kept.status_code == fresh.status_code, path
        assert kept.content == fresh.content, path
    local_fragments.clear()


def _max_age(header, name):
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == name:
            return int(value)
    raise AssertionError(f"no {name} in {header!r}")


def test_shared_caches_and_the_cdn_keep_no_page_past_the_next_scheduled_story(
    client, article, settings, monkeypatch
):
    import datetime
    import time

    from django.utils import timezone

    from newsroom import caching

    settings.PAGE_CACHE_SECONDS = 300
    settings.CDN_MAX_AGE = 86400
    now = time.time()
    monkeypatch.setattr(caching, "_now", lambda: now)
    first = client.get("/")
    assert _max_age(first["Cache-Control"], "s-maxage") == 300
    assert first["Surrogate-Control"] == "max-age=86400"

    ArticleFactory(
        headline="Embargoed egret report",
        slug="egret",
        published_at=timezone.now() + datetime.timedelta(seconds=90),
    )
    rendered = client.get("/")
    assert 85 <= _max_age(rendered["Cache-Control"], "s-maxage") <= 90
    assert _max_age(rendered["Cache-Control"], "max-age") == 60
    assert 85 <= _max_age(rendered["Surrogate-Control"], "max-age") <= 90
    # Served from the page cache 60 seconds later: the CDN may keep it 30 more, not 90.
    monkeypatch.setattr(caching, "_now", lambda: now + 60)
    with CaptureQueriesContext(connection) as queries:
        hit = client.get("/")
    assert len(queries) == 0
    assert 25 <= _max_age(hit["Cache-Control"], "s-maxage") <= 30
    assert 25 <= _max_age(hit["Surrogate-Control"], "max-age") <= 30


def test_the_in_process_copy_stays_within_its_size(settings):
    from newsroom.caching import local_fragments

    settings.FRAGMENT_LOCAL_MB = 1
    page = "x" * 100_000  # about 100 KB each: ten fit in 1 MB
    for number in range(30):
        local_fragments.put(f"page-{number}", (1, float("inf"), frozenset(), page))
    assert local_fragments.size <= 1024 * 1024
    assert local_fragments.get("page-29") is not None  # the newest are kept...
    assert local_fragments.get("page-0") is None  # ...the oldest went first
    # A fragment too big to keep without pushing out most others is not kept.
    local_fragments.put("huge", (1, float("inf"), frozenset(), "x" * 200_000))
    assert local_fragments.get("huge") is None
    local_fragments.clear()
    assert local_fragments.size == 0


def test_a_kept_comment_thread_ends_when_comments_close_by_the_clock(
    client, article, fragments_only, monkeypatch
):
    import datetime
    import time

    from django.utils import timezone

    from newsroom import caching

    closes = timezone.now() + datetime.timedelta(seconds=60)
    article.comments_enabled, article.comments_close_at = True, closes
    article.save()
    url = article.get_absolute_url()
    assert "Join the conversation" in client.get(url).content.decode()
    assert queries_for(client, url) == []  # kept, closing time and all
    # Sixty-one seconds later comments are closed: the kept thread, form and all, is not
    # served past that moment (the clock moves the closing time into the past).
    type(article).objects.filter(pk=article.pk).update(
        comments_close_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    later = time.time() + 61
    monkeypatch.setattr(caching, "_now", lambda: later)
    html = client.get(url).content.decode()
    assert "Comments on this article are closed." in html
    assert "Join the conversation" not in html


def test_pages_are_kept_in_process_and_checked_against_the_shared_change_log(
    client, article, settings
):
    """A page this process served is answered from its memory (only the change log is
    read from the shared cache), and never once what it shows has changed."""
    from django.core.cache import cache

    from newsroom.caching import COUNTER_KEY, START_KEY

    settings.PAGE_CACHE_SECONDS = 300
    url = article.get_absolute_url()
    client.get(url)
    # The shared entries are gone (evicted, say), the change log is not...
    kept = cache.get_many([COUNTER_KEY, START_KEY])
    cache.clear()
    cache.set_many(kept, None)
    assert queries_for(client, url) == []
    assert story_headline(client.get(url)) == "Cached heron sighting"
    # (Served, not rendered again: a render would have kept the page in the shared cache.)
    from django.test import RequestFactory

    from newsroom.caching import _page_params, page_key

    assert cache.get(page_key(RequestFactory().get(url), _page_params(url))) is None
    # ...but a change ends this process's copy as it ends the shared one.
    type(article).objects.filter(pk=article.pk).update(headline="Heron, again", page_html=None)
    invalidation.end({invalidation.article(article.pk)})
    assert story_headline(client.get(url)) == "Heron, again"
