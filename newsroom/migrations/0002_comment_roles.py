"""Re-apply the roles after comments gained BlockedCommenter (bans), so Editors
and Moderators can manage bans on a database made before it existed."""

import importlib

from django.db import migrations

roles = importlib.import_module("newsroom.migrations.0001_roles")


class Migration(migrations.Migration):
    dependencies = [
        ("newsroom", "0001_roles"),
        ("comments", "0003_moderation_desk"),
    ]

    operations = [migrations.RunPython(roles.create_roles, migrations.RunPython.noop)]
