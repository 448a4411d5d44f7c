"""The moderation queue in the admin: actions, events, conflicts and permissions,
through real admin requests."""

import datetime
from html.parser import HTMLParser

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comments.models import (
    BlockedCommenter,
    Comment,
    CommentFlag,
    ModerationConflict,
    ModerationEvent,
)
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:comments_comment_changelist")


def moderate_url(comment):
    return reverse("admin:comments_comment_moderate", args=[comment.pk])


def login(user):
    client = Client()
    client.force_login(user)
    return client


def pending(**kwargs):
    kwargs.setdefault("status", Comment.Status.PENDING)
    return CommentFactory(**kwargs)


@pytest.mark.parametrize(
    "action, status", [("approve", "approved"), ("reject", "rejected"), ("spam", "spam")]
)
def test_one_comment_at_a_time_records_an_event(moderator, action, status):
    comment = pending()
    client = login(moderator)
    response = client.post(
        moderate_url(comment),
        {"moderate": action, f"from_{comment.pk}": "pending", "next": QUEUE},
    )
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    comment.refresh_from_db()
    assert comment.status == status
    assert comment.moderated_by == moderator
    event = comment.events.get(actor=moderator)
    assert (event.from_status, event.to_status) == ("pending", status)


def test_a_decision_sends_the_moderator_back_to_the_next_row(moderator):
    """The queue form posts every row's `from_<id>` in the order shown; the redirect
    names the neighbour, so that focus lands there even without JavaScript."""
    first, second, third = pending(), pending(), pending()
    client = login(moderator)
    shown = {f"from_{c.pk}": "pending" for c in (first, second, third)}
    page = f"{QUEUE}?status=pending#queue-comment-1"

    def decide(comment, **extra):
        data = {"moderate": "reject", "next": page, **shown, **extra}
        return client.post(moderate_url(comment), data)["Location"]

    assert decide(first) == f"{QUEUE}?status=pending#queue-comment-{second.pk}"
    # The last row goes back to the one before it.
    assert decide(third) == f"{QUEUE}?status=pending#queue-comment-{second.pk}"
    # The change page posts only its own comment: no fragment.
    response = client.post(
        moderate_url(second), {"moderate": "approve", "from": "pending", "next": QUEUE}
    )
    assert response["Location"] == QUEUE
    second.refresh_from_db()
    assert second.status == "approved"
    # A forged key cannot break the redirect.
    assert decide(first, **{"from_x1": "pending", "from_99999999999999999": "x"}).endswith(
        f"#queue-comment-{second.pk}"
    )


def test_the_queue_renders_confirmations_in_a_status_region(moderator):
    comment = pending()
    client = login(moderator)
    response = client.post(
        moderate_url(comment),
        {"moderate": "approve", f"from_{comment.pk}": "pending", "next": QUEUE},
        follow=True,
    )
    html = response.content.decode()
    region = html.index('id="queue-announcer"')
    assert 'role="status" aria-live="polite"' in html[region - 100 : region + 100]
    assert html.index(f"Comment #{comment.pk} approved.") > region
    assert f'id="queue-comment-{comment.pk}"' not in html  # it left the pending queue
    # The change page's buttons come back to the change page, with the same region.
    change = reverse("admin:comments_comment_change", args=[comment.pk])
    response = login(moderator).post(
        moderate_url(comment),
        {"moderate": "reject", "from": "approved", "next": change},
        follow=True,
    )
    html = response.content.decode()
    region = html.index('id="queue-announcer"')
    assert 'role="status" aria-live="polite"' in html[region - 100 : region + 100]
    assert html.index(f"Comment #{comment.pk} rejected.") > region


def test_decisions_are_reversible_and_every_step_is_kept(moderator):
    comment = pending()
    comment.approve(by=moderator)
    comment.reject(by=moderator, reason="second thoughts")
    comment.approve(by=moderator)
    comment.refresh_from_db()
    assert comment.status == "approved"
    steps = list(
        comment.events.order_by("created_at", "id").values_list(
            "from_status", "to_status", "reason"
        )
    )
    assert steps == [
        ("pending", "approved", ""),
        ("approved", "rejected", "second thoughts"),
        ("rejected", "approved", ""),
    ]
    assert Comment.objects.filter(pk=comment.pk).exists()


def test_second_moderator_is_told_and_does_not_win(moderator, editor):
    comment = pending()
    seen_by_first = Comment.objects.get(pk=comment.pk)
    seen_by_second = Comment.objects.get(pk=comment.pk)
    seen_by_first.approve(by=moderator)
    with pytest.raises(ModerationConflict, match="already changed to approved by moderator"):
        seen_by_second.reject(by=editor)
    comment.refresh_from_db()
    assert comment.status == "approved"
    assert comment.events.count() == 1


def test_conflict_through_the_admin_shows_a_warning(moderator, editor):
    comment = pending()
    first, second = login(moderator), login(editor)
    form = {"moderate": "approve", f"from_{comment.pk}": "pending", "next": QUEUE}
    first.post(moderate_url(comment), form)
    response = second.post(
        moderate_url(comment),
        {"moderate": "spam", f"from_{comment.pk}": "pending", "next": QUEUE},
        follow=True,
    )
    comment.refresh_from_db()
    assert comment.status == "approved"
    assert "was not applied" in response.content.decode()


@pytest.mark.parametrize(
    "action, status", [("approve", "approved"), ("reject", "rejected"), ("mark_spam", "spam")]
)
def test_bulk_actions(moderator, action, status):
    comments = [pending() for _ in range(3)]
    untouched = pending()
    client = login(moderator)
    response = client.post(
        QUEUE,
        {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in comments], "index": 0},
        follow=True,
    )
    assert response.status_code == 200
    assert set(Comment.objects.filter(status=status).values_list("pk", flat=True)) == {
        c.pk for c in comments
    }
    untouched.refresh_from_db()
    assert untouched.status == "pending"
    assert ModerationEvent.objects.filter(to_status=status, actor=moderator).count() == 3


def test_bulk_action_leaves_alone_what_someone_else_changed(moderator, editor):
    comments = [pending() for _ in range(2)]
    comments[0].reject(by=editor)
    client = login(moderator)
    response = client.post(
        QUEUE,
        {"action": "approve", ACTION_CHECKBOX_NAME: [c.pk for c in comments], "index": 0},
        follow=True,
    )
    assert "changed by someone else" in response.content.decode()
    comments[0].refresh_from_db()
    assert comments[0].status == "rejected"
    comments[1].refresh_from_db()
    assert comments[1].status == "approved"


def test_ban_action_asks_first_then_blocks_email_and_address(moderator):
    comment = pending(email="Troll@Example.org", ip_hash="f" * 64, body="First troll post")
    also_waiting = pending(email="troll@example.org", ip_hash="", body="Second troll post")
    someone_else = pending(email="kind@example.org", ip_hash="e" * 64)
    client = login(moderator)
    selected = {"action": "ban_commenter", ACTION_CHECKBOX_NAME: [comment.pk], "index": 0}
    page = client.post(QUEUE, selected)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ban this commenter?" in html
    assert "troll@example.org" in html and "Second troll post" in html
    assert not BlockedCommenter.objects.exists()

    confirm = {"confirm": "yes", "ban_action": "reject", "reject_pending": "on"}
    response = client.post(QUEUE, {**selected, **confirm})
    assert response.status_code == 302
    assert BlockedCommenter.objects.filter(email="troll@example.org", action="reject").exists()
    assert BlockedCommenter.objects.filter(ip_hash="f" * 64).exists()
    for waiting in (comment, also_waiting):
        waiting.refresh_from_db()
        assert waiting.status == "rejected"
        assert waiting.events.get(to_status="rejected").actor == moderator
    someone_else.refresh_from_db()
    assert someone_else.status == "pending"


def test_ban_from_the_row_with_a_confirmation(moderator):
    comment = pending(email="loud@example.org", ip_hash="d" * 64)
    other = pending(email="loud@example.org", body="Another loud one")
    client = login(moderator)
    url = reverse("admin:comments_comment_ban", args=[comment.pk])
    assert url in client.get(QUEUE).content.decode()  # the row's Ban button
    page = client.get(url)
    assert page.status_code == 200
    assert "Also reject their comments waiting in the queue" in page.content.decode()
    assert not BlockedCommenter.objects.exists()
    response = client.post(url, {"confirm": "yes", "ban_action": "spam", "note": "Shouting"})
    assert response.status_code == 302 and response["Location"] == QUEUE
    bans = BlockedCommenter.objects.all()
    assert {(ban.email, ban.ip_hash, ban.action, ban.note) for ban in bans} == {
        ("loud@example.org", "", "spam", "Shouting"),
        ("", "d" * 64, "spam", "Shouting"),
    }
    other.refresh_from_db()
    assert other.status == "pending"  # the box to reject them was left unticked


def test_only_moderators_can_ban(reporter):
    comment = pending(email="x@example.org")
    url = reverse("admin:comments_comment_ban", args=[comment.pk])
    client = login(reporter)
    assert client.get(url).status_code == 403
    assert client.post(url, {"confirm": "yes", "ban_action": "reject"}).status_code == 403
    assert not BlockedCommenter.objects.exists()


def test_queue_rows_are_labelled_by_the_articles_headline(moderator):
    comment = pending(article=ArticleFactory(headline="Tram line extended"), name="Ada")
    html = login(moderator).get(QUEUE).content.decode()
    assert f"{comment.display_name} on “Tram line extended”" in html
    assert f"on {comment.article_id}:" not in html


@pytest.mark.parametrize(
    "make",
    [
        lambda: ArticleFactory(draft=True, headline="Secret merger plans"),
        lambda: ArticleFactory(scheduled=True, headline="Secret merger plans"),
        lambda: ArticleFactory(withdrawn=True, headline="Secret merger plans"),
    ],
    ids=["draft", "scheduled", "withdrawn"],
)
def test_article_filter_never_names_an_article_that_is_not_live(moderator, make):
    hidden = make()
    live = ArticleFactory(headline="Bridge reopens")
    pending(article=live)
    client = login(moderator)
    html = client.get(f"{QUEUE}?article={hidden.pk}").content.decode()
    assert "Secret merger plans" not in html
    html = client.get(f"{QUEUE}?article={live.pk}").content.decode()
    assert "Bridge reopens" in html


# Permissions ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["moderator", "editor"])
def test_moderators_and_editors_see_the_queue(request, who):
    user = request.getfixturevalue(who)
    pending(body="Waiting words")
    response = login(user).get(QUEUE)
    assert response.status_code == 200
    assert "Waiting words" in response.content.decode()


def test_reporter_cannot_see_or_moderate(reporter):
    comment = pending()
    client = login(reporter)
    assert client.get(QUEUE).status_code == 403
    response = client.post(moderate_url(comment), {"moderate": "approve"})
    assert response.status_code == 403
    response = client.post(QUEUE, {"action": "approve", ACTION_CHECKBOX_NAME: [comment.pk]})
    assert response.status_code == 403
    comment.refresh_from_db()
    assert comment.status == "pending"


def test_reader_and_anonymous_cannot_moderate(client):
    comment = pending()
    reader = UserFactory(username="reader")
    for attempt in (client, login(reader)):
        response = attempt.post(moderate_url(comment), {"moderate": "approve"})
        assert response.status_code == 302
        assert "/login/" in response["Location"]
    comment.refresh_from_db()
    assert comment.status == "pending"
    assert not comment.events.exists()


def test_staff_without_can_moderate_cannot_moderate(db):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_comment"),
        Permission.objects.get(codename="change_comment"),
    )
    comment = pending()
    client = login(viewer)
    assert client.post(moderate_url(comment), {"moderate": "approve"}).status_code == 403
    client.post(QUEUE, {"action": "approve", ACTION_CHECKBOX_NAME: [comment.pk], "index": 0})
    comment.refresh_from_db()
    assert comment.status == "pending"


def test_moderate_needs_post(moderator):
    comment = pending()
    assert login(moderator).get(moderate_url(comment)).status_code == 405


def test_comments_cannot_be_deleted_in_the_admin(superuser):
    comment = pending()
    client = login(superuser)
    delete = reverse("admin:comments_comment_delete", args=[comment.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    client.post(
        QUEUE, {"action": "delete_selected", ACTION_CHECKBOX_NAME: [comment.pk], "post": "yes"}
    )
    assert Comment.objects.filter(pk=comment.pk).exists()


def test_change_page_is_read_only_with_moderation_buttons(moderator):
    comment = pending(body="Read me")
    response = login(moderator).get(reverse("admin:comments_comment_change", args=[comment.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="approve"' in html
    assert 'name="body"' not in html


# What the queue shows ------------------------------------------------------------------


def test_queue_is_oldest_first_with_context(moderator):
    article = ArticleFactory(headline="Tram line extended")
    parent = CommentFactory(article=article, body="The parent comment text")
    old = pending(
        article=article,
        parent=parent,
        body="Oldest waiting",
        ip_hash="a" * 64,
        moderation_reason="Too many links: 3 (the limit is 2).",
        created_at=timezone.now() - datetime.timedelta(hours=5),
    )
    pending(body="Newer waiting", created_at=timezone.now() - datetime.timedelta(hours=1))
    CommentFactory(body="Earlier approved by the same person", ip_hash="a" * 64)
    CommentFlag.objects.create(comment=old, reason="Abuse: rude", reporter_hash="r1")
    html = login(moderator).get(QUEUE).content.decode()
    assert html.index("Oldest waiting") < html.index("Newer waiting")
    assert "Tram line extended" in html
    assert "The parent comment text" in html
    assert "Too many links" in html
    assert "Abuse: rude" in html
    assert "Earlier approved by the same person" in html
    assert "<svg" in html
    assert "data-queue-waiting>2<" in html


class ScriptCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append(dict(attrs))


def test_queue_loads_no_external_script(moderator):
    pending()
    parser = ScriptCollector()
    parser.feed(login(moderator).get(QUEUE).content.decode())
    sources = [script.get("src", "") for script in parser.scripts]
    assert any("js/moderation.js" in src for src in sources)
    # Same-origin paths only: nothing from another host or a CDN.
    assert all(src.startswith("/") and not src.startswith("//") for src in sources), sources


@pytest.mark.parametrize(
    "query, shown, hidden",
    [
        ("", "Waiting one", "Approved one"),
        ("?status=approved", "Approved one", "Waiting one"),
        ("?status=all", "Approved one", "nothing"),
        ("?reason=links", "Waiting one", "Waiting two"),
        ("?reported=yes", "Waiting two", "Waiting one"),
    ],
)
def test_queue_filters(moderator, query, shown, hidden):
    pending(body="Waiting one", moderation_reason="Too many links: 3 (the limit is 2).")
    flagged = pending(body="Waiting two")
    CommentFlag.objects.create(comment=flagged, reason="Spam", reporter_hash="x")
    CommentFactory(body="Approved one")
    html = login(moderator).get(QUEUE + query).content.decode()
    assert shown in html
    assert hidden not in html


def test_article_and_section_filters(moderator):
    first = ArticleFactory()
    second = ArticleFactory()
    pending(article=first, body="On the first")
    pending(article=second, body="On the second")
    client = login(moderator)
    html = client.get(f"{QUEUE}?article={first.pk}").content.decode()
    assert "On the first" in html and "On the second" not in html
    html = client.get(f"{QUEUE}?section={second.section_id}").content.decode()
    assert "On the second" in html and "On the first" not in html


def test_queue_health_counts_and_chart(moderator):
    pending(created_at=timezone.now() - datetime.timedelta(days=2))
    CommentFactory(status="spam")
    from comments.admin import queue_health

    health = queue_health()
    assert health["waiting"] == 1
    assert health["oldest_age"] >= datetime.timedelta(days=2)
    assert len(health["bars"]) == 30
    assert sum(bar["counts"]["spam"] for bar in health["bars"]) == 1
    assert sum(bar["counts"]["pending"] for bar in health["bars"]) == 1


def test_queue_size_is_read_now_and_the_chart_and_busiest_articles_for_a_while(moderator):
    """The queue page is reloaded after every decision: its size and oldest comment are
    read each time, the month's chart and the busiest articles at most once a minute
    and once every 30 s."""
    from comments.admin import filters, health, queue_health

    first = pending(created_at=timezone.now() - datetime.timedelta(days=3))
    assert queue_health()["waiting"] == 1
    newer = pending()
    again = queue_health()
    assert again["waiting"] == 2  # read now
    assert again["oldest"] == first.created_at
    assert sum(bar["counts"]["pending"] for bar in again["bars"]) == 1  # the kept chart
    assert set(filters._busiest()) == {first.article_id, newer.article_id}
    # Once the kept chart has expired (CHART_SECONDS) it is counted again.
    from django.core.cache import cache

    assert health.CHART_SECONDS == 60
    cache.clear()
    assert sum(bar["counts"]["pending"] for bar in queue_health()["bars"]) == 2


def test_queue_query_count_does_not_grow_with_the_page(moderator, django_assert_max_num_queries):
    client = login(moderator)
    for _ in range(3):
        pending(ip_hash="b" * 64)
    client.get(QUEUE)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(QUEUE)
    for _ in range(30):
        parent = CommentFactory()
        pending(article=parent.article, parent=parent, ip_hash="c" * 64)
    with CaptureQueriesContext(connection) as many:
        client.get(QUEUE)
    assert len(many) <= len(few) + 2


def test_the_demo_queue_holds_comments_from_several_commenters():
    """seed_demo's comments (its add_comments step, on a few articles)."""
    import random

    from articles.management.commands.seed_demo import Command

    rng = random.Random(7)
    for _ in range(8):
        article = ArticleFactory()
        Command().add_comments(article, rng, article.published_at)
    waiting = Comment.objects.in_moderation()
    assert waiting.count() == 8
    assert waiting.values("email").distinct().count() >= 4
    assert waiting.values("ip_hash").distinct().count() >= 4
    one = waiting.filter(pk=waiting.first().pk)
    assert one.by_same_authors().in_moderation().count() < waiting.count()
