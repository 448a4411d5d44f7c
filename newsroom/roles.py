"""The newsroom's roles: which permissions each staff group holds.

Used by the data migration that creates the groups, and by `seed_demo`.
"""

CRUD = ("add", "change", "delete", "view")

ROLE_PERMISSIONS = {
    "Reporter": [
        "articles.add_article",
        "articles.change_article",
        "articles.view_article",
        "articles.add_byline",
        "articles.change_byline",
        "articles.delete_byline",
        "articles.view_byline",
        "articles.view_section",
        "articles.view_author",
        "articles.add_image",
        "articles.view_image",
        "articles.view_correction",
        "articles.view_revision",
        "articles.view_articleevent",
        *(f"articles.{action}_relatedlink" for action in CRUD),
        "articles.add_liveupdate",
        "articles.change_liveupdate",
        "articles.view_liveupdate",
        "articles.view_series",
        "taggit.view_tag",
    ],
    "Editor": [
        *(
            f"articles.{action}_{model}"
            for action in CRUD
            for model in (
                "section",
                "author",
                "image",
                "byline",
                "correction",
                "slugredirect",
                "series",
                "relatedlink",
                "liveupdate",
                "breaking",
            )
        ),
        "articles.add_article",
        "articles.change_article",
        "articles.view_article",
        "articles.publish_article",
        "articles.edit_any_article",
        "articles.view_revision",
        "articles.view_articleevent",
        "articles.view_embed",
        "articles.change_embed",
        *(f"taggit.{action}_tag" for action in CRUD),
        "comments.view_comment",
        "comments.change_comment",
        "comments.can_moderate",
        "comments.view_commentflag",
        "comments.view_moderationevent",
        *(f"comments.{action}_blockedterm" for action in CRUD),
        *(f"comments.{action}_blockedcommenter" for action in CRUD),
        "newsroom.manage_webhooks",
    ],
    "Moderator": [
        "comments.view_comment",
        "comments.change_comment",
        "comments.can_moderate",
        "comments.view_commentflag",
        "comments.view_moderationevent",
        *(f"comments.{action}_blockedterm" for action in CRUD),
        *(f"comments.{action}_blockedcommenter" for action in CRUD),
    ],
}
