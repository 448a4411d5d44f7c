"""Notes on a story: the desk writes, resolves and reopens them beside the change form;
@username tells exactly the people named; readers never see a word of them."""

import datetime
import io
import json
import re

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, EditorialNote, Notification, Revision
from tests.articles.desk import change_url
from tests.factories import ArticleFactory, AuthorFactory, UserFactory

pytestmark = [pytest.mark.django_db]


def notes_url(article):
    return reverse("admin:articles_article_notes", args=[article.pk])


def resolve_url(note):
    return reverse("admin:articles_article_note_resolve", args=[note.article_id, note.pk])


def reopen_url(note):
    return reverse("admin:articles_article_note_reopen", args=[note.article_id, note.pk])


def delete_url(note):
    return reverse("admin:articles_article_note_delete", args=[note.article_id, note.pk])


def add_note(client, article, text):
    return client.post(notes_url(article), {"note-text": text})


def said(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def told():
    return sorted(
        Notification.objects.filter(verb="mentioned").values_list("recipient__username", flat=True)
    )


@pytest.fixture
def own_story(reporter):
    return ArticleFactory(draft=True, created_by=reporter, headline="Ferry strike")


# -- Writing, resolving, reopening --------------------------------------------------


def test_a_reporter_adds_a_note_to_their_own_story_and_is_sent_back_to_it(
    client, reporter, own_story
):
    client.force_login(reporter)
    response = add_note(client, own_story, "  Check the quote from the harbour master.  ")
    note = EditorialNote.objects.get()
    assert response.status_code == 302
    assert response["Location"] == change_url(own_story) + "#desk-notes"
    assert note.text == "Check the quote from the harbour master."
    assert (note.article, note.author, note.resolved_at) == (own_story, reporter, None)
    assert "The note is added." in said(response)

    page = client.get(change_url(own_story)).content.decode()
    assert 'id="desk-notes"' in page
    assert "Check the quote from the harbour master." in page
    assert '<span class="desk-notes-count">1 open</span>' in page


def test_resolving_folds_the_note_and_reopening_brings_it_back(client, editor, own_story):
    note = EditorialNote.objects.create(article=own_story, author=editor, text="Needs a photo")
    client.force_login(editor)

    response = client.post(resolve_url(note))
    assert response.status_code == 302
    assert response["Location"] == change_url(own_story) + "#desk-notes"
    note.refresh_from_db()
    assert note.resolved_by == editor and note.resolved_at is not None
    page = client.get(change_url(own_story)).content.decode()
    assert 'class="desk-note desk-note--resolved"' in page
    assert '<details class="desk-note-folded">' in page
    assert reopen_url(note) in page and resolve_url(note) not in page
    assert "desk-notes-count" not in page  # nothing open

    client.post(reopen_url(note))
    note.refresh_from_db()
    assert note.resolved_by is None and note.resolved_at is None
    page = client.get(change_url(own_story)).content.decode()
    assert resolve_url(note) in page and "desk-note--resolved" not in page


def test_anyone_who_can_open_the_story_may_note_and_resolve_even_read_only(client, reporter):
    """A reporter may read a colleague's story (not change it): they may still talk."""
    theirs = ArticleFactory(draft=True, created_by=UserFactory(username="colleague"))
    client.force_login(reporter)
    assert add_note(client, theirs, "Saw a typo in the headline").status_code == 302
    note = EditorialNote.objects.get(article=theirs)
    assert client.post(resolve_url(note)).status_code == 302
    note.refresh_from_db()
    assert note.resolved_by == reporter


def test_someone_without_access_to_the_desk_is_refused(client, moderator, own_story):
    note = EditorialNote.objects.create(article=own_story, author=None, text="Open question")
    client.force_login(moderator)
    assert add_note(client, own_story, "Let me in").status_code == 403
    assert client.post(resolve_url(note)).status_code == 403
    note.resolve(by=UserFactory(username="someone"))
    assert client.post(reopen_url(note)).status_code == 403
    note.refresh_from_db()
    assert EditorialNote.objects.count() == 1 and note.is_resolved


def test_anonymous_is_sent_to_log_in_and_nothing_changes(client, own_story):
    note = EditorialNote.objects.create(article=own_story, author=None, text="Open question")
    for url in (notes_url(own_story), resolve_url(note), reopen_url(note)):
        response = client.post(url, {"note-text": "Hello"})
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]
    assert EditorialNote.objects.count() == 1
    note.refresh_from_db()
    assert not note.is_resolved


def test_only_a_post_changes_anything(client, editor, own_story):
    note = EditorialNote.objects.create(article=own_story, author=editor, text="Open question")
    client.force_login(editor)
    for url in (notes_url(own_story), resolve_url(note), reopen_url(note)):
        assert client.get(url).status_code == 405
    note.refresh_from_db()
    assert EditorialNote.objects.count() == 1 and not note.is_resolved


def test_a_note_is_resolved_only_through_its_own_story(client, editor, own_story):
    other = ArticleFactory(draft=True)
    note = EditorialNote.objects.create(article=other, author=editor, text="Elsewhere")
    client.force_login(editor)
    crossed = reverse("admin:articles_article_note_resolve", args=[own_story.pk, note.pk])
    assert client.post(crossed).status_code == 404
    missing = reverse("admin:articles_article_notes", args=[own_story.pk + 1000])
    assert client.post(missing, {"note-text": "Hi"}).status_code == 404
    note.refresh_from_db()
    assert not note.is_resolved and EditorialNote.objects.count() == 1


def test_the_csrf_token_is_required(editor, own_story):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert add_note(client, own_story, "No token").status_code == 403
    assert not EditorialNote.objects.exists()


# -- Deleting -----------------------------------------------------------------------


def test_the_writer_deletes_their_own_note_after_a_confirmation(client, people, own_story):
    reporter = people["reporter"]
    note = EditorialNote.objects.create(
        article=own_story, author=reporter, text="Ask @ana about <b>the ferry</b>"
    )
    kept = EditorialNote.objects.create(article=own_story, author=reporter, text="Keep me")
    client.force_login(reporter)
    panel = client.get(change_url(own_story)).content.decode()
    assert delete_url(note) in panel and delete_url(kept) in panel

    asked = client.get(delete_url(note))
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "Delete this note?" in page
    assert "Ask @ana about &lt;b&gt;the ferry&lt;/b&gt;" in page  # escaped, as typed
    assert "keep their notification" in page
    assert EditorialNote.objects.filter(pk=note.pk).exists()  # asking deletes nothing

    response = client.post(delete_url(note))
    assert response.status_code == 302
    assert response["Location"] == change_url(own_story) + "#desk-notes"
    assert said(response) == ["The note is deleted."]
    assert list(EditorialNote.objects.values_list("pk", flat=True)) == [kept.pk]
    # The person it told keeps the notification, which names the story.
    assert told() == ["ana"]
    assert client.post(delete_url(note)).status_code == 404  # gone: nothing to delete twice


def test_only_the_writer_or_someone_allowed_deletes_a_note(client, editor, superuser, own_story):
    note = EditorialNote.objects.create(article=own_story, author=editor, text="Mine")
    orphan = EditorialNote.objects.create(article=own_story, author=None, text="Nobody's")
    colleague = UserFactory(username="colleague", groups=["Editor"])
    client.force_login(colleague)
    panel = client.get(change_url(own_story)).content.decode()
    assert delete_url(note) not in panel and delete_url(orphan) not in panel
    for target in (note, orphan):
        assert client.get(delete_url(target)).status_code == 403
        assert client.post(delete_url(target)).status_code == 403
    assert EditorialNote.objects.count() == 2

    client.force_login(superuser)  # allowed to delete notes: anyone's, a gone writer's too
    assert client.post(delete_url(orphan)).status_code == 302
    assert list(EditorialNote.objects.all()) == [note]


def test_a_note_is_deleted_only_by_a_post_with_its_token_and_through_its_story(editor, own_story):
    from django.test import Client

    note = EditorialNote.objects.create(article=own_story, author=editor, text="Mine")
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.post(delete_url(note)).status_code == 403  # no CSRF token
    other = ArticleFactory(draft=True)
    crossed = reverse("admin:articles_article_note_delete", args=[other.pk, note.pk])
    assert Client().get(crossed).status_code == 302  # anonymous: log in first
    client = Client()
    client.force_login(editor)
    assert client.put(delete_url(note)).status_code == 405
    assert client.post(crossed).status_code == 404
    assert EditorialNote.objects.filter(pk=note.pk).exists()


# -- Bad input ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_an_empty_note_is_refused_with_a_message(client, reporter, own_story, text):
    client.force_login(reporter)
    response = add_note(client, own_story, text)
    assert response.status_code == 302
    assert response["Location"] == change_url(own_story) + "#desk-notes"
    assert any("The note is empty" in message for message in said(response))
    assert not EditorialNote.objects.exists()
    page = client.get(change_url(own_story)).content.decode()
    assert '<ul class="errorlist" id="id_note-text-errors">' in page
    assert 'aria-invalid="true"' in page


def test_a_note_too_long_is_refused_and_its_text_is_kept_for_the_form(client, reporter, own_story):
    client.force_login(reporter)
    long_text = "Wordy " * 400  # 2,400 characters
    response = add_note(client, own_story, long_text)
    assert any(
        "at most 2000 characters; this one has 2399" in message for message in said(response)
    )
    assert not EditorialNote.objects.exists() and not Notification.objects.exists()
    page = client.get(change_url(own_story)).content.decode()
    assert "at most 2000 characters" in page
    assert long_text.strip() in page  # the textarea holds what was typed
    # Shown once: the next visit starts with an empty form.
    assert "Wordy Wordy" not in client.get(change_url(own_story)).content.decode()


def test_the_database_refuses_notes_that_break_the_rules(editor, own_story):
    def refused(**fields):
        with pytest.raises(IntegrityError), transaction.atomic():
            EditorialNote.objects.bulk_create(
                [EditorialNote(article=own_story, author=editor, **{"text": "x", **fields})]
            )

    refused(text="")
    refused(text="x" * (EditorialNote.MAX_LENGTH + 1))
    refused(resolved_by=editor)  # resolved by someone, at no time
    refused(resolved_at=timezone.now() - datetime.timedelta(days=1), resolved_by=editor)
    assert not EditorialNote.objects.exists()


# -- Mentions -----------------------------------------------------------------------


@pytest.fixture
def people(reporter, editor):
    return {
        "reporter": reporter,
        "editor": editor,
        "ana": UserFactory(username="ana", first_name="Ana", last_name="Ruiz", groups=["Reporter"]),
        "ben.k": UserFactory(username="ben.k", groups=["Editor"]),
        "mod": UserFactory(username="mod", groups=["Moderator"]),
        "gone": UserFactory(username="gone", groups=["Reporter"], is_active=False),
        "reader": UserFactory(username="reader"),
    }


def test_mentions_tell_exactly_the_people_named_once_each_after_commit(
    client, people, own_story, django_capture_on_commit_callbacks
):
    client.force_login(people["reporter"])
    text = (
        "@ana can you check this? Ask @ben.k. Also @ana again, @nobody, @reporter (me), "
        "@mod, @gone and @reader; mail desk@ana.example is no mention."
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = add_note(client, own_story, text)
        assert mail.outbox == []  # nothing is sent before the commit
    assert callbacks
    note = EditorialNote.objects.get()
    assert sorted(u.username for u in note.mentions.all()) == ["ana", "ben.k", "reporter"]
    assert told() == ["ana", "ben.k"]
    assert Notification.objects.filter(verb="mentioned", actor=people["reporter"]).count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.org", "ben.k@example.org"]
    message = mail.outbox[0]
    assert "“Ferry strike” has a note for you" in message.subject
    assert change_url(own_story) + "#desk-notes" in message.body
    messages = said(response)
    assert "The note is added. Told: @ana, @ben.k." in messages
    assert any("@nobody, @mod, @gone, @reader" in m for m in messages)

    # Ana's list of notifications leads to the notes.
    client.force_login(people["ana"])
    inbox = client.get(reverse("admin:articles_notification_changelist")).content.decode()
    assert (
        f'<a href="{change_url(own_story)}#desk-notes">“Ferry strike”</a> has a note for you'
        in inbox
    )


def test_resolving_or_reopening_tells_nobody_again(people, own_story):
    note = EditorialNote.objects.create(article=own_story, author=people["editor"], text="@ana?")
    assert told() == ["ana"]
    note.resolve(by=people["ana"])
    note.reopen(by=people["editor"])
    assert told() == ["ana"]


def test_editing_a_note_tells_only_the_people_newly_named(people, own_story):
    note = EditorialNote.objects.create(article=own_story, author=people["editor"], text="@ana?")
    note.text = "@ana and @ben.k?"
    note.save()
    assert told() == ["ana", "ben.k"]


def test_mentions_are_highlighted_and_everything_is_escaped(client, people, own_story):
    EditorialNote.objects.create(
        article=own_story,
        author=people["editor"],
        text="<script>alert(1)</script> over to @ana.\nSecond line <b>bold</b> @nobody",
    )
    client.force_login(people["editor"])
    page = client.get(change_url(own_story)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; over to " in page
    assert '<mark class="desk-note-mention" title="Ana Ruiz">@ana</mark>.<br>' in page
    assert "Second line &lt;b&gt;bold&lt;/b&gt; @nobody" in page
    assert "<b>bold</b>" not in page


def test_the_panel_offers_exactly_the_desks_people_to_mention(client, people, own_story):
    """The page hands admin-notes.js whom it may offer as the note is typed: the desk's
    people (not a moderator, a reader or a closed account), their names escaped."""
    UserFactory(username="quote", first_name='Jo "<b>', last_name="O'Neil", groups=["Editor"])
    client.force_login(people["editor"])
    page = client.get(change_url(own_story)).content.decode()
    offered = re.findall(r'<li data-mention="([^"]*)" data-name="([^"]*)">', page)
    assert offered == [
        ("ana", "Ana Ruiz"),
        ("ben.k", ""),
        ("editor", ""),
        ("quote", "Jo &quot;&lt;b&gt; O&#x27;Neil"),
        ("reporter", ""),
    ]
    assert "js/admin-notes.js" in page


# -- Notes stay on the desk -----------------------------------------------------------


def test_a_note_neither_saves_the_story_nor_ends_any_reader_cache(
    client, editor, change_log, django_capture_on_commit_callbacks
):
    story = ArticleFactory(headline="Live story")
    before = Article.objects.values("updated_at", "version").get(pk=story.pk)
    client.force_login(editor)
    change_log.mark()
    with django_capture_on_commit_callbacks(execute=True):
        add_note(client, story, "Is the second source on the record? @editor")
        note = EditorialNote.objects.get()
        client.post(resolve_url(note))
        client.post(reopen_url(note))
    assert change_log.ended() == set()
    assert Article.objects.values("updated_at", "version").get(pk=story.pk) == before
    assert not Revision.objects.filter(article=story).exists()
    assert not story.events.exists()


MARKER = "zq-desk-only-7731"


def test_a_note_is_on_no_public_surface(client, editor, superuser):
    from tests.articles.test_visibility_public import PUBLIC_PATHS

    story = ArticleFactory(
        headline="Visible zebra story",
        slug="visible-zebra-story",
        section__slug="city",
        tags=["zebra"],
        authors=[AuthorFactory(name="Ada Byline", slug="ada-byline")],
    )
    EditorialNote.objects.create(
        article=story, author=editor, text=f"{MARKER} zebra city @{editor.username}"
    )
    resolved = EditorialNote.objects.create(article=story, author=editor, text=f"{MARKER} done")
    resolved.resolve(by=editor)

    paths = [
        story.get_absolute_url(),
        f"/api/v1/articles/{story.pk}/",
        "/api/v1/articles/",
        "/sitemap.xml",
        "/sitemap-articles.xml",
        "/news-sitemap.xml",
        "/feeds/latest/",
        *PUBLIC_PATHS,
    ]
    for path in paths:
        response = client.get(path)
        body = b"".join(response) if response.streaming else response.content
        assert response.status_code == 200, path
        assert MARKER not in body.decode(), f"a note leaked into {path}"
    assert story.slug.encode() in client.get("/feeds/latest/").content  # the story is there
    # Searching for a word only a note holds finds nothing (the page repeats the query).
    assert story.slug.encode() not in client.get(f"/search/?q={MARKER}").content
    assert story.slug.encode() in client.get("/search/?q=zebra").content

    out = io.StringIO()
    call_command("export_content", stdout=out)
    exported = out.getvalue()
    assert MARKER not in exported
    assert '"article"' in exported and story.slug in exported
    assert "editorial" not in json.loads(exported.splitlines()[0])["counts"]

    # While the desk does see them.
    client.force_login(superuser)
    assert MARKER in client.get(change_url(story)).content.decode()


def test_the_panel_costs_the_same_queries_for_one_note_or_many(client, people, own_story):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def change_form_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(change_url(own_story)).status_code == 200
        return len(queries)

    client.force_login(people["editor"])
    EditorialNote.objects.create(article=own_story, author=people["ana"], text="@editor one")
    change_form_queries()  # warm: sessions, content types
    one = change_form_queries()
    for n in range(10):
        note = EditorialNote.objects.create(
            article=own_story, author=people["ben.k"], text=f"@ana @editor note {n}"
        )
        if n % 2:
            note.resolve(by=people["reporter"])
    assert change_form_queries() == one


def test_notes_go_with_their_story_and_outlive_their_writers_accounts(
    client, superuser, editor, reporter
):
    story = ArticleFactory(draft=True, headline="Doomed draft", created_by=reporter)
    story.submit(by=reporter)  # the editors are told
    note = EditorialNote.objects.create(article=story, author=editor, text="@admin look")
    note.resolve(by=editor)
    editor.delete()  # the note stays, by nobody known, still resolved
    note.refresh_from_db()
    assert note.author is None and note.resolved_by is None and note.is_resolved
    client.force_login(superuser)
    page = client.get(change_url(story)).content.decode()
    assert "Someone" in page and "Resolved by someone" in page

    delete = reverse("admin:articles_article_delete", args=[story.pk])
    assert client.get(delete).status_code == 200
    # The notifications about it (nobody may delete those one by one) go with it too.
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not EditorialNote.objects.exists() and not Notification.objects.exists()
