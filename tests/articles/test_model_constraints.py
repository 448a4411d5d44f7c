"""The database itself refuses rows that break the newsroom's invariants."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from articles.models import Article, Byline, Correction, Image, Section
from tests.factories import ArticleFactory, AuthorFactory, ImageFactory, SectionFactory

pytestmark = pytest.mark.django_db


def assert_refused(make_row):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_row()


def test_unknown_status_is_refused():
    article = ArticleFactory(draft=True)
    assert_refused(lambda: Article.objects.filter(pk=article.pk).update(status="deleted"))


def test_published_article_without_publication_time_is_refused():
    article = ArticleFactory(draft=True)
    assert_refused(
        lambda: Article.objects.filter(pk=article.pk).update(status="published", published_at=None)
    )


def test_duplicate_slug_is_refused():
    ArticleFactory(slug="same-slug")
    assert_refused(lambda: ArticleFactory(slug="same-slug"))


def test_empty_slug_is_refused_even_when_written_directly():
    article = ArticleFactory()
    assert_refused(lambda: Article.objects.filter(pk=article.pk).update(slug=""))


def test_byline_position_is_unique_per_article():
    article = ArticleFactory()
    Byline.objects.create(article=article, author=AuthorFactory(), position=0)
    assert_refused(
        lambda: Byline.objects.create(article=article, author=AuthorFactory(), position=0)
    )


def test_author_appears_once_per_article():
    article, author = ArticleFactory(), AuthorFactory()
    Byline.objects.create(article=article, author=author, position=0)
    assert_refused(lambda: Byline.objects.create(article=article, author=author, position=1))


def test_correction_kind_must_be_known():
    article = ArticleFactory()
    assert_refused(lambda: Correction.objects.create(article=article, kind="rumour", text="x"))


def test_image_focal_point_must_lie_in_the_frame():
    image = ImageFactory()
    assert_refused(lambda: Image.objects.filter(pk=image.pk).update(focal_x=1.5))


def test_section_slug_is_unique():
    SectionFactory(slug="politics", name="Politics")
    assert_refused(lambda: Section.objects.create(slug="politics", name="Politics again"))


def test_bylines_keep_their_order():
    first, second, third = AuthorFactory(name="Zoe"), AuthorFactory(name="Adam"), AuthorFactory()
    article = ArticleFactory(authors=[first, second, third])
    assert article.byline_authors == [first, second, third]
    Byline.objects.filter(article=article).delete()
    for position, author in enumerate([third, first]):
        Byline.objects.create(article=article, author=author, position=position)
    assert Article.objects.get(pk=article.pk).byline_authors == [third, first]


def test_tags_work_through_taggit_and_are_case_insensitive():
    article = ArticleFactory(tags=["Council", "budget"])
    other = ArticleFactory(tags=["council"])
    assert sorted(article.tags.names()) == ["Council", "budget"]
    assert list(other.tags.names()) == ["Council"]
    assert set(Article.objects.filter(tags__slug="council")) == {article, other}


def test_body_is_sanitised_and_counted_when_saved():
    article = ArticleFactory(body='<p onclick="x()">Hello <script>alert(1)</script>world</p>')
    article.refresh_from_db()
    assert "script" not in article.body
    assert "onclick" not in article.body
    assert article.word_count == 2


def test_every_save_raises_the_version():
    article = ArticleFactory()
    first = article.version
    article.headline = "Changed"
    article.save()
    assert article.version == first + 1
    assert Article.objects.get(pk=article.pk).version == first + 1


def test_absolute_url_is_dated_by_publication():
    when = timezone.make_aware(timezone.datetime(2024, 3, 7, 12, 0))
    article = ArticleFactory(slug="budget-vote", published_at=when)
    assert article.get_absolute_url() == "/2024/03/07/budget-vote/"
