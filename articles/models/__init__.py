"""The articles app's models, one module per concern, re-exported here."""

from .article import (
    Article,
    ArticleQuerySet,
    Byline,
    Correction,
    CorrectionQuerySet,
    SlugRedirect,
    TaggedArticle,
)
from .desk import Revision
from .media import Image
from .taxonomy import Author, Section

__all__ = [
    "Article",
    "ArticleQuerySet",
    "Author",
    "Byline",
    "Correction",
    "CorrectionQuerySet",
    "Image",
    "Revision",
    "Section",
    "SlugRedirect",
    "TaggedArticle",
]
