"""Live coverage (issue 15): updates readers see and only those, new ones by `?since=`,
a new update ending only its own story's kept pages, and the LiveBlogPosting JSON-LD."""

import datetime
import json
import re

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Embed, LiveUpdate
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory, UserFactory

JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 300
    settings.FRAGMENT_CACHE_SECONDS = 600


@pytest.fixture
def story(db):
    return ArticleFactory(
        headline="Storm Alda reaches the coast",
        slug="storm-alda",
        kind=Article.Kind.LIVE,
        published_at=timezone.now() - datetime.timedelta(hours=3),
        section=SectionFactory(slug="news", name="News"),
    )


def post(story, editor, text, *, title="", publish=True, **fields):
    update = LiveUpdate.objects.create(article=story, title=title, body=f"<p>{text}</p>", **fields)
    if publish:
        update.publish(by=editor)
    return update


def updates_url(story, since):
    path = story.get_absolute_url() + "updates/"
    assert path == reverse(
        "articles:live_updates",
        kwargs={
            "year": story.published_at.year,
            "month": story.published_at.month,
            "day": story.published_at.day,
            "slug": story.slug,
        },
    )
    return f"{path}?since={since}"


def poll(client, story, since):
    response = client.get(updates_url(story, since))
    assert response.status_code == 200, response.content
    return response.json()


def main(response=None, html=None):
    """The page's content, without the head (whose JSON-LD lists the latest updates)."""
    html = response.content.decode() if html is None else html
    return html[html.index("<main") :]


def served_from_cache(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return response.status_code == 200 and len(queries) == 0


# The model ------------------------------------------------------------------------


def test_an_update_is_sanitised_and_rendered_when_saved(story, editor):
    update = LiveUpdate.objects.create(
        article=story, body='<p onclick="alert(1)">Winds of <b>100</b> km/h</p><script>x</script>'
    )
    assert "onclick" not in update.body and "<script" not in update.body
    assert update.body_html == update.body
    assert update.status == LiveUpdate.Status.DRAFT and update.published_at is None
    assert update.version == 1
    update.title = "Winds"
    update.save()
    assert update.version == 2


def test_publishing_dates_the_update_once_and_withdrawing_keeps_it(story, editor):
    update = post(story, editor, "First.")
    first = update.published_at
    assert first is not None
    update.withdraw(by=editor)
    update.publish(by=editor)
    assert update.published_at == first


def test_a_reporter_drafts_but_does_not_publish(story, reporter, settings):
    from django.core.exceptions import PermissionDenied

    update = LiveUpdate.objects.create(article=story, body="<p>Draft.</p>")
    with pytest.raises(PermissionDenied):
        update.publish(by=reporter)
    # Unless the newsroom lets the reporters bylined on the story publish.
    settings.LIVE_REPORTERS_PUBLISH = True
    with pytest.raises(PermissionDenied):
        update.publish(by=reporter)
    story.bylines.create(author=AuthorFactory(user=reporter), position=0)
    update.publish(by=reporter)
    assert update.status == LiveUpdate.Status.PUBLISHED


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "published"},  # published with no time
        {"status": "shouted", "published_at": timezone.now()},
        {"title": "", "body": ""},
    ],
)
def test_the_database_refuses_impossible_updates(story, fields):
    values = {"article": story, "title": "T", "body": "<p>B</p>", **fields}
    with pytest.raises(IntegrityError), transaction.atomic():
        LiveUpdate.objects.bulk_create([LiveUpdate(**values)])


def test_the_database_refuses_an_unknown_kind(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(kind="blog")


def test_updates_are_posted_to_live_articles_only(db):
    from django.core.exceptions import ValidationError

    plain = ArticleFactory()
    with pytest.raises(ValidationError):
        LiveUpdate(article=plain, body="<p>x</p>").full_clean()


# Readers --------------------------------------------------------------------------


def test_the_page_shows_published_updates_newest_first_pinned_and_key_events_on_top(
    client, story, editor
):
    old = post(story, editor, "Pinned: where to find shelter.", title="Shelters", pinned=True)
    key = post(story, editor, "The bridge is closed.", title="Bridge closed", key_event=True)
    post(story, editor, "Rain is heavier now.")
    post(story, editor, "A draft nobody sees.", publish=False)
    withdrawn = post(story, editor, "A mistaken report.")
    withdrawn.withdraw(by=editor)
    html = client.get(story.get_absolute_url()).content.decode()
    assert "A draft nobody sees." not in html
    assert "A mistaken report." not in html
    html = html[html.index("<main") :]  # (the JSON-LD in the head lists them too)
    summary = html.index("Key events")
    pinned = html.index("where to find shelter")
    newest = html.index("Rain is heavier now.")
    bridge = html.index("The bridge is closed.")
    assert summary < pinned < newest < bridge
    assert f'href="#update-{key.pk}"' in html
    assert f'id="update-{old.pk}"' in html
    # The page polls from the newest update it shows.
    newest_pk = LiveUpdate.objects.filter(status="published").order_by("-published_at").first().pk
    assert f'data-since="{newest_pk}"' in html
    assert "js/live.js" in html and 'aria-live="polite"' in html


def test_older_updates_are_paginated_and_a_page_past_the_end_is_404(
    client, story, editor, settings
):
    settings.LIVE_UPDATES_PER_PAGE = 3
    for number in range(1, 8):
        post(story, editor, f"Update number {number}.")
    first = main(client.get(story.get_absolute_url()))
    assert "Update number 7." in first and "Update number 4." not in first
    assert "?updates=2" in first
    second = main(client.get(story.get_absolute_url() + "?updates=2"))
    assert "Update number 4." in second and "Update number 7." not in second
    third = main(client.get(story.get_absolute_url() + "?updates=3"))
    assert "Update number 1." in third and "?updates=4" not in third
    assert client.get(story.get_absolute_url() + "?updates=4").status_code == 404
    assert client.get(story.get_absolute_url() + "?updates=x").status_code == 404


def test_a_live_article_that_is_not_live_shows_nothing(client, story, editor):
    post(story, editor, "Published update on a draft story.")
    published_at = story.get_absolute_url()
    story.status = Article.Status.DRAFT
    story.published_at = None
    story.save()
    assert client.get(story.get_absolute_url()).status_code == 404
    url = reverse(
        "articles:live_updates",
        kwargs={"year": 2026, "month": 1, "day": 1, "slug": story.slug},
    )
    response = client.get(url + "?since=0")
    assert response.status_code == 404
    assert b"Published update" not in response.content
    # Nor at the address it had while it was live: the page, the endpoint, the feeds.
    for path in ("", "updates/?since=0", "updates/feed/", "updates/feed/atom/"):
        response = client.get(published_at + path)
        assert response.status_code == 404, path
        assert b"Published update" not in response.content


def test_since_returns_exactly_the_updates_published_after_it(client, story, editor):
    first = post(story, editor, "One.")
    written_early = post(story, editor, "Written early, published late.", publish=False)
    second = post(story, editor, "Two.")
    assert poll(client, story, second.pk)["count"] == 0
    written_early.publish(by=editor)
    third = post(story, editor, "Three.")
    post(story, editor, "Draft.", publish=False)
    data = poll(client, story, second.pk)
    assert data["count"] == 2
    assert data["latest"] == third.pk
    html = data["html"]
    assert html.index("Three.") < html.index("Written early, published late.")
    assert "One." not in html and "Two." not in html and "Draft." not in html
    everything = poll(client, story, 0)
    assert everything["count"] == 4
    assert poll(client, story, first.pk)["count"] == 3


def test_withdrawn_updates_are_not_new(client, story, editor):
    first = post(story, editor, "One.")
    gone = post(story, editor, "Gone.")
    gone.withdraw(by=editor)
    assert poll(client, story, first.pk)["count"] == 0
    # A page that still shows the withdrawn one keeps polling from it.
    assert poll(client, story, gone.pk)["count"] == 0


@pytest.mark.parametrize(
    "since",
    [
        *("", "abc", "-1", "1.5", "1e3", "9" * 19, "9" * 40, "%00", "1;DROP", "0x10", " 1"),
        *("\u0661\u0662", "\uff11", "\u00b2", "\u2460", "1\u200b", "\x00", "é"),
    ],
)
def test_garbage_since_is_a_400_with_a_message(client, story, editor, since):
    post(story, editor, "One.")
    response = client.get(story.get_absolute_url() + "updates/", {"since": since})
    assert response.status_code == 400
    if response["Content-Type"] == "application/json":
        assert "since" in response.json()["error"]
    else:  # refused before the view (a NUL in the query string) but with a message
        assert response.content.strip()


def test_since_naming_a_draft_or_another_storys_update_is_a_400(client, story, editor, db):
    draft = post(story, editor, "Draft.", publish=False)
    other = ArticleFactory(kind=Article.Kind.LIVE)
    elsewhere = post(other, editor, "Elsewhere.")
    # The largest ids it takes, past any integer column's range too: a 400, not a 500.
    for since in (draft.pk, elsewhere.pk, 999999, 2**31, 2**63 - 1, "9" * 18):
        response = client.get(updates_url(story, since))
        assert response.status_code == 400, since
        assert response.json()["error"]


@pytest.mark.parametrize("cache", [False, True], ids=["uncached", "page-cache"])
@pytest.mark.parametrize(
    "number",
    [
        *("0", "-1", "x", "1.5", "9" * 7, "\u0661", "\uff12", "2\u200b", "\u00b2"),
    ],
)
def test_a_garbage_page_of_updates_is_a_404(client, story, editor, settings, cache, number):
    if cache:
        settings.PAGE_CACHE_SECONDS = 300
    post(story, editor, "One.")
    response = client.get(story.get_absolute_url(), {"updates": number})
    assert response.status_code == 404


def test_the_updates_endpoint_of_a_story_is_404(client, db):
    plain = ArticleFactory()
    assert client.get(plain.get_absolute_url() + "updates/?since=0").status_code == 404


def test_hostile_update_bodies_render_nothing_executable(client, story, editor):
    from tests.articles.test_story_body import HOSTILE

    for body in HOSTILE.values():
        update = LiveUpdate.objects.create(article=story, body=f"<p>Text.</p>{body}")
        update.publish(by=editor)
    update = LiveUpdate.objects.create(
        article=story,
        title='<script>alert("t")</script>',
        body='<p><a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)></p>',
    )
    update.publish(by=editor)
    page = client.get(story.get_absolute_url()).content.decode()
    fragment = poll(client, story, 0)["html"]
    for markup in (page, fragment):
        lowered = markup.lower()
        assert "javascript:" not in lowered
        assert "<script>alert" not in lowered
        assert not re.search(r"<[^>]+\son\w+=", lowered)
        assert "<iframe" not in lowered
    assert "&lt;script&gt;" in page


# Caches ---------------------------------------------------------------------------


def test_a_new_update_reaches_the_kept_page_and_endpoint_and_ends_nothing_else(
    client, story, editor, page_cache
):
    first = post(story, editor, "One.")
    other = ArticleFactory(slug="another-story")
    page, endpoint = story.get_absolute_url(), updates_url(story, first.pk)
    kept = [other.get_absolute_url(), "/", "/section/news/", "/feeds/latest/"]
    for path in (page, endpoint, *kept):
        assert client.get(path).status_code == 200
        assert served_from_cache(client, path), path
    post(story, editor, "Two: the river has burst its banks.")
    assert "the river has burst its banks" in client.get(page).content.decode()
    assert "the river has burst its banks" in client.get(endpoint).json()["html"]
    for path in kept:
        assert served_from_cache(client, path), f"{path} was ended by an update"
    # A draft ends nothing.
    for path in (page, endpoint):
        assert served_from_cache(client, path)
    post(story, editor, "Not yet.", publish=False)
    for path in (page, endpoint):
        assert served_from_cache(client, path), path


def test_a_withdrawn_update_leaves_the_kept_page(client, story, editor, page_cache):
    update = post(story, editor, "A mistaken report.")
    page = story.get_absolute_url()
    assert "A mistaken report." in client.get(page).content.decode()
    assert served_from_cache(client, page)
    update.withdraw(by=editor)
    assert "A mistaken report." not in client.get(page).content.decode()


def test_polling_with_nothing_new_is_one_cache_lookup_or_a_304(client, story, editor, page_cache):
    first = post(story, editor, "One.")
    endpoint = updates_url(story, first.pk)
    response = client.get(endpoint)
    etag = response["ETag"]
    assert "public" in response["Cache-Control"]
    assert f"article-{story.pk}-updates" in response["Surrogate-Key"].split()
    assert served_from_cache(client, endpoint)
    assert client.get(endpoint, HTTP_IF_NONE_MATCH=etag).status_code == 304


# Search engines -------------------------------------------------------------------


def test_json_ld_is_a_live_blog_posting_with_published_updates_only(
    client, story, editor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        story.coverage_ends_at = timezone.now() + datetime.timedelta(hours=5)
        story.save()
    with django_capture_on_commit_callbacks(execute=True):
        one = post(story, editor, "One.", title="First")
        post(story, editor, "A draft.", publish=False)
        gone = post(story, editor, "Gone.")
        gone.withdraw(by=editor)
        two = post(story, editor, "Two.", author=AuthorFactory(name="Ada Reed"))
    html = client.get(story.get_absolute_url()).content.decode()
    data = json.loads(JSON_LD.search(html).group(1))
    assert data["@type"] == "LiveBlogPosting"
    assert data["coverageStartTime"] == story.published_at.isoformat()
    assert data["coverageEndTime"] == story.coverage_ends_at.isoformat()
    updates = data["liveBlogUpdate"]
    assert [u["url"].rsplit("-", 1)[1] for u in updates] == [str(two.pk), str(one.pk)]
    assert all(u["@type"] == "BlogPosting" for u in updates)
    assert updates[0]["author"]["name"] == "Ada Reed"
    assert updates[1]["headline"] == "First"
    assert updates[1]["datePublished"] == one.published_at.isoformat()
    assert "Gone." not in html.split("application/ld+json")[1]


def test_json_ld_has_a_coverage_end_time_only_once_coverage_ends(
    client, editor, django_capture_on_commit_callbacks
):
    # Every change commits (its structured data is made again after the commit).
    with django_capture_on_commit_callbacks(execute=True):
        story = ArticleFactory(
            slug="count-day",
            kind=Article.Kind.LIVE,
            published_at=timezone.now() - datetime.timedelta(hours=3),
        )
    with django_capture_on_commit_callbacks(execute=True):
        post(story, editor, "One.")

    def json_ld():
        html = client.get(story.get_absolute_url()).content.decode()
        return json.loads(JSON_LD.search(html).group(1)), html

    data, html = json_ld()
    assert data["@type"] == "LiveBlogPosting" and "coverageEndTime" not in data
    assert "data-ends" not in html
    ended = timezone.now() - datetime.timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        story.coverage_ends_at = ended
        story.save()
    data, html = json_ld()
    assert data["coverageEndTime"] == ended.isoformat()
    assert data["coverageStartTime"] == story.published_at.isoformat()
    assert len(data["liveBlogUpdate"]) == 1  # the record stays
    ends = re.search(r'data-ends="([^"]+)"', html)[1]  # live.js stops polling after it
    assert datetime.datetime.fromisoformat(ends) == ended


def test_a_story_keeps_its_news_article_json_ld(client, db):
    story = ArticleFactory()
    data = json.loads(JSON_LD.search(client.get(story.get_absolute_url()).content.decode())[1])
    assert data["@type"] == "NewsArticle" and "liveBlogUpdate" not in data


# Feeds and the API ----------------------------------------------------------------


def test_the_live_articles_feed_carries_its_published_updates_only(client, story, editor):
    one = post(story, editor, "First update.", title="Polls open")
    post(story, editor, "A draft.", publish=False)
    gone = post(story, editor, "Gone.")
    gone.withdraw(by=editor)
    two = post(story, editor, "Second update.")
    page = client.get(story.get_absolute_url()).content.decode()
    feed_path = story.get_absolute_url() + "updates/feed/"
    assert f'href="{feed_path}"' in page
    for path in (feed_path, feed_path + "atom/"):
        response = client.get(path)
        assert response.status_code == 200, path
        xml = response.content.decode()
        assert "First update." in xml and "Second update." in xml and "Polls open" in xml
        assert "A draft." not in xml and "Gone." not in xml
        assert xml.index(f"#update-{two.pk}") < xml.index(f"#update-{one.pk}")
    plain = ArticleFactory()
    assert client.get(plain.get_absolute_url() + "updates/feed/").status_code == 404


def test_the_live_page_head_names_its_updates_feeds(client, story, editor):
    """Feed readers and browsers find the updates' feeds from the page itself: RSS and
    Atom `<link rel="alternate">` in the head, answering with the updates; a story's
    head names only the site's feed."""
    post(story, editor, "First update.", title="Polls open")
    html = client.get(story.get_absolute_url()).content.decode()
    head = html[: html.index("</head>")]
    found = re.findall(
        r'<link rel="alternate" type="application/(\w+)\+xml" title="[^"]*" href="([^"]+)">',
        head,
    )
    links = {kind: path for kind, path in found if not path.startswith("/feeds/")}
    feed = story.get_absolute_url() + "updates/feed/"
    assert links == {"rss": feed, "atom": feed + "atom/"}, found
    assert f'title="{story.headline}: live updates"' in head
    for kind, path in links.items():
        response = client.get(path)
        assert response.status_code == 200 and "Polls open" in response.content.decode()
        assert response["Content-Type"].startswith(f"application/{kind}+xml")
    plain = client.get(ArticleFactory(slug="a-story").get_absolute_url()).content.decode()
    assert "live updates" not in plain[: plain.index("</head>")]


def test_the_api_gives_a_live_articles_published_updates(client, story, editor):
    post(story, editor, "First update.", key_event=True)
    post(story, editor, "A draft.", publish=False)
    gone = post(story, editor, "Gone.")
    gone.withdraw(by=editor)
    data = client.get(f"/api/v1/articles/{story.pk}/").json()
    assert data["kind"] == "live"
    assert [u["body_html"] for u in data["live_updates"]] == ["<p>First update.</p>"]
    assert data["live_updates"][0]["key_event"] is True
    plain = ArticleFactory()
    data = client.get(f"/api/v1/articles/{plain.pk}/").json()
    assert data["kind"] == "story" and data["live_updates"] == []
    story.status = Article.Status.DRAFT
    story.published_at = None
    story.save()
    assert client.get(f"/api/v1/articles/{story.pk}/").status_code == 404


def test_an_embed_in_an_update_opens_frame_src_on_its_live_page_only(
    client, story, editor, oembed_provider
):
    other = ArticleFactory(slug="another-story")
    assert "frame-src 'none'" in client.get(story.get_absolute_url())["Content-Security-Policy"]
    update = LiveUpdate.objects.create(
        article=story, body=f'<figure data-embed="{oembed_provider.page("abc")}"></figure>'
    )
    assert update.body_media["frames"] == [oembed_provider.origin]
    page = client.get(story.get_absolute_url())
    assert "frame-src 'none'" in page["Content-Security-Policy"]  # a draft opens nothing
    update.publish(by=editor)
    page = client.get(story.get_absolute_url())
    assert f"frame-src {oembed_provider.origin}" in page["Content-Security-Policy"]
    assert "js/story.js" in page.content.decode()
    assert "frame-src 'none'" in client.get(other.get_absolute_url())["Content-Security-Policy"]


def test_a_changed_embed_renders_the_updates_showing_it_again(
    client, story, editor, oembed_provider, page_cache, django_capture_on_commit_callbacks
):
    """The provider now says otherwise about an address (an editor asked it again): the
    updates whose body embeds it, and the stories, are rendered again, and the kept
    live page, its updates fragment and its JSON-LD show the new answer."""
    address = oembed_provider.page("abc")
    figure = f'<figure data-embed="{address}"></figure>'
    with django_capture_on_commit_callbacks(execute=True):
        first = post(story, editor, "One.")
        shown = LiveUpdate.objects.create(article=story, body=f"<p>Watch.</p>{figure}")
        shown.publish(by=editor)
        elsewhere = post(story, editor, "No video here.")
        article = ArticleFactory(slug="with-the-clip", body=figure)
    other = ArticleFactory(slug="another-story")
    page, endpoint = story.get_absolute_url(), updates_url(story, first.pk)
    for path in (page, endpoint, article.get_absolute_url()):
        assert "Video clip abc" in client.get(path).content.decode(), path
    data = json.loads(JSON_LD.search(client.get(page).content.decode())[1])
    assert "Video clip abc" in data["liveBlogUpdate"][1]["articleBody"]
    for path in (page, endpoint, article.get_absolute_url(), other.get_absolute_url()):
        client.get(path)
        assert served_from_cache(client, path), path
    versions = (shown.version, elsewhere.body_html)

    oembed_provider.titles["abc"] = "The flood barrier, from the air"
    client.force_login(UserFactory(username="desk", groups=["Editor"]))
    embed = Embed.objects.get(url=address)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:articles_embed_changelist"),
            {"action": "resolve_again", "_selected_action": [embed.pk]},
        )
    assert response.status_code == 302
    client.logout()

    shown.refresh_from_db()
    elsewhere.refresh_from_db()
    assert "The flood barrier, from the air" in shown.body_html
    assert "Video clip abc" not in shown.body_html
    assert (shown.version, elsewhere.body_html) == versions  # nothing an editor wrote
    html = client.get(page).content.decode()
    assert "The flood barrier, from the air" in main(html=html)
    data = json.loads(JSON_LD.search(html)[1])
    assert "The flood barrier, from the air" in data["liveBlogUpdate"][1]["articleBody"]
    assert "The flood barrier, from the air" in client.get(endpoint).json()["html"]
    assert "The flood barrier" in client.get(article.get_absolute_url()).content.decode()
    assert served_from_cache(client, other.get_absolute_url())
