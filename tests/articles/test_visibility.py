import datetime

import pytest
from django.utils import timezone

from articles.models import Article
from tests.factories import ArticleFactory

FIVE_MINUTES = datetime.timedelta(minutes=5)


CASES = [
    (status.value, when)
    for status in Article.Status
    for when in ("past", "future", "none")
    # A published article without a date is refused by the database (test_constraints).
    if not (status == Article.Status.PUBLISHED and when == "none")
]


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "when"), CASES)
def test_live_and_is_live_agree_for_every_status_and_time(status, when):
    # Taken now, not when the module was imported: a long run would make "future" past.
    now = timezone.now()
    published_at = {"past": now - FIVE_MINUTES, "future": now + FIVE_MINUTES, "none": None}[when]
    article = ArticleFactory(status=status, published_at=published_at)
    expected = status == "published" and when == "past"
    assert article.is_live is expected
    assert Article.objects.live().filter(pk=article.pk).exists() is expected
