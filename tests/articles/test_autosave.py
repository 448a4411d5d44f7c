"""Autosave (issue 16, item 1): the article form's text kept per writer and story, sent
to `admin:articles_article_autosave`, offered back on the form, spent by a save, purged
after 30 days. It obeys the form's permissions and never changes what readers see."""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.admin import autosave as autosave_admin
from articles.models import Article, ArticleEvent, Autosave, Revision, SlugRedirect
from tests.articles.desk import add_url, change_url, new_article_data, post_change
from tests.factories import ArticleFactory, AuthorFactory, UserFactory

pytestmark = pytest.mark.django_db

TYPED = {
    "headline": "Harbour wall breached overnight",
    "slug": "a-new-address",
    "standfirst": "Water reached the square.",
    "body": "<p>The sea came in at three.</p>",
    "featured": True,
}


def autosave_url(article=None):
    if article is None:
        return reverse("admin:articles_article_autosave")
    return reverse("admin:articles_article_autosave", args=[article.pk])


def post(client, url, data=TYPED, **kwargs):
    body = data if isinstance(data, (bytes, str)) else json.dumps(data)
    return client.post(url, body, content_type="application/json", **kwargs)


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def own_draft(reporter):
    return ArticleFactory(draft=True, created_by=reporter, headline="Own draft")


# -- Permissions: the form's ---------------------------------------------------------


def test_reporter_autosaves_own_draft(reporter, own_draft):
    response = post(signed_in(reporter), autosave_url(own_draft))
    assert response.status_code == 200
    saved = Autosave.objects.get()
    assert (saved.user, saved.article, saved.data) == (reporter, own_draft, TYPED)
    assert response.json() == {"saved_at": saved.saved_at.isoformat(timespec="milliseconds")}


def test_reporter_autosaves_a_story_bylined_to_them(reporter):
    story = ArticleFactory(draft=True, authors=[AuthorFactory(user=reporter)])
    assert post(signed_in(reporter), autosave_url(story)).status_code == 200


def test_reporter_may_not_autosave_another_reporters_story(reporter, own_draft):
    other = UserFactory(username="other", groups=["Reporter"])
    response = post(signed_in(other), autosave_url(own_draft))
    assert response.status_code == 403
    assert response.json() == {"error": "You may not change this story."}
    assert not Autosave.objects.exists()


def test_reporter_may_not_autosave_own_published_story(reporter):
    story = ArticleFactory(created_by=reporter)  # published: the form is read-only for them
    assert post(signed_in(reporter), autosave_url(story)).status_code == 403
    assert not Autosave.objects.exists()


def test_editor_autosaves_any_story(editor, own_draft):
    published = ArticleFactory()
    client = signed_in(editor)
    assert post(client, autosave_url(own_draft)).status_code == 200
    assert post(client, autosave_url(published)).status_code == 200
    assert Autosave.objects.filter(user=editor).count() == 2


def test_moderator_without_article_permission_gets_403(moderator, own_draft):
    client = signed_in(moderator)
    assert post(client, autosave_url(own_draft)).status_code == 403
    assert post(client, autosave_url()).status_code == 403
    assert not Autosave.objects.exists()


def test_anonymous_is_sent_to_the_login_page(own_draft):
    for url in (autosave_url(own_draft), autosave_url()):
        response = post(Client(), url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert not Autosave.objects.exists()


def test_a_reader_account_without_staff_status_is_sent_to_the_login_page(own_draft):
    reader = UserFactory(username="reader")
    assert post(signed_in(reader), autosave_url(own_draft)).status_code == 302
    assert not Autosave.objects.exists()


def test_the_add_form_autosaves_one_row_per_writer(reporter):
    client = signed_in(reporter)
    assert post(client, autosave_url(), {"headline": "First"}).status_code == 200
    assert post(client, autosave_url(), {"headline": "Second"}).status_code == 200
    saved = Autosave.objects.get()
    assert saved.article is None
    assert saved.data == {"headline": "Second"}


def test_autosave_needs_the_csrf_token(reporter, own_draft):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reporter)
    assert post(client, autosave_url(own_draft)).status_code == 403
    assert not Autosave.objects.exists()
    form = client.get(change_url(own_draft))
    token = form.cookies["csrftoken"].value
    response = post(client, autosave_url(own_draft), headers={"X-CSRFToken": token})
    assert response.status_code == 200


def test_only_post_is_taken(reporter, own_draft):
    assert signed_in(reporter).get(autosave_url(own_draft)).status_code == 405


def test_permission_is_checked_again_once_the_forms_word_runs_out(
    reporter, editor, own_draft, monkeypatch
):
    """Opening the form vouches for the autosaves that follow for a few minutes; then the
    form's check runs again, and a story published meanwhile refuses the reporter."""
    client = signed_in(reporter)
    assert client.get(change_url(own_draft)).status_code == 200
    own_draft.publish(by=editor)
    assert post(client, autosave_url(own_draft)).status_code == 200  # vouched for
    later = autosave_admin.time.time() + autosave_admin.GRANT_SECONDS + 1
    monkeypatch.setattr(autosave_admin.time, "time", lambda: later)
    assert post(client, autosave_url(own_draft)).status_code == 403


def test_another_users_session_is_not_vouched_for(reporter, own_draft):
    signed_in(reporter).get(change_url(own_draft))
    other = UserFactory(username="other", groups=["Reporter"])
    assert post(signed_in(other), autosave_url(own_draft)).status_code == 403


# -- Bad input: a 4xx with a message, never a half-written row --------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "Send the form as a JSON object."),
        (b"\xff\xfe", "Send the form as a JSON object."),
        ("[1, 2]", "Send the form as a JSON object."),
        ('"text"', "Send the form as a JSON object."),
        ("", "Send the form as a JSON object."),
        ('{"headline": {"nested": 1}}', "The value of “headline” is not text."),
        ('{"headline": 12}', "The value of “headline” is not text."),
        ('{"headline": "a\\u0000b"}', "The value of “headline” is not text."),
        ('{"headline": "\\ud800"}', "The value of “headline” is not text."),
        ('{"": "x"}', "A field name is empty, too long or not text."),
        (json.dumps({"x" * 101: "x"}), "A field name is empty, too long or not text."),
        (json.dumps({f"f{n}": "x" for n in range(201)}), "At most 200 fields."),
    ],
)
def test_bad_input_gets_400_with_a_message(reporter, own_draft, body, message):
    response = post(signed_in(reporter), autosave_url(own_draft), body)
    assert response.status_code == 400
    assert response.json() == {"error": message}
    assert not Autosave.objects.exists()


def test_a_body_too_large_gets_400_with_a_message(reporter, own_draft, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(signed_in(reporter), autosave_url(own_draft), {"body": "x" * 2000})
    assert response.status_code == 400
    assert "too large" in response.json()["error"]
    assert not Autosave.objects.exists()


def test_lists_booleans_and_nulls_are_kept(reporter, own_draft):
    data = {"tags": ["a", "b"], "featured": False, "section": None, "body": "<p>ü ✓</p>"}
    assert post(signed_in(reporter), autosave_url(own_draft), data).status_code == 200
    assert Autosave.objects.get().data == data


def test_an_unknown_or_malformed_story_gets_404(editor):
    client = signed_in(editor)
    assert (
        post(client, reverse("admin:articles_article_autosave", args=[999999])).status_code == 404
    )
    for malformed in ("abc", "%C2%B2", "1.5", "9" * 40):  # "²" is a digit to Python
        response = post(client, f"/admin/articles/article/{malformed}/autosave/")
        assert response.status_code == 404, malformed
        assert response.json() == {"error": "No such story."}
    assert not Autosave.objects.exists()


# -- Nothing readers see changes ------------------------------------------------------


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 300
    settings.FRAGMENT_CACHE_SECONDS = 600


def test_autosave_changes_nothing_readers_see(editor, page_cache):
    story = ArticleFactory(
        headline="Quiet harbour", slug="quiet-harbour", authors=[AuthorFactory()]
    )
    reader = Client()
    url = story.get_absolute_url()
    first = reader.get(url)
    assert first.status_code == 200
    client = signed_in(editor)
    client.get(change_url(story))  # the desk opens the form, as in a browser
    before = Article.objects.filter(pk=story.pk).values().get()
    counts = (Revision.objects.count(), SlugRedirect.objects.count(), ArticleEvent.objects.count())

    for n in range(3):
        response = post(client, autosave_url(story), {**TYPED, "headline": f"Draft {n}"})
        assert response.status_code == 200

    assert Article.objects.filter(pk=story.pk).values().get() == before
    story.refresh_from_db()
    assert (story.status, story.slug, story.headline) == (
        "published",
        "quiet-harbour",
        "Quiet harbour",
    )
    assert (
        Revision.objects.count(),
        SlugRedirect.objects.count(),
        ArticleEvent.objects.count(),
    ) == counts
    # The kept page was not ended: still served from the cache, without SQL, unchanged.
    with CaptureQueriesContext(connection) as queries:
        again = reader.get(url)
    assert len(queries) == 0
    assert again.content == first.content
    assert reader.get("/admin/articles/article/").status_code == 302  # readers have no desk


# -- Cost -------------------------------------------------------------------------------


def test_an_autosave_costs_at_most_three_queries(editor, reporter, own_draft):
    for user, url, form in [
        (reporter, autosave_url(own_draft), change_url(own_draft)),
        (editor, autosave_url(own_draft), change_url(own_draft)),
        (reporter, autosave_url(), add_url()),
    ]:
        client = signed_in(user)
        assert client.get(form).status_code == 200
        post(client, url)  # the first one of the add form inserts its row
        for n in range(2):
            with CaptureQueriesContext(connection) as queries:
                response = post(client, url, {**TYPED, "headline": f"Draft {n}"})
            assert response.status_code == 200
            # The session, the user and the upsert.
            assert len(queries) <= 3, [q["sql"] for q in queries]


def test_without_the_forms_word_the_full_check_runs_once(reporter, own_draft):
    client = signed_in(reporter)
    with CaptureQueriesContext(connection) as first:
        assert post(client, autosave_url(own_draft)).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert post(client, autosave_url(own_draft)).status_code == 200
    assert len(first) > len(second)
    assert len(second) <= 3


# -- The form: the offer, and a save spends the autosave -------------------------------


def test_the_form_offers_a_newer_autosave(reporter, own_draft):
    client = signed_in(reporter)
    Autosave.objects.create(
        user=reporter,
        article=own_draft,
        data={"headline": "<b>Bold</b> & new"},
        saved_at=own_draft.updated_at + datetime.timedelta(minutes=5),
    )
    response = client.get(change_url(own_draft))
    page = response.content.decode()
    assert 'aria-labelledby="desk-autosave-title"' in page
    assert f'data-autosave-url="{autosave_url(own_draft)}"' in page
    assert "data-autosave-offer" in page
    assert "js/admin-autosave.js" in page
    kept = response.context["autosave"]["kept"]
    assert kept["data"] == {"headline": "<b>Bold</b> & new"}
    # Kept for the script as JSON, never as markup.
    assert "<b>Bold</b>" not in page
    assert "\\u003Cb\\u003EBold" in page


def test_an_autosave_older_than_the_saved_story_is_not_offered(reporter, own_draft):
    Autosave.objects.create(
        user=reporter,
        article=own_draft,
        data={"headline": "Old"},
        saved_at=own_draft.updated_at - datetime.timedelta(minutes=5),
    )
    response = signed_in(reporter).get(change_url(own_draft))
    assert response.context["autosave"]["kept"] is None


def test_another_writers_autosave_is_never_offered(reporter, editor, own_draft):
    Autosave.objects.create(
        user=editor,
        article=own_draft,
        data={"headline": "The editor's"},
        saved_at=own_draft.updated_at + datetime.timedelta(minutes=5),
    )
    response = signed_in(reporter).get(change_url(own_draft))
    assert response.context["autosave"]["kept"] is None
    assert "The editor" not in response.content.decode()


def test_a_read_only_form_has_no_autosave(reporter):
    story = ArticleFactory(created_by=reporter)  # published: read-only for the reporter
    response = signed_in(reporter).get(change_url(story))
    assert response.status_code == 200
    assert "autosave" not in response.context
    assert "desk-autosave" not in response.content.decode()


def test_saving_the_form_spends_the_writers_autosave(reporter, editor, own_draft):
    client = signed_in(reporter)
    post(client, autosave_url(own_draft))
    Autosave.objects.create(user=editor, article=own_draft, data={"headline": "Kept"})
    response = post_change(client, own_draft, headline="Saved at last")
    assert response.status_code == 302
    assert not Autosave.objects.filter(user=reporter).exists()
    assert Autosave.objects.filter(user=editor).exists()  # not the reporter's to spend


def test_a_form_sent_back_with_errors_keeps_the_autosave(reporter, own_draft):
    client = signed_in(reporter)
    post(client, autosave_url(own_draft))
    response = post_change(client, own_draft, headline="")
    assert response.status_code == 200  # the form again, with its error
    assert Autosave.objects.filter(user=reporter).exists()
    assert "data-autosave-offer" not in response.content.decode()


def test_adding_the_story_spends_the_add_forms_autosave(reporter):
    client = signed_in(reporter)
    post(client, autosave_url(), {"headline": "Harbour wall"})
    response = client.post(add_url(), new_article_data(client))
    assert response.status_code == 302
    assert Article.objects.count() == 1
    assert not Autosave.objects.exists()


# -- The model and the purge ---------------------------------------------------------------


def test_one_autosave_per_writer_and_story_in_the_database(reporter, own_draft):
    Autosave.objects.create(user=reporter, article=own_draft, data={})
    with pytest.raises(IntegrityError), transaction.atomic():
        Autosave.objects.create(user=reporter, article=own_draft, data={})
    Autosave.objects.create(user=reporter, article=None, data={})
    with pytest.raises(IntegrityError), transaction.atomic():
        Autosave.objects.create(user=reporter, article=None, data={})
    other = UserFactory(username="other", groups=["Reporter"])
    Autosave.objects.create(user=other, article=None, data={})
    assert Autosave.objects.count() == 3


def test_deleting_the_story_deletes_its_autosaves(reporter, own_draft):
    Autosave.objects.create(user=reporter, article=own_draft, data={})
    own_draft.delete()
    assert not Autosave.objects.exists()


def test_purge_autosaves_deletes_those_older_than_30_days(reporter, own_draft):
    now = timezone.now()
    old = Autosave.objects.create(
        user=reporter, article=own_draft, data={}, saved_at=now - datetime.timedelta(days=31)
    )
    recent = Autosave.objects.create(
        user=reporter, article=None, data={}, saved_at=now - datetime.timedelta(days=29)
    )
    out = io.StringIO()
    call_command("purge_autosaves", stdout=out)
    assert "Deleted 1 autosave(s) older than 30 days." in out.getvalue()
    assert list(Autosave.objects.all()) == [recent]
    assert not Autosave.objects.filter(pk=old.pk).exists()

    call_command("purge_autosaves", "--days", "7", stdout=out)
    assert not Autosave.objects.exists()


def test_purge_autosaves_refuses_a_days_below_one():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("purge_autosaves", "--days", "0")


@pytest.mark.django_db(transaction=True)
def test_a_story_deleted_since_the_form_opened_gets_404(superuser, own_draft):
    # A superuser: a flushed database (transaction=True) may have lost the role groups.
    client = signed_in(superuser)
    assert client.get(change_url(own_draft)).status_code == 200  # the form vouches
    Article.objects.filter(pk=own_draft.pk).delete()
    response = post(client, autosave_url(own_draft))
    assert response.status_code == 404
    assert response.json() == {"error": "No such story."}
    assert not Autosave.objects.exists()


def test_a_story_someone_has_an_autosave_of_can_be_deleted(superuser, reporter, own_draft):
    Autosave.objects.create(user=reporter, article=own_draft, data={"headline": "Mine"})
    client = signed_in(superuser)
    url = reverse("admin:articles_article_delete", args=[own_draft.pk])
    assert "Mine" not in client.get(url).content.decode()
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Article.objects.filter(pk=own_draft.pk).exists()
    assert not Autosave.objects.exists()
