"""A reply belongs to the same article as the comment it answers.

This spans two rows, so a CHECK cannot say it. PostgreSQL enforces it with a
composite foreign key; SQLite (which cannot add constraints to a table) with
triggers that abort the statement with a constraint error.
"""

from django.db import migrations

POSTGRES_FORWARD = """
ALTER TABLE comments_comment
    ADD CONSTRAINT comment_id_article_unique UNIQUE (id, article_id);
ALTER TABLE comments_comment
    ADD CONSTRAINT comment_reply_same_article
    FOREIGN KEY (parent_id, article_id) REFERENCES comments_comment (id, article_id)
    ON DELETE CASCADE;
"""
POSTGRES_BACKWARD = """
ALTER TABLE comments_comment DROP CONSTRAINT comment_reply_same_article;
ALTER TABLE comments_comment DROP CONSTRAINT comment_id_article_unique;
"""

SQLITE_TRIGGER = """
CREATE TRIGGER comment_reply_same_article_{event}
BEFORE {event} ON comments_comment
FOR EACH ROW WHEN NEW.parent_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM comments_comment AS parent
    WHERE parent.id = NEW.parent_id AND parent.article_id = NEW.article_id
)
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: comment_reply_same_article');
END;
"""


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)
    elif vendor == "sqlite":
        for event in ("INSERT", "UPDATE"):
            schema_editor.execute(SQLITE_TRIGGER.format(event=event))


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)
    elif vendor == "sqlite":
        for event in ("INSERT", "UPDATE"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS comment_reply_same_article_{event}")


class Migration(migrations.Migration):
    dependencies = [("comments", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
