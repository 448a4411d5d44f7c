"""Re-apply the roles after articles gained their history (ArticleEvent), so Reporters
and Editors can read it on a database made before it existed."""

import importlib

from django.db import migrations

roles = importlib.import_module("newsroom.migrations.0001_roles")


class Migration(migrations.Migration):
    dependencies = [
        ("newsroom", "0005_live_roles"),
        ("articles", "0010_article_events"),
    ]

    operations = [migrations.RunPython(roles.create_roles, migrations.RunPython.noop)]
