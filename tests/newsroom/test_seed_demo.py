from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from articles.models import (
    Article,
    Author,
    Correction,
    EditorialNote,
    Image,
    Notification,
    Section,
)
from comments.models import Comment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_mode(settings):
    """seed_demo is for DEBUG sites; the suite runs with production settings."""
    settings.DEBUG = True


MODELS = [Article, Author, Section, Image, Correction, Comment, EditorialNote]


def snapshot():
    return {
        model.__name__: sorted(model.objects.values_list("pk", flat=True)) for model in MODELS
    } | {"article versions": sorted(Article.objects.values_list("pk", "version"))}


def test_seed_demo_fills_an_empty_database_with_believable_content():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert Article.objects.live().count() >= 40
    assert Article.objects.scheduled().count() == 1
    assert Article.objects.filter(status="draft").count() == 1
    assert Correction.objects.exists()
    # The story in review carries the desk's notes: one open, naming the reporter, who is told.
    in_review = Article.objects.get(status="review")
    assert [note.is_resolved for note in in_review.notes.all()] == [False, True]
    assert list(in_review.notes.first().mentions.values_list("username", flat=True)) == ["reporter"]
    assert Notification.objects.filter(recipient__username="reporter", verb="mentioned").exists()
    assert set(Comment.objects.values_list("status", flat=True)) == {
        "pending",
        "approved",
        "rejected",
        "spam",
    }
    assert all(author.photo for author in Author.objects.all())
    assert Article.objects.live().filter(lead_image__isnull=True).count() == 0
    long_bodies = [a for a in Article.objects.live() if a.body.count("<p>") >= 4]
    assert len(long_bodies) >= 40
    for username, role in [
        ("reporter", "Reporter"),
        ("editor", "Editor"),
        ("moderator", "Moderator"),
    ]:
        assert username in out.getvalue()
        user = authenticate(username=username, password=f"newsroom-{username}-demo")
        assert user is not None and user.is_staff
        assert user.groups.filter(name=role).exists()
    assert authenticate(username="admin", password="newsroom-admin-demo").is_superuser


def test_seed_demo_twice_changes_nothing_the_second_time():
    call_command("seed_demo", stdout=StringIO())
    before = snapshot()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert snapshot() == before
    assert "nothing changed" in out.getvalue()


def test_seed_demo_refuses_with_debug_off_and_changes_nothing(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--i-know-this-is-production"):
        call_command("seed_demo", stdout=StringIO())
    assert snapshot() == {name: [] for name in snapshot()}
    assert not User.objects.filter(username="admin").exists()


def test_seed_demo_in_production_only_when_asked_in_so_many_words(settings):
    settings.DEBUG = False
    call_command("seed_demo", "--i-know-this-is-production", stdout=StringIO())
    assert User.objects.get(username="admin").is_superuser
