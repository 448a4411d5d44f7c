"""Expiry: a story leaves the site at its `expires_at` by the clock alone, as a scheduled
one arrives; no kept page, fragment or feed shows it past that moment."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.articles.desk import post_change
from tests.articles.test_visibility_public import PUBLIC_PATHS, detail_url
from tests.factories import ArticleFactory, AuthorFactory, CorrectionFactory, SectionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

START = timezone.now().replace(microsecond=0)
EXPIRES = START + datetime.timedelta(seconds=60)


@pytest.fixture
def expiring(settings):
    settings.PAGE_CACHE_SECONDS = 300
    settings.FRAGMENT_CACHE_SECONDS = 600
    with time_machine.travel(START, tick=False):
        section = SectionFactory(name="City", slug="city")
        author = AuthorFactory(name="Ada Byline", slug="ada-byline")
        common = {"section": section, "authors": [author], "tags": ["zebra"]}
        ArticleFactory(
            headline="Lasting zebra story",
            slug="lasting-story",
            published_at=START - datetime.timedelta(hours=3),
            **common,
        )
        story = ArticleFactory(
            headline="Fleeting zebra offer",
            slug="fleeting-offer",
            published_at=START - datetime.timedelta(hours=2),
            expires_at=EXPIRES,
            **common,
        )
        CorrectionFactory(article=story, text="Fleeting correction")
    return story


def shows(text, path):
    return ("Fleeting correction" if "corrections" in path else "fleeting-offer") in text


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_an_expired_story_leaves_every_kept_list_feed_and_sitemap_at_its_time(
    client, expiring, path
):
    with time_machine.travel(START + datetime.timedelta(seconds=5), tick=False):
        before = client.get(path)
        assert before.status_code == 200
        assert shows(before.content.decode(), path), path
        again = client.get(path)  # now from the page cache
        assert shows(again.content.decode(), path)
    # Within the page cache's five minutes, but past the expiry: nothing ran, nothing
    # was saved; the clock alone takes it off.
    with time_machine.travel(EXPIRES + datetime.timedelta(seconds=30), tick=False):
        after = client.get(path)
        assert after.status_code == 200
        text = after.content.decode()
        assert not shows(text, path), f"expired story still on {path}"
        assert "Fleeting zebra" not in text
        if "corrections" not in path:
            assert "lasting-story" in text


def test_an_expired_story_answers_410_past_its_time_though_its_page_was_kept(client, expiring):
    url = detail_url(expiring)
    with time_machine.travel(START + datetime.timedelta(seconds=5), tick=False):
        assert client.get(url).status_code == 200
        assert client.get(url).status_code == 200
    with time_machine.travel(EXPIRES + datetime.timedelta(seconds=1), tick=False):
        gone = client.get(url)
        assert gone.status_code == 410
        assert "Fleeting zebra" not in gone.content.decode()


def test_the_next_change_by_the_clock_is_the_soonest_expiry(expiring):
    with time_machine.travel(START, tick=False):
        assert Article.objects.next_visibility_change() == EXPIRES
        later = ArticleFactory(published_at=START + datetime.timedelta(hours=1))
        assert Article.objects.next_visibility_change() == EXPIRES
        later.published_at = START + datetime.timedelta(seconds=30)
        later.save()
        assert Article.objects.next_visibility_change() == later.published_at
    with time_machine.travel(EXPIRES + datetime.timedelta(seconds=1), tick=False):
        assert Article.objects.next_visibility_change() is None
        assert expiring.is_expired and not expiring.is_live
        assert expiring.desk_status == ("expired", "Expired")


def test_the_desk_sets_the_expiry_and_refuses_one_before_publication(client, editor):
    article = ArticleFactory()
    client.force_login(editor)
    when = timezone.localtime(article.published_at) - datetime.timedelta(hours=1)
    response = post_change(
        client,
        article,
        expires_at_0=when.strftime("%Y-%m-%d"),
        expires_at_1=when.strftime("%H:%M:%S"),
    )
    assert response.status_code == 200
    assert "later than “Published at”" in response.content.decode()
    assert Article.objects.get(pk=article.pk).expires_at is None

    when = timezone.localtime() + datetime.timedelta(days=7)
    response = post_change(
        client,
        article,
        expires_at_0=when.strftime("%Y-%m-%d"),
        expires_at_1=when.strftime("%H:%M:%S"),
    )
    assert response.status_code == 302
    assert Article.objects.get(pk=article.pk).expires_at is not None


def test_reporters_never_set_the_expiry(client, reporter):
    article = ArticleFactory(draft=True, created_by=reporter)
    client.force_login(reporter)
    when = timezone.localtime() + datetime.timedelta(days=7)
    post_change(
        client,
        article,
        expires_at_0=when.strftime("%Y-%m-%d"),
        expires_at_1=when.strftime("%H:%M:%S"),
    )
    assert Article.objects.get(pk=article.pk).expires_at is None


def test_the_desk_lists_expired_stories(client, editor, expiring):
    client.force_login(editor)
    url = reverse("admin:articles_article_changelist")
    with time_machine.travel(EXPIRES + datetime.timedelta(seconds=1), tick=False):
        html = client.get(url, {"desk_status": "expired"}).content.decode()
        assert "Fleeting zebra offer" in html and "Lasting zebra story" not in html
        assert "desk-badge--expired" in html
