"""Running import_wordpress again: what changed in WordPress comes in, the desk's decisions
(made since the last import) stand, and every status change is recorded."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from articles.models import Article, Revision
from comments.models import Comment, ModerationEvent

COURIER = Path(__file__).resolve().parents[1] / "fixtures" / "wordpress" / "courier.xml"

pytestmark = pytest.mark.django_db


def run_import(path=COURIER):
    out = io.StringIO()
    call_command("import_wordpress", str(path), stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def edited(tmp_path):
    """The courier export as WordPress has it later: `edited(old, new, ...)`."""

    def edited(*pairs):
        text = COURIER.read_text(encoding="utf-8")
        for old, new in zip(pairs[::2], pairs[1::2], strict=True):
            assert old in text, old
            text = text.replace(old, new)
        path = tmp_path / "later.xml"
        path.write_text(text, encoding="utf-8")
        return path

    return edited


def test_a_withdrawn_story_stays_withdrawn(editor):
    run_import()
    budget = Article.objects.get(wp_id=101)
    budget.withdraw(by=editor)

    output = run_import()

    budget.refresh_from_db()
    assert budget.status == "withdrawn" and not budget.is_live
    assert "kept the desk's status and date" in output
    assert ["status", "and", "date", "1"] in [line.split() for line in output.splitlines()]


def test_an_edited_headline_stays_while_wordpress_changes_come_in(edited):
    run_import()
    budget = Article.objects.get(wp_id=101)
    budget.headline = "Budget passes: what it means for you"
    budget.save()

    run_import(
        edited(
            "Council approves the 2024 budget &amp; new parks",
            "Council approves the budget (corrected)",
            "<em>Seven</em> votes to two.",
            "Seven votes to two, after a long night.",
        )
    )

    budget.refresh_from_db()
    assert budget.headline == "Budget passes: what it means for you"
    assert budget.standfirst == "Seven votes to two, after a long night."


def test_a_status_change_in_wordpress_comes_in_and_is_recorded(edited):
    run_import()
    later = edited(
        "<wp:status>pending</wp:status>", "<wp:status>publish</wp:status>"
    )  # post 107, untouched here

    output = run_import(later)

    article = Article.objects.get(wp_id=107)
    assert article.status == "published"
    assert "status review → published, as in WordPress" in output
    record = Revision.objects.filter(article=article).order_by("-id").first()
    assert record.data["status"] == "published"
    assert record.data["wordpress"]["imported"]["status"] == "published"
    assert record.created_by is None


def test_a_moderators_decision_stands_and_no_event_is_added(moderator):
    run_import()
    comment = Comment.objects.get(wp_id=501)
    comment.reject(by=moderator, reason="off topic")
    events = ModerationEvent.objects.filter(comment=comment).count()

    output = run_import()

    comment.refresh_from_db()
    assert comment.status == "rejected"
    assert ModerationEvent.objects.filter(comment=comment).count() == events
    lines = [line.split() for line in output.splitlines()]
    assert ["status", "kept", "(moderated", "here)", "1"] in lines


def test_imported_comments_record_their_status_and_wordpress_changes_are_events(edited):
    run_import()
    pending = Comment.objects.get(wp_id=504)
    first = pending.events.get()
    assert (first.from_status, first.to_status, first.actor) == ("", "pending", None)
    assert first.reason.startswith("WordPress import")

    run_import(
        edited(
            "<wp:comment_id>504</wp:comment_id>",
            "<wp:comment_id>504</wp:comment_id>",
            "<wp:comment_approved>0</wp:comment_approved>",
            "<wp:comment_approved>1</wp:comment_approved>",
        )
    )

    pending.refresh_from_db()
    assert pending.status == "approved"
    latest = pending.events.order_by("-id").first()
    assert (latest.from_status, latest.to_status) == ("pending", "approved")
    assert latest.reason.startswith("WordPress import")


def test_an_erased_commenter_is_not_restored():
    run_import()
    call_command("purge_comment_data", email=["ann@example.net"], stdout=io.StringIO())
    assert Comment.objects.get(wp_id=501).name == ""

    run_import()

    erased = Comment.objects.get(wp_id=501)
    assert (erased.name, erased.email) == ("", "")


def test_articles_imported_before_records_keep_whatever_differs_from_wordpress():
    run_import()
    Revision.objects.all().delete()  # as an older Newsroom left them
    budget = Article.objects.get(wp_id=101)
    budget.headline = "Edited before the upgrade"
    budget.save()

    output = run_import()

    budget.refresh_from_db()
    assert budget.headline == "Edited before the upgrade"
    assert "kept the desk's headline" in output
    assert Revision.objects.filter(article=budget, data__has_key="wordpress").count() == 1
