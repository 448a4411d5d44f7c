"""`generate_content` at a small size: the counts, the skew the benchmark relies on, and
derived data made the way save() would make it, without one save() per row."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext
from taggit.models import Tag

from articles.management.commands.generate_content import COMMON_WORD, RARE_WORD
from articles.models import Article, Author, Byline, Image, Section
from articles.richtext import sanitize_body, word_count
from comments import rendering
from comments.models import Comment
from comments.rendering import render_comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def generated():
    out = io.StringIO()
    with CaptureQueriesContext(connection) as queries:
        call_command("generate_content", articles=200, comments=2000, images=3, stdout=out)
    return out.getvalue(), queries


def approved_counts():
    return list(
        Comment.objects.filter(status=Comment.Status.APPROVED)
        .values("article")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("article", "n")
    )


def test_generates_the_requested_counts_and_proportions(generated):
    output, _ = generated
    assert Article.objects.count() == 200
    assert Comment.objects.count() == 2000
    assert Section.objects.count() == 20
    assert Author.objects.count() == 500
    assert Tag.objects.count() == 2000
    assert Image.objects.count() == 3
    assert Byline.objects.filter(position=0).count() == 200
    assert "articles: 200 / 200" in output
    assert "done" in output


def test_one_hot_article_and_articles_with_exactly_fifty_comments(generated):
    counts = approved_counts()
    hot_id, hot_count = counts[0]
    # Capped at half the comments at this size; 2,000 at full size.
    assert hot_count == 1000
    assert counts[1][1] * 5 < hot_count
    hot = Article.objects.get(pk=hot_id)
    assert hot.featured
    assert hot.slug.endswith("-hot")
    assert Article.objects.live().order_by("-published_at").first() == hot
    assert [n for _, n in counts].count(50) >= 1


def test_comments_go_to_live_articles_and_replies_stay_in_their_article(generated):
    assert not Comment.objects.exclude(article__in=Article.objects.live()).exists()
    replies = Comment.objects.filter(parent__isnull=False).select_related("parent")
    assert replies.exists()
    assert all(reply.parent.article_id == reply.article_id for reply in replies)


def test_derived_data_is_what_save_would_make(generated):
    for article in Article.objects.exclude(body="")[:20]:
        assert article.body == sanitize_body(article.body)
        assert article.word_count == word_count(article.body) > 0
    linked = Comment.objects.filter(body__contains="https://")
    assert linked.exists()
    for comment in list(linked[:5]) + list(Comment.objects.all()[:20]):
        assert comment.body_html == render_comment(comment.body)
        html, html_closed = comment.html, comment.html_closed
        comment.render_html()
        assert (html, html_closed) == (comment.html, comment.html_closed)
        if hasattr(rendering, "fingerprint"):
            assert comment.body_fingerprint == rendering.fingerprint(comment.body)


def test_images_are_a_small_shared_pool(generated):
    with_image = Article.objects.filter(lead_image__isnull=False)
    assert with_image.count() > 100
    assert with_image.values("lead_image").distinct().count() == 3
    for image in Image.objects.all():
        assert image.width == 1600
        assert image.height == 900


def test_common_and_rare_search_words(generated):
    live = Article.objects.live()
    assert live.filter(headline__icontains=COMMON_WORD).count() >= 40
    assert 1 <= live.filter(headline__icontains=RARE_WORD).count() <= 2
    assert live.count() > 150
    assert Article.objects.filter(
        Q(status="published", published_at__gt=Article.objects.live().values("published_at")[:1])
    ).exists()


def test_rows_are_inserted_in_bulk_not_one_query_per_row(generated):
    _, queries = generated
    inserts = [
        q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")
    ]
    # 200 articles, about 300 bylines and 600 tag links and 2,000 comments: one save()
    # per row would be thousands of INSERTs.
    assert len(inserts) < 80  # SQLite batches by its variable limit: more columns, more batches


@pytest.mark.postgres
def test_search_data_is_built_on_postgres(generated):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM articles_article WHERE search_vector @@ "
            "websearch_to_tsquery('english', %s)",
            [RARE_WORD],
        )
        assert cursor.fetchone()[0] >= 1
