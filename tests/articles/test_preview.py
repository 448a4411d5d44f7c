"""Previews: staff see unpublished articles as readers will; share links are signed and expire."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles import preview
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def assert_private_preview(response):
    assert response.status_code == 200
    assert "noindex" in response["X-Robots-Tag"]
    cache_control = response["Cache-Control"]
    assert "no-cache" in cache_control or "no-store" in cache_control
    assert "private" in cache_control
    assert response.context["preview"] is True
    html = response.content.decode()
    assert '<meta name="robots" content="noindex' in html
    assert 'class="preview-banner"' in html


@pytest.mark.parametrize("state", ["draft", "review", "scheduled", "withdrawn"])
def test_staff_preview_shows_an_unpublished_article(client, reporter, state):
    article = ArticleFactory(headline="Embargoed: new stadium plans", **{state: True})
    client.force_login(reporter)
    response = client.get(reverse("articles:preview", args=[article.pk]))
    assert_private_preview(response)
    assert "Embargoed: new stadium plans" in response.content.decode()


def test_anonymous_visitor_is_sent_to_log_in(client):
    article = ArticleFactory(draft=True)
    response = client.get(reverse("articles:preview", args=[article.pk]))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_share_link_works_without_an_account():
    article = ArticleFactory(draft=True, headline="Exclusive interview")
    response = Client().get(preview.share_url(article))
    assert_private_preview(response)
    assert "Exclusive interview" in response.content.decode()


def test_share_link_stops_working_after_48_hours():
    article = ArticleFactory(draft=True)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        url = preview.share_url(article)
        clock.shift(datetime.timedelta(hours=47, minutes=59))
        assert Client().get(url).status_code == 200
        clock.shift(datetime.timedelta(minutes=2))
        assert Client().get(url).status_code == 404


def test_tampered_share_link_fails():
    article, other = ArticleFactory(draft=True), ArticleFactory(draft=True)
    token = preview.share_token(article)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    url = reverse("articles:preview_share", kwargs={"token": forged})
    assert Client().get(url).status_code == 404
    # The signature covers the article: one article's signature cannot open another.
    other_payload = preview.share_token(other).split(":", 1)[0]
    swapped = other_payload + ":" + token.split(":", 1)[1]
    url = reverse("articles:preview_share", kwargs={"token": swapped})
    assert Client().get(url).status_code == 404


def test_share_link_for_a_deleted_article_is_404():
    article = ArticleFactory(draft=True)
    url = preview.share_url(article)
    article.delete()
    assert Client().get(url).status_code == 404


def test_editor_makes_a_share_link_from_the_admin(client, editor, reporter, settings):
    article = ArticleFactory(draft=True)
    url = reverse("admin:articles_article_share_preview", args=[article.pk])
    client.force_login(editor)
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True)
    html = response.content.decode()
    assert "/preview/share/" in html
    link = response.context["share_link"]
    assert link.startswith(settings.NEWSROOM_SITE_URL + "/preview/share/")
    assert Client().get(link.removeprefix(settings.NEWSROOM_SITE_URL)).status_code == 200

    client.force_login(reporter)
    assert client.post(url).status_code == 403


# -- Withdrawn stories and revoked links (issue 17, item 6) -------------------------


def test_a_share_link_stops_showing_a_story_once_it_is_withdrawn(editor):
    article = ArticleFactory(headline="Council leak")
    url = preview.share_url(article)
    assert Client().get(url).status_code == 200
    article.withdraw(by=editor)
    response = Client().get(url)
    assert response.status_code == 404
    assert b"Council leak" not in response.content
    # A link made after the withdrawal shows nothing either.
    assert Client().get(preview.share_url(article)).status_code == 404


def test_an_editor_revokes_every_share_link_of_a_story(client, editor):
    article = ArticleFactory(draft=True, headline="Exclusive interview")
    other = ArticleFactory(draft=True)
    first, second = preview.share_url(article), preview.share_url(article)
    kept = preview.share_url(other)
    client.force_login(editor)
    revoke = reverse("admin:articles_article_revoke_previews", args=[article.pk])
    assert client.get(revoke).status_code == 405  # a change is a POST
    response = client.post(revoke, follow=True)
    assert response.status_code == 200
    assert "Every preview link made for this story so far has stopped working" in (
        response.content.decode()
    )
    for url in (first, second):
        refused = Client().get(url)
        assert refused.status_code == 404
        assert b"Exclusive interview" not in refused.content
    assert Client().get(kept).status_code == 200  # other stories' links are untouched
    article.refresh_from_db()
    assert Client().get(preview.share_url(article)).status_code == 200  # a new link works


def test_only_an_editor_may_revoke_share_links(client, reporter):
    article = ArticleFactory(draft=True)
    url = preview.share_url(article)
    client.force_login(reporter)
    revoke = reverse("admin:articles_article_revoke_previews", args=[article.pk])
    assert client.post(revoke).status_code in (403, 404)
    assert Client().get(url).status_code == 200


def test_the_desk_offers_revoking_share_links_to_editors(client, editor):
    article = ArticleFactory(draft=True)
    client.force_login(editor)
    html = client.get(reverse("admin:articles_article_change", args=[article.pk])).content
    assert b"Revoke preview links" in html
    assert reverse("admin:articles_article_revoke_previews", args=[article.pk]).encode() in html
