"""A comment records the one-use nonce of the form it was posted with, unique, so one
form serves one post."""

import importlib

from django.db import migrations, models

moderation_desk = importlib.import_module("comments.migrations.0003_moderation_desk")


class Migration(migrations.Migration):
    dependencies = [("comments", "0003_moderation_desk")]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="form_nonce",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="The one-use nonce of the form it was posted with; a form serves one post.",
                max_length=32,
            ),
        ),
        migrations.AddConstraint(
            model_name="comment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("form_nonce", ""), _negated=True),
                fields=("form_nonce",),
                name="comment_form_nonce_unique",
            ),
        ),
        # SQLite rebuilt the table, which drops its triggers.
        migrations.RunPython(moderation_desk.restore_sqlite_triggers, migrations.RunPython.noop),
    ]
