"""The editor's desk: the admin is where the newsroom works all day."""

from .article import ArticleAdmin
from .changelist import short_datetime
from .filters import AuthorFilter
from .images import ImageAdmin
from .live import BreakingAdmin
from .others import SectionAdmin

__all__ = [
    "ArticleAdmin",
    "AuthorFilter",
    "BreakingAdmin",
    "ImageAdmin",
    "SectionAdmin",
    "short_datetime",
]
