"""The articles app's models, one module per concern, re-exported here."""

from .article import (
    LIST_FIELDS,
    Article,
    ArticleQuerySet,
    Byline,
    Correction,
    CorrectionQuerySet,
    SlugRedirect,
    TaggedArticle,
    tags_in_use,
)
from .desk import ArticleEvent, Autosave, EditorialNote, Notification, Revision
from .live import Breaking, LiveUpdate, LiveUpdateQuerySet
from .media import Embed, Image
from .story import BodyImage, RelatedLink, Series
from .taxonomy import Author, Section

__all__ = [
    "LIST_FIELDS",
    "Article",
    "ArticleEvent",
    "ArticleQuerySet",
    "Author",
    "Autosave",
    "BodyImage",
    "Breaking",
    "Byline",
    "Correction",
    "CorrectionQuerySet",
    "EditorialNote",
    "Embed",
    "Image",
    "LiveUpdate",
    "LiveUpdateQuerySet",
    "Notification",
    "RelatedLink",
    "Revision",
    "Section",
    "Series",
    "SlugRedirect",
    "TaggedArticle",
    "tags_in_use",
]
