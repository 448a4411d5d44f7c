import pytest
from django.contrib.auth.models import Group

from newsroom.roles import ROLE_PERMISSIONS

pytestmark = pytest.mark.django_db


def perms(name):
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=name).permissions.select_related("content_type")
    }


def test_the_three_groups_exist_after_migrating():
    assert set(Group.objects.values_list("name", flat=True)) >= {"Reporter", "Editor", "Moderator"}


@pytest.mark.parametrize("name", sorted(ROLE_PERMISSIONS))
def test_each_group_holds_exactly_its_intended_permissions(name):
    assert perms(name) == set(ROLE_PERMISSIONS[name])


def test_reporter_may_write_but_never_publish():
    reporter = perms("Reporter")
    assert "articles.add_article" in reporter
    assert "articles.publish_article" not in reporter
    assert "articles.edit_any_article" not in reporter


def test_editor_publishes_and_manages_the_desk_but_cannot_delete_articles():
    editor = perms("Editor")
    assert {
        "articles.publish_article",
        "articles.edit_any_article",
        "articles.change_section",
    } <= editor
    assert "articles.delete_article" not in editor


def test_moderator_has_only_comment_permissions():
    moderator = perms("Moderator")
    assert "comments.can_moderate" in moderator
    assert all(p.startswith("comments.") for p in moderator)
