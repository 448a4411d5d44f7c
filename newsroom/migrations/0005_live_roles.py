"""Re-apply the roles after articles gained live updates and the breaking news banner:
reporters write updates, editors publish them and set the banner."""

import importlib

from django.db import migrations

roles = importlib.import_module("newsroom.migrations.0001_roles")


class Migration(migrations.Migration):
    dependencies = [
        ("newsroom", "0004_story_roles"),
        ("articles", "0008_live_coverage"),
    ]

    operations = [migrations.RunPython(roles.create_roles, migrations.RunPython.noop)]
