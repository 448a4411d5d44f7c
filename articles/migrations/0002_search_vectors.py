"""Stored full-text search vectors on PostgreSQL (see articles/search.py).

Two tsvector columns and a GIN index on the matching vector. They are not model
fields: SQLite has no tsvector and uses the fallback search instead, so on SQLite
this migration does nothing.
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE articles_article ADD COLUMN IF NOT EXISTS search_vector tsvector",
    "ALTER TABLE articles_article ADD COLUMN IF NOT EXISTS search_rank_vector tsvector",
    "CREATE INDEX IF NOT EXISTS article_search_vector_gin "
    "ON articles_article USING gin (search_vector)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS article_search_vector_gin",
    "ALTER TABLE articles_article DROP COLUMN IF EXISTS search_rank_vector",
    "ALTER TABLE articles_article DROP COLUMN IF EXISTS search_vector",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FORWARD:
        schema_editor.execute(statement)
    from articles.search import reindex

    reindex()


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("articles", "0001_initial")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
