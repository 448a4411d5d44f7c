"""Deep list pages (page 250 of a big section) read their ids from the index first, then
only the rows they show: their cost does not grow with the archive (issue 7)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, Section

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(settings):
    settings.PAGE_CACHE_SECONDS = 0
    settings.FRAGMENT_CACHE_SECONDS = 0
    section = Section.objects.create(name="Archive", slug="archive")
    other = Section.objects.create(name="Other", slug="other")
    now = timezone.now()
    Article.objects.bulk_create(
        [
            Article(
                headline=f"Archive story {n}",
                slug=f"archive-{n}",
                section=section if n % 3 else other,
                status=Article.Status.PUBLISHED,
                # Some share a time: the id breaks the tie, in the index as in the list.
                published_at=now - datetime.timedelta(hours=n // 2 + 1),
            )
            for n in range(300)
        ]
    )
    return section


def headlines(html):
    return [part.split("</a>")[0] for part in html.split('class="card-headline"><a href="')[1:]]


@pytest.mark.parametrize("page", [1, 2, 7, 10])
def test_every_page_of_a_list_shows_the_rows_of_its_place_in_order(client, archive, page):
    expected = [
        article.headline
        for article in Article.objects.live()
        .cards()
        .filter(section=archive)[(page - 1) * 20 : page * 20]
    ]
    html = client.get(f"/section/archive/?page={page}").content.decode()
    shown = [h.split(">", 1)[1] for h in headlines(html)]
    assert shown == expected and len(shown) == 20


def test_a_deep_page_reads_its_ids_then_only_its_rows(client, archive):
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/section/archive/?page=9").status_code == 200
    offsets = [q["sql"] for q in queries if "OFFSET" in q["sql"]]
    # One query skips the 160 rows before the page, reading nothing but ids...
    assert len(offsets) == 1
    assert offsets[0].split("FROM")[0].count(",") == 0, offsets[0]
    # ...and one reads the page's 21 rows with their section and image, by id.
    assert any('"articles_article"."id" IN (' in q["sql"] for q in queries)


@pytest.mark.postgres
def test_postgres_skips_a_deep_page_in_the_index_alone(archive):
    with connection.cursor() as cursor:
        # 300 rows fit in a few pages, where scanning them all is cheapest; on a real
        # archive the planner needs no such push (see bench/README.md).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    ids = (
        Article.objects.live()
        .cards()
        .filter(section=archive)
        .prefetch_related(None)
        .values_list("pk", flat=True)[180:201]
    )
    plan = ids.explain()
    assert "article_section_pub_id" in plan, plan
    # live() reads the expiry too: it is in the index, so no skipped row is read.
    assert "Index Only Scan" in plan, plan
    assert "Sort" not in plan, plan  # the index gives the order, id included
