"""Deleting a picture (issue 17, item 7): one in use (a story's lead image, or inline or
in a gallery in its body) is refused with the stories that use it, from the admin's
delete page and its bulk action alike; one not in use goes with all its files, on the
local disk and in object storage."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import ProtectedError
from django.urls import reverse

from articles.models import Image
from tests.factories import ArticleFactory, ImageFactory, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def picture(alt="A harbour wall"):
    return ImageFactory(alt_text=alt, file=ContentFile(png_bytes(700, 400), name="wall.png"))


def stored_files(image):
    return [image.file.name, *(entry["path"] for entry in image.renditions.values())]


@pytest.fixture
def in_use(media):
    lead, inline, gallery = picture("Lead"), picture("Inline"), picture("In a gallery")
    ArticleFactory(headline="Storm hits the harbour", lead_image=lead)
    ArticleFactory(
        headline="The wall, inside", draft=True, body=f'<figure data-image="{inline.pk}"></figure>'
    )
    ArticleFactory(
        headline="Pictures of the week",
        body=f'<figure data-gallery="{picture("Other").pk},{gallery.pk}"></figure>',
    )
    from articles.models import Article, LiveUpdate

    in_update, in_update_gallery = picture("In an update"), picture("In an update's gallery")
    coverage = ArticleFactory(headline="Storm: live", kind=Article.Kind.LIVE)
    LiveUpdate.objects.create(
        article=coverage, body=f'<p>Seen now.</p><figure data-image="{in_update.pk}"></figure>'
    )
    LiveUpdate.objects.create(
        article=coverage,
        body=f'<figure data-gallery="{in_update_gallery.pk},{picture("Last").pk}"></figure>',
    )
    return {
        "lead": lead,
        "inline": inline,
        "gallery": gallery,
        "update": in_update,
        "update_gallery": in_update_gallery,
    }


def test_used_by_lists_the_stories_that_show_a_picture(in_use):
    assert [a.headline for a in in_use["lead"].used_by()] == ["Storm hits the harbour"]
    assert [a.headline for a in in_use["inline"].used_by()] == ["The wall, inside"]
    assert [a.headline for a in in_use["gallery"].used_by()] == ["Pictures of the week"]
    assert [a.headline for a in in_use["update"].used_by()] == ["Storm: live"]
    assert [a.headline for a in in_use["update_gallery"].used_by()] == ["Storm: live"]
    assert not picture("Unused").used_by().exists()


def test_a_live_updates_pictures_follow_a_change_of_the_picture(in_use):
    """A live update's body shows the picture's words: they follow its change."""
    from articles.models import LiveUpdate

    image = in_use["update"]
    image.alt_text = "The breach, seen from the pier"
    image.save()
    update = LiveUpdate.objects.showing_image(image.pk).get()
    assert 'alt="The breach, seen from the pier"' in update.body_html


@pytest.mark.parametrize("which", ["lead", "inline", "gallery", "update", "update_gallery"])
def test_the_admin_refuses_to_delete_a_picture_in_use_and_names_the_story(
    admin_client, in_use, which
):
    image = in_use[which]
    story = image.used_by().get()
    url = reverse("admin:articles_image_delete", args=[image.pk])
    page = admin_client.get(url).content.decode()
    assert "Cannot delete" in page
    assert story.headline in page
    assert reverse("admin:articles_article_change", args=[story.pk]) in page
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code in (200, 403)
    assert Image.objects.filter(pk=image.pk).exists()
    assert all(default_storage.exists(name) for name in stored_files(image))
    story.refresh_from_db()
    if which == "lead":
        assert story.lead_image_id == image.pk  # not silently taken off the story


def test_bulk_delete_with_a_picture_in_use_deletes_nothing_and_names_the_story(
    admin_client, in_use
):
    unused = picture("Unused")
    response = admin_client.post(
        reverse("admin:articles_image_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [in_use["lead"].pk, unused.pk],
            "post": "yes",
        },
    )
    page = response.content.decode()
    assert "Cannot delete" in page
    assert "Storm hits the harbour" in page
    assert Image.objects.filter(pk__in=[in_use["lead"].pk, unused.pk]).count() == 2


def test_deleting_a_picture_in_use_from_code_is_refused_too(in_use):
    with pytest.raises(ProtectedError):
        in_use["lead"].delete()


def test_deleting_an_unused_picture_removes_its_original_and_renditions(
    admin_client, media, django_capture_on_commit_callbacks
):
    image = picture("Unused")
    files = stored_files(image)
    assert len(files) > 3 and all(default_storage.exists(name) for name in files)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:articles_image_delete", args=[image.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert not Image.objects.filter(pk=image.pk).exists()
    assert not any(default_storage.exists(name) for name in files)


def test_files_stay_when_the_deletion_is_rolled_back(media, django_capture_on_commit_callbacks):
    from django.db import transaction

    image = picture("Unused")
    files = stored_files(image)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                Image.objects.filter(pk=image.pk).delete()
                raise RuntimeError("the request failed after the delete")
        except RuntimeError:
            pass
    assert callbacks == []
    assert Image.objects.filter(pk=image.pk).exists()
    assert all(default_storage.exists(name) for name in files)
