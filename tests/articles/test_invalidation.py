"""Invalidation follows what changed (issue 12): a change ends only the kept pages and
fragments that show it, wherever the change is made; nobody can multiply entries; and a
failing cache is a miss, never an error.

Run on SQLite with the local-memory cache and, in the PostgreSQL pass, against the
real Redis (REDIS_URL): the same tests, the same outcomes."""

import datetime
import io
import logging

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, Author, Image, Section
from comments.models import Comment
from newsroom import caching, invalidation
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CommentFactory,
    ImageFactory,
    SectionFactory,
)
from tests.servers import (
    RedisServer,
    command_calls,
    free_port,
    redis_available,
    use_redis,
    wait_until,
)


def served(client, path):
    """(response, number of queries it ran)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return response, len(queries)


def from_the_cache(client, path):
    response, queries = served(client, path)
    return response.status_code == 200 and queries == 0


@pytest.fixture
def desk(db):
    """Two sections, two stories in each, a shared tag and author: a small news site."""
    news = SectionFactory(name="News", slug="news", position=0)
    sport = SectionFactory(name="Sport", slug="sport", position=1)
    ada = AuthorFactory(name="Ada Reed", slug="ada")
    now = timezone.now()
    stories = {
        name: ArticleFactory(
            headline=f"The {name} story",
            slug=name,
            section=section,
            authors=[ada],
            tags=["harbour"],
            published_at=now - datetime.timedelta(hours=hours),
        )
        for name, section, hours in [
            ("alpha", news, 1),
            ("bravo", news, 2),
            ("charlie", sport, 3),
            ("delta", sport, 4),
        ]
    }
    return {"news": news, "sport": sport, "ada": ada, **stories}


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 300
    settings.FRAGMENT_CACHE_SECONDS = 600


def warm(client, *paths):
    for path in paths:
        assert client.get(path).status_code == 200, path
        assert from_the_cache(client, path), f"{path} is not kept"


def test_approving_a_comment_ends_only_that_articles_page(client, desk, page_cache, moderator):
    alpha, bravo = desk["alpha"], desk["bravo"]
    others = ["/", bravo.get_absolute_url(), "/section/news/", "/feeds/latest/"]
    warm(client, alpha.get_absolute_url(), *others)
    comment = CommentFactory(article=alpha, body="A view from the quay.", status="pending")
    comment.approve(by=moderator)
    # Another article's page and the front are still served from the cache...
    for path in others:
        assert from_the_cache(client, path), f"{path} was ended by a comment on alpha"
    # ...while alpha's page shows the comment at once.
    response, queries = served(client, alpha.get_absolute_url())
    assert queries > 0
    assert "A view from the quay." in response.content.decode()


def test_publishing_ends_the_lists_the_story_joins_and_no_other_article(
    client, desk, page_cache, editor
):
    story = ArticleFactory(
        headline="Harbour wall breached",
        slug="breach",
        section=desk["news"],
        authors=[desk["ada"]],
        tags=["harbour"],
        draft=True,
    )
    tag = story.tags.get()
    lists = [
        "/",
        "/section/news/",
        f"/tag/{tag.slug}/",
        "/author/ada/",
        "/feeds/latest/",
        "/feeds/section/news/",
        "/news-sitemap.xml",
    ]
    others = [
        desk["charlie"].get_absolute_url(),
        desk["delta"].get_absolute_url(),
        "/section/sport/",
    ]
    warm(client, *lists, *others)
    story.publish(by=editor)
    for path in lists:
        response, queries = served(client, path)
        assert queries > 0, f"{path} was not ended"
        assert "Harbour wall breached" in response.content.decode() or "breach" in (
            response.content.decode()
        ), path
    for path in others:
        assert from_the_cache(client, path), f"{path} was ended by publishing a news story"
    assert "Harbour wall breached" in client.get(story.get_absolute_url()).content.decode()


def test_withdrawing_drops_the_story_from_related_lists(client, desk, page_cache, editor):
    alpha, bravo = desk["alpha"], desk["bravo"]
    assert alpha.headline in client.get(bravo.get_absolute_url()).content.decode()
    alpha.withdraw(by=editor)
    assert alpha.headline not in client.get(bravo.get_absolute_url()).content.decode()
    assert client.get(alpha.get_absolute_url()).status_code == 410


def test_editing_a_body_leaves_the_lists_kept(client, desk, page_cache):
    alpha = desk["alpha"]
    warm(client, "/", "/section/news/", alpha.get_absolute_url())
    alpha.body = "<p>A corrected paragraph.</p>"
    alpha.save()
    assert "A corrected paragraph." in client.get(alpha.get_absolute_url()).content.decode()
    assert from_the_cache(client, "/")
    assert from_the_cache(client, "/section/news/")
    # A new headline is on every card, so the lists that show it end.
    alpha.headline = "Alpha, retitled"
    alpha.save()
    assert "Alpha, retitled" in client.get("/").content.decode()
    assert "Alpha, retitled" in client.get("/section/news/").content.decode()


def test_renaming_a_section_ends_every_page_with_the_menu(client, desk, page_cache):
    paths = ["/", desk["charlie"].get_absolute_url(), "/author/ada/", "/search/?q=story"]
    warm(client, *paths)
    sport = Section.objects.get(slug="sport")
    sport.name = "Sports desk"
    sport.save()
    for path in paths:
        assert ">Sports desk</a>" in client.get(path).content.decode(), path


def test_renaming_an_author_or_a_tag_ends_the_pages_that_show_the_name(client, desk, page_cache):
    alpha = desk["alpha"]
    warm(client, alpha.get_absolute_url(), "/section/news/", "/section/sport/")
    ada = Author.objects.get(slug="ada")
    ada.name = "Ada Reed-Hall"
    ada.save()
    assert "Ada Reed-Hall" in client.get(alpha.get_absolute_url()).content.decode()
    assert "Ada Reed-Hall" in client.get("/section/news/").content.decode()
    tag = alpha.tags.get()
    tag.name = "Harbour works"
    tag.save()
    assert "Harbour works" in client.get(alpha.get_absolute_url()).content.decode()


def test_a_new_picture_text_reaches_the_pages_that_show_it(client, desk, page_cache):
    alpha = desk["alpha"]
    image = ImageFactory(alt_text="Old wall")
    alpha.lead_image = image
    alpha.save()
    warm(client, alpha.get_absolute_url(), "/section/sport/")
    image.alt_text = "The breached harbour wall"
    image.save()
    assert (
        'alt="The breached harbour wall"' in client.get(alpha.get_absolute_url()).content.decode()
    )
    assert from_the_cache(client, "/section/sport/")  # shows neither the story nor its picture


def test_deleting_a_picture_reaches_the_pages_that_showed_it(client, desk, page_cache):
    alpha = desk["alpha"]
    alpha.lead_image = ImageFactory(alt_text="A picture to delete")
    alpha.save()
    warm(client, alpha.get_absolute_url())
    with pytest.raises(ProtectedError):  # a picture in use is not deleted (issue 17)
        Image.objects.filter(alt_text="A picture to delete").delete()
    alpha.lead_image = None
    alpha.save()
    Image.objects.filter(alt_text="A picture to delete").delete()
    assert "A picture to delete" not in client.get(alpha.get_absolute_url()).content.decode()


def test_erasing_a_commenter_reaches_the_public_page(client, desk, page_cache):
    alpha = desk["alpha"]
    CommentFactory(article=alpha, name="Wren Tallow", email="wren@example.org")
    assert "Wren Tallow" in client.get(alpha.get_absolute_url()).content.decode()
    call_command("purge_comment_data", email=["wren@example.org"], stdout=io.StringIO())
    assert "Wren Tallow" not in client.get(alpha.get_absolute_url()).content.decode()
    assert Comment.objects.filter(article=alpha, name="").count() == 1


def test_a_change_in_a_management_command_reaches_readers(client, desk, page_cache):
    warm(client, "/")
    call_command("generate_content", articles=3, comments=0, stdout=io.StringIO())
    _response, queries = served(client, "/")
    assert queries > 0


# Keys no one can multiply --------------------------------------------------------------


def page_entries():
    """How many whole pages the shared cache holds."""
    backend = cache._cache
    if hasattr(backend, "get_client"):  # Redis
        client = backend.get_client()
        return sum(1 for _ in client.scan_iter(match=f"*{caching.PAGE_KEY_PREFIX}*"))
    return sum(1 for key in backend if caching.PAGE_KEY_PREFIX in key)


def test_junk_query_strings_share_the_pages_entry(client, desk, page_cache):
    client.get("/")
    before = page_entries()
    for n in range(50):
        for junk in (f"utm_source=x{n}", f"fbclid={n}", f"anything{n}=1&utm_medium={n}"):
            assert from_the_cache(client, f"/?{junk}"), junk
    for same in ("/?page=1", "/?page=01", "/?page=%201"):
        assert from_the_cache(client, same), same
    assert page_entries() == before


def test_a_page_number_int_cannot_read_is_a_404_never_a_500(client, desk, page_cache):
    """ "²" is a digit to str.isdigit(), not to int()."""
    for path in ("/", "/section/news/"):
        for _ in range(2):  # rendered, then from the cache
            assert client.get(path, {"page": "\u00b2"}).status_code == 404, path
    # An article reads a page of comments it cannot make out as the first.
    alpha = desk["alpha"].get_absolute_url()
    first = client.get(alpha).content
    for _ in range(2):
        response = client.get(alpha, {"comments": "\u00b2"})
        assert response.status_code == 200 and response.content == first


def test_other_scripts_digits_are_the_numbers_int_reads(client, desk, page_cache):
    """Arabic-Indic and fullwidth digits are numbers to int() and to the paginator: the
    page kept for "two" in them is page 2, never another page under a shared entry."""
    ArticleFactory.create_batch(20, section=desk["news"])
    page_two = client.get("/section/news/", {"page": "2"})
    page_one = client.get("/section/news/")
    assert page_two.status_code == 200 and page_two.content != page_one.content
    for two in ("\u0662", "\uff12"):
        for _ in range(2):  # rendered, then from the cache
            response = client.get("/section/news/", {"page": two})
            assert response.content == page_two.content


def test_no_value_of_one_request_reaches_another_readers_page(client, desk, settings):
    settings.PAGE_CACHE_SECONDS = 300
    for n in range(25):
        ArticleFactory(section=desk["news"], slug=f"filler-{n}")
    marker = "zq-planted-marker"
    for path in ("/", "/section/news/", f"/author/ada/?page=1&q={marker}"):
        response = client.get(f"{path}{'&' if '?' in path else '?'}q={marker}")
        assert marker not in response.content.decode(), path
    settings.PAGE_CACHE_SECONDS = 0  # fragments alone, as a signed-in reader gets them
    for path in ("/", "/section/news/", "/author/ada/"):
        assert marker not in client.get(path).content.decode(), path
    # Search keeps its words in its own links, of course.
    results = client.get(f"/search/?q=story+{marker}")
    assert results.status_code == 200


# A failing cache is a miss ---------------------------------------------------------------


@pytest.mark.slow
def test_a_full_redis_is_a_miss_never_a_500(client, desk, settings, caplog):
    """Redis at its memory limit with no eviction refuses every write (OOM)."""
    redis = RedisServer().start()
    try:
        use_redis(settings, redis.url(0))
        import redis as redis_py

        server = redis_py.Redis(port=redis.port)
        server.config_set("maxmemory-policy", "noeviction")
        server.config_set("maxmemory", 1)
        with caplog.at_level(logging.WARNING, logger="newsroom.cache"):
            for path in ("/", desk["alpha"].get_absolute_url(), "/section/news/", "/feeds/latest/"):
                for _ in range(2):
                    assert client.get(path).status_code == 200, path
        assert "OutOfMemoryError" in caplog.text or "OOM" in caplog.text
        # Writers are not hurt either.
        desk["alpha"].headline = "Saved while Redis is full"
        desk["alpha"].save()
        assert (
            "Saved while Redis is full"
            in client.get(desk["alpha"].get_absolute_url()).content.decode()
        )
    finally:
        redis.stop()
        use_redis(settings, settings.CACHES["default"]["LOCATION"])


def test_an_unreachable_cache_is_a_miss_never_a_500(client, desk, settings):
    use_redis(settings, f"redis://127.0.0.1:{free_port()}/0")
    for path in ("/", desk["alpha"].get_absolute_url(), "/section/news/", "/search/?q=story"):
        for _ in range(2):
            assert client.get(path).status_code == 200, path
    desk["alpha"].headline = "Saved while Redis is away"
    desk["alpha"].save()
    assert (
        "Saved while Redis is away" in client.get(desk["alpha"].get_absolute_url()).content.decode()
    )


# Processes that follow the log -----------------------------------------------------------


def test_a_new_process_trusts_what_is_kept_and_follows_later_changes(client, desk, page_cache):
    alpha = desk["alpha"]
    warm(client, alpha.get_absolute_url(), "/")
    caching.forget_everything_in_this_process()  # a worker that just started
    assert from_the_cache(client, alpha.get_absolute_url())
    assert from_the_cache(client, "/")
    invalidation.end({invalidation.article(alpha.pk)})
    assert not from_the_cache(client, alpha.get_absolute_url())
    assert from_the_cache(client, "/")


def test_a_change_the_log_lost_makes_older_entries_stale(client, desk, page_cache, monkeypatch):
    """A change counted but never written (its writer died, Redis evicted it): after a
    short wait everything kept before it is taken as stale, never served forever."""
    clock = [caching.time.monotonic()]
    monkeypatch.setattr(caching.time, "monotonic", lambda: clock[0])
    warm(client, "/")
    cache.incr(caching.COUNTER_KEY)  # counted, not logged (nor announced)
    assert from_the_cache(client, "/")
    if caching._announcements() is not None:
        # With Redis a process that heard no change looks at the counter this often.
        clock[0] += caching.QUIET_SECONDS
    assert from_the_cache(client, "/")  # within the grace period: the writer may be slow
    clock[0] += caching.MISSING_GRACE + 1
    assert not from_the_cache(client, "/")


# Changes announced: a process asks Redis nothing while it hears of none ------------------


def change_from_another_process(keys, announce=True):
    """What `caching.changed()` does in another process: count, log, announce."""
    number = cache.incr(caching.COUNTER_KEY)
    cache.set(f"{caching.LOG_KEY}:{number}", frozenset(keys), caching.LOG_SECONDS)
    if announce:
        cache.announce(caching.ANNOUNCE_CHANNEL)


@pytest.fixture
def private_redis(settings):
    if not redis_available():
        pytest.skip("needs redis-server on the PATH")
    import redis as redis_py

    server = RedisServer().start()
    try:
        use_redis(settings, server.url(0))
        yield redis_py.Redis(port=server.port)
    finally:
        server.stop()
        use_redis(settings, settings.CACHES["default"]["LOCATION"])


def listening():
    announcements = caching._announcements()
    wait_until(lambda: announcements.live, 5, interval=0.01, what="the subscription")
    return announcements


def test_a_kept_page_is_served_with_no_round_trip_while_no_change_is_heard(
    client, desk, page_cache, private_redis
):
    alpha = desk["alpha"].get_absolute_url()
    listening()
    warm(client, alpha, "/")
    client.get(alpha)  # the process has read the counter since it subscribed
    before = command_calls(private_redis)
    for _ in range(5):
        assert from_the_cache(client, alpha)
    assert command_calls(private_redis) == before


def test_a_change_announced_by_another_process_ends_the_page_at_once(
    client, desk, page_cache, private_redis
):
    alpha, bravo = desk["alpha"], desk["bravo"]
    announcements = listening()
    warm(client, alpha.get_absolute_url(), bravo.get_absolute_url())
    heard = announcements.heard
    change_from_another_process({invalidation.article(alpha.pk)})
    wait_until(lambda: announcements.heard > heard, 5, interval=0.001, what="the notice")
    assert not from_the_cache(client, alpha.get_absolute_url())
    assert from_the_cache(client, bravo.get_absolute_url())


def test_a_notice_gone_astray_delays_a_change_by_at_most_the_quiet_time(
    client, desk, page_cache, private_redis, monkeypatch
):
    alpha = desk["alpha"].get_absolute_url()
    listening()
    warm(client, alpha)
    client.get(alpha)
    clock = [caching.time.monotonic()]
    monkeypatch.setattr(caching.time, "monotonic", lambda: clock[0])
    change_from_another_process({invalidation.article(desk["alpha"].pk)}, announce=False)
    assert from_the_cache(client, alpha)  # not heard: the counter is not read
    clock[0] += caching.QUIET_SECONDS
    assert not from_the_cache(client, alpha)


def test_the_change_log_is_kept_longer_than_any_entry():
    assert max(settings.PAGE_CACHE_SECONDS, settings.FRAGMENT_CACHE_SECONDS) <= caching.LOG_SECONDS


def test_a_scheduled_story_changes_the_clock_key(desk, editor):
    story = ArticleFactory(draft=True)
    stamp = caching.request_stamp(type("Request", (), {})())
    story.schedule(timezone.now() + datetime.timedelta(hours=1), by=editor)
    caching.changes.follow(cache.get(caching.COUNTER_KEY))
    assert not caching.changes.fresh(stamp, {caching.CLOCK})
    assert Article.objects.next_visibility_change() == story.published_at


def test_emptying_the_cache_is_heard_at_once(client, desk, page_cache, private_redis):
    alpha = desk["alpha"].get_absolute_url()
    listening()
    warm(client, alpha)
    client.get(alpha)
    cache.clear()  # an operator's FLUSHDB through the site, or a test starting afresh
    assert not from_the_cache(client, alpha)
