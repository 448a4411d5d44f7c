"""What the articles app announces besides Django's model signals; the caches listen."""

from django.dispatch import Signal

# Data derived from an article and kept on it (its related stories, its structured
# data) was made again and differs: sender=Article, article_id. Sent by
# `articles.related` and `articles.derived`, which write with UPDATE (so no post_save).
derived_data_changed = Signal()
