"""The breaking news banner (issue 15): on every public page while it runs, gone by
itself at its end (no cron, even from a kept page), and never a link to a story that
is not live coverage readers can see."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Breaking
from tests.factories import ArticleFactory, SectionFactory

BANNER = "Storm Alda: the coast road is closed"


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 300
    settings.FRAGMENT_CACHE_SECONDS = 600


@pytest.fixture
def site(db):
    section = SectionFactory(slug="news", name="News")
    story = ArticleFactory(slug="a-story", section=section)
    live = ArticleFactory(slug="storm-live", section=section, kind=Article.Kind.LIVE)
    return {"story": story, "live": live, "section": section}


def public_pages(site):
    return [
        "/",
        site["story"].get_absolute_url(),
        site["live"].get_absolute_url(),
        "/section/news/",
        "/search/?q=storm",
        "/corrections/",
        "/does-not-exist/",
    ]


def shows_banner(client, path):
    html = client.get(path).content.decode()
    return BANNER in html and 'aria-label="Breaking news"' in html


def test_the_banner_comes_and_goes_by_the_clock_on_every_page(client, site, page_cache):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        Breaking.objects.create(
            text=BANNER,
            article=site["live"],
            starts_at=start + datetime.timedelta(minutes=10),
            ends_at=start + datetime.timedelta(hours=1),
        )
        for path in public_pages(site):
            assert not shows_banner(client, path), path  # kept before it starts
        clock.shift(datetime.timedelta(minutes=10, seconds=1))
        for path in public_pages(site):
            assert shows_banner(client, path), path
        html = client.get("/").content.decode()
        assert f'href="{site["live"].get_absolute_url()}"' in html
        clock.shift(datetime.timedelta(hours=1))
        for path in public_pages(site):
            assert not shows_banner(client, path), f"{path} outlived the banner"


def test_a_kept_page_says_how_long_it_may_be_kept_no_longer_than_the_banner(
    client, site, page_cache
):
    now = timezone.now()
    Breaking.objects.create(
        text=BANNER, starts_at=now, ends_at=now + datetime.timedelta(seconds=90)
    )
    response = client.get("/")
    assert BANNER in response.content.decode()
    s_maxage = int(response["Cache-Control"].split("s-maxage=")[1].split(",")[0])
    assert s_maxage <= 90


def test_the_banner_never_links_a_story_that_is_not_live_coverage(client, site, editor):
    now = timezone.now()
    banner = Breaking(
        text=BANNER,
        article=site["story"],
        starts_at=now,
        ends_at=now + datetime.timedelta(hours=1),
    )
    with pytest.raises(ValidationError):
        banner.full_clean()
    # Saved anyway (by code that skipped validation): shown without the link.
    banner.save()
    html = client.get("/section/news/").content.decode()
    assert BANNER in html and f'href="{site["story"].get_absolute_url()}">{BANNER}' not in html


def test_the_banner_drops_its_link_when_the_live_story_is_withdrawn(
    client, site, editor, page_cache
):
    now = timezone.now()
    live = site["live"]
    Breaking.objects.create(
        text=BANNER, article=live, starts_at=now, ends_at=now + datetime.timedelta(hours=1)
    )
    link = f'<a href="{live.get_absolute_url()}">'
    assert link in client.get("/section/news/").content.decode()
    live.withdraw(by=editor)
    html = client.get("/section/news/").content.decode()
    assert BANNER in html and link not in html


def test_the_banner_drops_its_link_when_the_story_is_no_longer_live_coverage(
    client, site, editor, page_cache
):
    """Its kind changed back to a plain story, or its coverage not yet begun (scheduled):
    no kept page links it; it is linked again once live."""
    now = timezone.now()
    live = site["live"]
    Breaking.objects.create(
        text=BANNER, article=live, starts_at=now, ends_at=now + datetime.timedelta(hours=3)
    )
    link = f'<a href="{live.get_absolute_url()}">{BANNER}</a>'
    paths = ["/", "/section/news/", site["story"].get_absolute_url()]
    for path in paths:
        assert link in client.get(path).content.decode(), path
    live.kind = Article.Kind.STORY
    live.save()
    for path in paths:
        html = client.get(path).content.decode()
        assert BANNER in html and link not in html, path
    # Live coverage again, but scheduled an hour ahead: linked only from then on.
    live.kind = Article.Kind.LIVE
    live.published_at = now + datetime.timedelta(hours=1)
    live.save()
    link = f'<a href="{live.get_absolute_url()}">{BANNER}</a>'
    for path in paths:
        html = client.get(path).content.decode()
        assert BANNER in html and link not in html, path
    with time_machine.travel(now + datetime.timedelta(hours=1, minutes=1), tick=False):
        for path in paths:
            assert link in client.get(path).content.decode(), path


def test_a_changed_banner_reaches_every_kept_page(client, site, page_cache):
    now = timezone.now()
    banner = Breaking.objects.create(
        text="Old words", starts_at=now, ends_at=now + datetime.timedelta(hours=1)
    )
    for path in public_pages(site)[:-1]:
        assert "Old words" in client.get(path).content.decode()
    banner.text = BANNER
    banner.save()
    for path in public_pages(site):
        assert shows_banner(client, path), path
    banner.delete()
    for path in public_pages(site):
        assert not shows_banner(client, path), path


@pytest.mark.parametrize(
    "fields",
    [
        {"text": ""},
        {"ends_at": timezone.now() - datetime.timedelta(days=1)},
        {"url": "https://example.org/"},  # with an article too
    ],
)
def test_the_database_refuses_impossible_banners(site, fields):
    now = timezone.now()
    values = {
        "text": BANNER,
        "article": site["live"],
        "starts_at": now,
        "ends_at": now + datetime.timedelta(hours=1),
        **fields,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Breaking.objects.create(**values)


def test_an_editor_sets_the_banner_from_the_dashboard_in_one_step(client, site, editor):
    client.force_login(editor)
    dashboard = client.get(reverse("admin:index")).content.decode()
    add = reverse("admin:articles_breaking_add")
    assert f'href="{add}"' in dashboard
    form = client.get(add)
    assert form.status_code == 200
    initial = form.context["adminform"].form.initial
    response = client.post(
        add,
        {
            "text": BANNER,
            "article": site["live"].pk,
            "url": "",
            "starts_at_0": initial["starts_at"].strftime("%Y-%m-%d"),
            "starts_at_1": initial["starts_at"].strftime("%H:%M:%S"),
            "ends_at_0": initial["ends_at"].strftime("%Y-%m-%d"),
            "ends_at_1": initial["ends_at"].strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()
    assert shows_banner(client, "/")


def test_the_admin_refuses_a_banner_linking_a_story(client, site, editor):
    client.force_login(editor)
    now = timezone.localtime()
    response = client.post(
        reverse("admin:articles_breaking_add"),
        {
            "text": BANNER,
            "article": site["story"].pk,
            "starts_at_0": now.strftime("%Y-%m-%d"),
            "starts_at_1": now.strftime("%H:%M:%S"),
            "ends_at_0": (now + datetime.timedelta(hours=1)).strftime("%Y-%m-%d"),
            "ends_at_1": (now + datetime.timedelta(hours=1)).strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Breaking.objects.exists()


def test_a_reporter_cannot_set_the_banner(client, site, reporter):
    client.force_login(reporter)
    assert client.get(reverse("admin:articles_breaking_add")).status_code == 403
