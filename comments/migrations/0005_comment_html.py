"""Each comment keeps its finished thread markup, open and closed, made when saved;
existing comments get theirs here."""

import importlib

from django.db import migrations, models

moderation_desk = importlib.import_module("comments.migrations.0003_moderation_desk")


def render_existing(apps, schema_editor):
    # The markup comes from the app's own template and model (display_name), so the
    # current Comment class renders it from the stored values; nothing is saved by it.
    from comments.models import Comment as Current
    from comments.rendering import thread_html

    Comment = apps.get_model("comments", "Comment")
    fields = ["id", "article_id", "name", "created_at", "body_html"]
    for values in Comment.objects.values(*fields).iterator(chunk_size=2000):
        comment = Current(pk=values.pop("id"), **values)
        Comment.objects.filter(pk=comment.pk).update(
            html=thread_html(comment, reply=True), html_closed=thread_html(comment, reply=False)
        )


class Migration(migrations.Migration):
    dependencies = [("comments", "0004_form_nonce")]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="html",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="The whole comment as the thread shows it, made when saved.",
            ),
        ),
        migrations.AddField(
            model_name="comment",
            name="html_closed",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="The same once comments on the article have closed (no Reply link).",
            ),
        ),
        # SQLite rebuilt the table, which drops its triggers.
        migrations.RunPython(moderation_desk.restore_sqlite_triggers, migrations.RunPython.noop),
        migrations.RunPython(render_existing, migrations.RunPython.noop),
    ]
