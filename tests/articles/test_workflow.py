"""Workflow transitions on the model, and the Scheduled → Live change with the clock."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from articles.models import Article
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def test_reporter_submits_own_draft_for_review(reporter):
    article = ArticleFactory(draft=True, created_by=reporter)
    article.submit(by=reporter)
    article.refresh_from_db()
    assert article.status == Article.Status.REVIEW


def test_reporter_cannot_submit_someone_elses_draft(reporter, editor):
    article = ArticleFactory(draft=True, created_by=editor)
    with pytest.raises(PermissionDenied):
        article.submit(by=reporter)


def test_only_a_draft_can_be_submitted(editor):
    article = ArticleFactory(review=True, created_by=editor)
    with pytest.raises(ValidationError):
        article.submit(by=editor)


@pytest.mark.parametrize("action", ["publish", "withdraw"])
def test_reporter_can_never_publish_or_withdraw(reporter, action):
    article = ArticleFactory(review=True, created_by=reporter)
    with pytest.raises(PermissionDenied):
        getattr(article, action)(by=reporter)
    article.refresh_from_db()
    assert article.status == Article.Status.REVIEW


def test_reporter_can_never_schedule(reporter):
    article = ArticleFactory(review=True, created_by=reporter)
    with pytest.raises(PermissionDenied):
        article.schedule(timezone.now() + datetime.timedelta(hours=2), by=reporter)
    assert Article.objects.get(pk=article.pk).status == Article.Status.REVIEW


def test_editor_publishes_now(editor):
    article = ArticleFactory(review=True)
    article.publish(by=editor)
    article.refresh_from_db()
    assert article.is_live
    assert Article.objects.live().filter(pk=article.pk).exists()


def test_publish_now_keeps_an_earlier_date_so_the_address_stays(editor):
    earlier = timezone.now() - datetime.timedelta(days=3)
    article = ArticleFactory(withdrawn=True, published_at=earlier)
    article.publish(by=editor)
    article.refresh_from_db()
    assert article.published_at == earlier


def test_schedule_needs_a_future_time(editor):
    article = ArticleFactory(review=True)
    with pytest.raises(ValidationError):
        article.schedule(timezone.now() - datetime.timedelta(minutes=1), by=editor)
    assert Article.objects.get(pk=article.pk).status == Article.Status.REVIEW


def test_scheduled_article_goes_live_by_itself_when_its_time_comes(editor):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        article = ArticleFactory(review=True)
        article.schedule(start + datetime.timedelta(hours=2), by=editor)
        article.refresh_from_db()
        assert article.is_scheduled and not article.is_live
        assert article.desk_status == ("scheduled", "Scheduled")
        assert not Article.objects.live().filter(pk=article.pk).exists()
        assert Article.objects.scheduled().filter(pk=article.pk).exists()

        clock.shift(datetime.timedelta(hours=2, seconds=1))
        assert article.is_live
        assert article.desk_status == ("live", "Live")
        assert Article.objects.live().filter(pk=article.pk).exists()
        assert not Article.objects.scheduled().filter(pk=article.pk).exists()


def test_withdraw_makes_readers_get_410(client, editor):
    article = ArticleFactory()
    url = article.get_absolute_url()
    assert client.get(url).status_code == 200
    article.withdraw(by=editor)
    assert client.get(url).status_code == 410


def test_withdraw_needs_a_published_article(editor):
    with pytest.raises(ValidationError):
        ArticleFactory(draft=True).withdraw(by=editor)


def test_editor_sends_an_article_in_review_back_to_draft(editor):
    article = ArticleFactory(review=True)
    article.return_to_draft(by=editor)
    assert Article.objects.get(pk=article.pk).status == Article.Status.DRAFT


def test_unscheduling_clears_the_future_time(editor):
    article = ArticleFactory(scheduled=True)
    article.return_to_draft(by=editor)
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT
    assert article.published_at is None


def test_a_live_article_is_withdrawn_not_turned_into_a_draft(editor):
    with pytest.raises(ValidationError):
        ArticleFactory().return_to_draft(by=editor)


def test_publish_and_withdraw_end_the_article_and_its_lists(editor, change_log):
    article = ArticleFactory(review=True)
    change_log.mark()
    article.publish(by=editor)
    lists = {f"article-{article.pk}", f"article-{article.pk}-card", "front"}
    assert lists <= change_log.ended()
    change_log.mark()
    article.withdraw(by=editor)
    assert lists <= change_log.ended()


def test_moving_a_draft_along_does_not_touch_the_page_cache(reporter, change_log):
    article = ArticleFactory(draft=True, created_by=reporter)
    change_log.mark()
    article.submit(by=reporter)
    assert change_log.ended() == set()


def test_scheduling_tells_the_caches_though_readers_see_nothing_yet(editor, change_log):
    """The caches keep nothing past the next scheduled story (newsroom.caching.
    next_clock_change), so they must hear of every schedule."""
    import datetime

    from django.utils import timezone

    from newsroom import caching

    article = ArticleFactory(review=True)
    change_log.mark()
    article.schedule(timezone.now() + datetime.timedelta(hours=2), by=editor)
    assert caching.CLOCK in change_log.ended()
