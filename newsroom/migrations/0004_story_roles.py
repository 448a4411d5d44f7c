"""Re-apply the roles after articles gained series, related links and embeds, so
Reporters and Editors can use them on a database made before they existed."""

import importlib

from django.db import migrations

roles = importlib.import_module("newsroom.migrations.0001_roles")


class Migration(migrations.Migration):
    dependencies = [
        ("newsroom", "0003_webhooks"),
        ("articles", "0007_story_body"),
    ]

    operations = [migrations.RunPython(roles.create_roles, migrations.RunPython.noop)]
