"""The read-only content API at /api/v1/: only live content, filters, cursors that hold
while stories are published, conditional requests, constant queries, safe bodies."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openapi_spec_validator import validate

from articles.api import schemas
from articles.models import Article, LiveUpdate, Series
from newsroom.caching import etag_for
from tests.comments.test_xss import CORPUS, check
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CorrectionFactory,
    ImageFactory,
    SectionFactory,
)

pytestmark = pytest.mark.django_db

ARTICLES = "/api/v1/articles/"
SERIES = "/api/v1/series/"
HIDDEN_KINDS = ("draft", "review", "scheduled", "withdrawn", "expired")


def ids(response):
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


@pytest.fixture
def newsroom():
    """One story of each kind, sharing a section, an author, a tag and a series."""
    section = SectionFactory(slug="politics")
    author = AuthorFactory(slug="ada")
    series = Series.objects.create(title="Budget week", slug="budget-week")
    now = timezone.now()
    expired = {
        "published_at": now - datetime.timedelta(days=2),
        "expires_at": now - datetime.timedelta(hours=1),
    }
    stories = {}
    for kind, traits in {
        "live": {},
        "draft": {"draft": True},
        "review": {"review": True},
        "scheduled": {"scheduled": True},
        "withdrawn": {"withdrawn": True},
        "expired": expired,
    }.items():
        stories[kind] = ArticleFactory(
            headline=f"A {kind} story",
            section=section,
            authors=[author],
            tags=["budget"],
            series=series,
            **traits,
        )
    # Names only the stories readers cannot see carry.
    hidden_author = AuthorFactory(slug="hidden")
    hidden_series = Series.objects.create(title="Secret plan", slug="secret-plan")
    for kind in ("draft", "scheduled", "expired"):
        stories[kind].bylines.create(author=hidden_author, position=1)
        stories[kind].tags.add("secret-plan")
    Article.objects.filter(pk__in=[stories[k].pk for k in HIDDEN_KINDS]).update(
        series=hidden_series
    )
    Article.objects.filter(pk=stories["expired"].pk).update(series=series)
    return stories


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?section=politics",
        "?tag=budget",
        "?author=ada",
        "?series=budget-week",
        "?updated_since=2000-01-01T00:00:00Z",
        "?section=politics&tag=budget&author=ada&series=budget-week",
    ],
)
def test_lists_show_only_live_stories_whatever_the_filter(client, newsroom, query):
    assert ids(client.get(ARTICLES + query)) == {newsroom["live"].pk}


def test_detail_answers_only_for_live_stories(client, newsroom):
    live = client.get(f"{ARTICLES}{newsroom['live'].pk}/")
    assert live.status_code == 200
    assert live.json()["headline"] == "A live story"
    for kind in HIDDEN_KINDS:
        response = client.get(f"{ARTICLES}{newsroom[kind].pk}/")
        assert response.status_code == 404, kind
        assert response.json() == {"error": "No live article has this id."}


def test_authors_and_tags_of_unpublished_stories_stay_hidden(client, newsroom):
    authors = client.get("/api/v1/authors/").json()["results"]
    assert [author["slug"] for author in authors] == ["ada"]
    assert all("email" not in author for author in authors)
    tags = client.get("/api/v1/tags/").json()["results"]
    assert [tag["slug"] for tag in tags] == ["budget"]


def test_series_show_only_their_live_parts(client, newsroom):
    budget_week = Series.objects.get(slug="budget-week")
    listed = client.get(SERIES).json()["results"]
    assert [(s["slug"], s["parts"]) for s in listed] == [("budget-week", 1)]
    detail = client.get(f"{SERIES}{budget_week.pk}/").json()
    assert [part["id"] for part in detail["articles"]] == [newsroom["live"].pk]
    hidden = Series.objects.get(slug="secret-plan")
    response = client.get(f"{SERIES}{hidden.pk}/")
    assert response.status_code == 404
    assert response.json() == {"error": "No series with a live article has this id."}
    assert client.get(f"{SERIES}{hidden.pk + 1000}/").status_code == 404


def test_a_filter_that_names_only_hidden_things_finds_nothing(client, newsroom):
    assert ids(client.get(ARTICLES + "?author=hidden")) == set()
    assert ids(client.get(ARTICLES + "?tag=secret-plan")) == set()
    assert ids(client.get(ARTICLES + "?series=secret-plan")) == set()


def test_a_scheduled_story_appears_by_itself_at_its_time(client, newsroom, time_machine):
    scheduled = newsroom["scheduled"]
    time_machine.move_to(scheduled.published_at + datetime.timedelta(minutes=1))
    assert ids(client.get(ARTICLES)) == {newsroom["live"].pk, scheduled.pk}
    assert client.get(f"{ARTICLES}{scheduled.pk}/").status_code == 200
    assert {a["slug"] for a in client.get("/api/v1/authors/").json()["results"]} == {
        "ada",
        "hidden",
    }


# The expiring story's section, and its own tag, author and series.
LIST_FILTERS = (
    "",
    "?section=politics",
    "?tag=expiring",
    "?author=expiring",
    "?series=expiring",
    "?updated_since=2000-01-01T00:00:00Z",
    "?section=politics&tag=expiring&author=expiring&series=expiring",
)


def visible(client, story):
    """Where the API shows `story`: each article list and filter, its detail, its
    authors, tags and series, and its live updates."""
    found = {
        f"articles{query}"
        for query in LIST_FILTERS
        if story.pk in ids(client.get(ARTICLES + query))
    }
    detail = client.get(f"{ARTICLES}{story.pk}/")
    if detail.status_code == 200:
        found.add("detail")
        if detail.json()["live_updates"]:
            found.add("live_updates")
    else:
        assert detail.status_code == 404
    if "expiring" in {a["slug"] for a in client.get("/api/v1/authors/").json()["results"]}:
        found.add("authors")
    if "expiring" in {t["slug"] for t in client.get("/api/v1/tags/").json()["results"]}:
        found.add("tags")
    series = client.get(SERIES).json()["results"]
    if "expiring" in {s["slug"] for s in series}:
        found.add("series")
    if client.get(f"{SERIES}{story.series_id}/").status_code == 200:
        found.add("series_detail")
    return found


def test_a_story_leaves_every_endpoint_and_filter_by_itself_when_it_expires(
    client, newsroom, time_machine, settings
):
    """Kept answers too: the page cache keeps nothing past the expiry time."""
    settings.PAGE_CACHE_SECONDS = 300
    time_machine.move_to(timezone.now(), tick=False)
    expires = timezone.now() + datetime.timedelta(hours=2)
    story = ArticleFactory(
        section=newsroom["live"].section,
        authors=[AuthorFactory(slug="expiring")],
        tags=["budget", "expiring"],
        series=Series.objects.create(title="Expiring", slug="expiring"),
        kind=Article.Kind.LIVE,
        expires_at=expires,
    )
    LiveUpdate.objects.create(
        article=story,
        body="<p>Polls close.</p>",
        status=LiveUpdate.Status.PUBLISHED,
        published_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    everywhere = {f"articles{query}" for query in LIST_FILTERS} | {
        "detail",
        "live_updates",
        "authors",
        "tags",
        "series",
        "series_detail",
    }
    assert visible(client, story) == everywhere
    time_machine.move_to(expires - datetime.timedelta(seconds=1), tick=False)
    assert visible(client, story) == everywhere, "kept until the expiry"
    time_machine.move_to(expires, tick=False)
    assert visible(client, story) == set()
    assert ids(client.get(ARTICLES)) == {newsroom["live"].pk}


def test_a_withdrawn_story_leaves_the_api(client, newsroom, superuser, settings):
    settings.PAGE_CACHE_SECONDS = 0
    live = newsroom["live"]
    live.withdraw(by=superuser)
    assert ids(client.get(ARTICLES)) == set()
    assert client.get(f"{ARTICLES}{live.pk}/").status_code == 404


def test_filters_narrow_the_list(client):
    politics, sport = SectionFactory(slug="politics"), SectionFactory(slug="sport")
    ada, bob = AuthorFactory(slug="ada"), AuthorFactory(slug="bob")
    a = ArticleFactory(section=politics, authors=[ada], tags=["budget"])
    b = ArticleFactory(section=sport, authors=[bob, ada], tags=["football"])
    c = ArticleFactory(section=sport, authors=[bob], tags=["budget"])
    old = timezone.now() - datetime.timedelta(days=3)
    Article.objects.filter(pk=c.pk).update(updated_at=old)
    assert ids(client.get(ARTICLES + "?section=sport")) == {b.pk, c.pk}
    assert ids(client.get(ARTICLES + "?tag=budget")) == {a.pk, c.pk}
    assert ids(client.get(ARTICLES + "?author=ada")) == {a.pk, b.pk}
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    assert ids(client.get(ARTICLES, {"updated_since": since})) == {a.pk, b.pk}
    assert ids(client.get(ARTICLES + "?section=sport&tag=budget")) == {c.pk}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?section=nowhere", "Unknown section 'nowhere'."),
        ("?tag=nothing", "Unknown tag 'nothing'."),
        ("?author=nobody", "Unknown author 'nobody'."),
        ("?series=nowhere", "Unknown series 'nowhere'."),
        ("?updated_since=yesterday", "Invalid query parameters."),
        ("?limit=0", "Invalid query parameters."),
        ("?limit=1000", "Invalid query parameters."),
        ("?cursor=not-a-cursor", "Invalid cursor"),
        ("?cursor=eyJpZCI6MX0", "Invalid cursor"),
    ],
)
def test_a_bad_filter_value_is_a_400_with_a_json_error(client, query, message):
    ArticleFactory()
    response = client.get(ARTICLES + query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"].startswith(message)


def test_following_next_visits_every_live_story_once_while_stories_are_published(client):
    section = SectionFactory()
    start = timezone.now() - datetime.timedelta(hours=10)
    existing = [
        ArticleFactory(section=section, published_at=start + datetime.timedelta(minutes=n))
        for n in range(7)
    ]
    # Two stories published at the very same moment are told apart by id.
    twin = ArticleFactory(section=section, published_at=existing[3].published_at)
    existing.append(twin)
    ArticleFactory(section=section, draft=True)

    seen = []
    url = ARTICLES + "?limit=3"
    while url:
        body = client.get(url).json()
        seen += [item["id"] for item in body["results"]]
        # A story goes live between two pages; it belongs to the top of the list.
        ArticleFactory(section=section, published_at=timezone.now())
        url = body["next"]
    assert sorted(seen) == sorted(a.pk for a in existing)
    assert len(seen) == len(set(seen))


def test_the_next_link_keeps_the_filters(client):
    section = SectionFactory(slug="politics")
    for _ in range(3):
        ArticleFactory(section=section)
    ArticleFactory()
    body = client.get(ARTICLES + "?section=politics&limit=2").json()
    assert "section=politics" in body["next"]
    assert len(client.get(body["next"]).json()["results"]) == 1


def test_an_article_carries_what_partners_need(client):
    author_a, author_b = AuthorFactory(name="Zoe"), AuthorFactory(name="Adam")
    image = ImageFactory(alt_text="The bridge at dusk")
    article = ArticleFactory(authors=[author_a, author_b], tags=["bridges"], lead_image=image)
    CorrectionFactory(article=article, text="The bridge is 40 m long, not 400 m.")
    body = client.get(f"{ARTICLES}{article.pk}/").json()
    assert body["url"].endswith(article.get_absolute_url())
    assert body["url"].startswith("http")
    assert body["body_html"] == article.body
    assert [a["name"] for a in body["authors"]] == ["Zoe", "Adam"], "byline order"
    assert body["tags"] == [{"name": "bridges", "slug": "bridges"}]
    assert body["section"]["slug"] == article.section.slug
    assert body["corrections"][0]["text"] == "The bridge is 40 m long, not 400 m."
    lead = body["lead_image"]
    assert lead["alt_text"] == "The bridge at dusk"
    assert lead["width"] == image.width
    assert {r["name"] for r in lead["renditions"]} == set(image.renditions)
    for rendition in lead["renditions"]:
        stored = image.renditions[rendition["name"]]
        assert (rendition["width"], rendition["height"]) == (stored["width"], stored["height"])
        assert rendition["url"].endswith(stored["url"])


def test_answers_are_public_and_a_matching_etag_gets_304(client):
    series = Series.objects.create(title="Budget week", slug="budget-week")
    article = ArticleFactory(series=series)
    for path in (
        ARTICLES,
        f"{ARTICLES}{article.pk}/",
        "/api/v1/sections/",
        "/api/v1/tags/",
        SERIES,
        f"{SERIES}{series.pk}/",
    ):
        first = client.get(path)
        assert first.status_code == 200
        assert "public" in first["Cache-Control"]
        assert "Set-Cookie" not in first
        etag = first["ETag"]
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304, path
        assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_signed_in_staff_get_private_answers(client, superuser):
    ArticleFactory()
    client.force_login(superuser)
    response = client.get(ARTICLES)
    assert "private" in response["Cache-Control"]


def make_stories(count):
    authors = [AuthorFactory(), AuthorFactory()]
    image = ImageFactory()
    series, _ = Series.objects.get_or_create(slug="council-week", title="Council week")
    for index in range(count):
        ArticleFactory(
            authors=authors,
            tags=[f"tag{index % 3}", "council"],
            lead_image=image,
            series=series
            if index % 2
            else Series.objects.create(slug=f"s{Series.objects.count()}", title="One"),
        )
    CorrectionFactory(article=Article.objects.first())


def queries_for(client, path):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "path",
    [
        ARTICLES + "?tag=council",
        ARTICLES + "?series=council-week",
        "/api/v1/authors/",
        "/api/v1/tags/",
        SERIES,
        "series-detail",
    ],
)
def test_query_count_does_not_grow_with_the_list(client, settings, path):
    settings.PAGE_CACHE_SECONDS = 0
    make_stories(3)
    if path == "series-detail":
        path = f"{SERIES}{Series.objects.get(slug='council-week').pk}/"
    small = queries_for(client, path)
    make_stories(15)
    assert queries_for(client, path) == small


def test_no_executable_markup_in_body_html(client):
    """Every payload of the XSS corpus pasted into a body comes out inert."""
    section = SectionFactory()
    for start in range(0, len(CORPUS), 20):
        ArticleFactory(
            section=section, body="".join(f"<p>{p}</p>" for p in CORPUS[start : start + 20])
        )
    url = ARTICLES + "?limit=100"
    bodies = []
    while url:
        answer = client.get(url).json()
        bodies += [item["body_html"] for item in answer["results"]]
        url = answer["next"]
    assert len(bodies) == Article.objects.count()
    for body in bodies:
        check(body)


def test_the_openapi_document_is_valid(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {
        "/api/v1/articles/",
        "/api/v1/articles/{article_id}/",
        "/api/v1/sections/",
        "/api/v1/authors/",
        "/api/v1/tags/",
        "/api/v1/series/",
        "/api/v1/series/{series_id}/",
    }
    assert "400" in spec["paths"]["/api/v1/articles/"]["get"]["responses"]


def test_the_docs_page_uses_only_the_sites_own_scripts(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "unpkg" not in html and "jsdelivr" not in html


def test_hostile_query_strings_get_a_json_400_on_the_api(client):
    response = client.get(ARTICLES + "?section=%01")
    assert response.status_code == 400
    assert response.json()["error"].startswith("Bad request: the query string")


def test_answers_are_kept_and_ended_by_what_they_show(client, settings, superuser):
    settings.PAGE_CACHE_SECONDS = 300
    section = SectionFactory(slug="politics")
    story = ArticleFactory(section=section, headline="First headline")
    url = ARTICLES + "?section=politics"
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        kept = client.get(url + "&utm_source=newsletter")
    assert len(queries) == 0, "kept whole; an unread parameter shares the entry"
    assert "public" in kept["Cache-Control"]
    assert f"article-{story.pk}" in kept["Surrogate-Key"]
    assert f"section-{section.pk}" in kept["Surrogate-Key"]

    story.headline = "Second headline"
    story.save()
    assert client.get(url).json()["results"][0]["headline"] == "Second headline"
    newer = ArticleFactory(section=section)
    assert ids(client.get(url)) == {story.pk, newer.pk}


def test_next_carries_only_the_parameters_the_list_reads(client):
    for _ in range(3):
        ArticleFactory()
    body = client.get(ARTICLES + "?limit=2&utm_source=x&fbclid=y").json()
    assert "utm_source" not in body["next"] and "fbclid" not in body["next"]
    assert "limit=2" in body["next"]


def test_a_story_changed_later_joins_an_updated_since_list(client, settings):
    settings.PAGE_CACHE_SECONDS = 300
    story = ArticleFactory()
    old = timezone.now() - datetime.timedelta(days=3)
    Article.objects.filter(pk=story.pk).update(updated_at=old)
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    assert ids(client.get(ARTICLES, {"updated_since": since})) == set()
    story.refresh_from_db()
    story.standfirst = "Changed."
    story.save()
    assert ids(client.get(ARTICLES, {"updated_since": since})) == {story.pk}


def test_with_the_page_cache_off_a_list_is_built_once_until_a_story_changes(client, settings):
    """The list is kept as a fragment with the keys it named, like the reader lists."""
    settings.PAGE_CACHE_SECONDS = 0
    make_stories(3)
    first = client.get(ARTICLES).json()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(ARTICLES).json() == first
    assert len(queries) == 0
    story = Article.objects.order_by("-published_at").first()
    story.headline = "A new headline"
    story.save()
    assert client.get(ARTICLES).json()["results"][0]["headline"] == "A new headline"


def test_with_the_page_cache_off_a_kept_list_is_served_as_its_json(client, settings, monkeypatch):
    """The kept list is its encoded JSON and ETag: a repeat neither checks it against
    the schema nor encodes it again, and answers If-None-Match without a query."""
    settings.PAGE_CACHE_SECONDS = 0
    make_stories(3)
    checks = []
    original = schemas.ArticleList.model_validate
    monkeypatch.setattr(
        schemas.ArticleList,
        "model_validate",
        lambda *args, **kwargs: checks.append(1) or original(*args, **kwargs),
    )
    first = client.get(ARTICLES)
    assert first["Content-Type"] == "application/json; charset=utf-8"
    assert first["ETag"] == etag_for(first.content)
    assert len(first.json()["results"]) == 3
    with CaptureQueriesContext(connection) as queries:
        again = client.get(ARTICLES)
        unchanged = client.get(ARTICLES, headers={"If-None-Match": first["ETag"]})
    assert len(queries) == 0
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert unchanged.status_code == 304
    assert checks == [1], "checked once, when built"
