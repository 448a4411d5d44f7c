"""A published article's old address keeps working after its slug or date changes."""

import datetime

import pytest

from articles.models import SlugRedirect
from tests.articles.desk import post_change
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def test_slug_change_answers_301_from_the_old_url(client):
    article = ArticleFactory(slug="mayor-resigns")
    old_url = article.get_absolute_url()
    article.slug = "mayor-resigns-after-vote"
    article.save()
    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"] == article.get_absolute_url()
    assert client.get(article.get_absolute_url()).status_code == 200


def test_date_change_answers_301_from_the_old_url(client):
    article = ArticleFactory()
    old_url = article.get_absolute_url()
    article.published_at -= datetime.timedelta(days=3)
    article.save()
    assert old_url != article.get_absolute_url()
    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"] == article.get_absolute_url()


def test_slug_change_through_the_admin(client, editor):
    article = ArticleFactory(slug="old-slug")
    old_url = article.get_absolute_url()
    client.force_login(editor)
    post_change(client, article, slug="new-slug")
    client.logout()
    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"].endswith("/new-slug/")


def test_two_renames_both_lead_to_the_current_address(client):
    article = ArticleFactory(slug="first")
    first_url = article.get_absolute_url()
    article.slug = "second"
    article.save()
    second_url = article.get_absolute_url()
    article.slug = "third"
    article.save()
    for url in (first_url, second_url):
        response = client.get(url)
        assert response.status_code == 301
        assert response["Location"] == article.get_absolute_url()


def test_renaming_back_removes_the_redirect_loop(client):
    article = ArticleFactory(slug="original")
    url = article.get_absolute_url()
    article.slug = "renamed"
    article.save()
    article.slug = "original"
    article.save()
    assert not SlugRedirect.objects.filter(old_path=url).exists()
    assert client.get(url).status_code == 200


def test_draft_slug_changes_leave_no_redirects():
    article = ArticleFactory(draft=True, slug="draft-one")
    article.slug = "draft-two"
    article.save()
    assert not SlugRedirect.objects.exists()
