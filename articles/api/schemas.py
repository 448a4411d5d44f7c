"""What the API answers, as OpenAPI describes it. The views build plain dicts of this
shape; ninja checks them against these schemas."""

from datetime import datetime

from ninja import Field, Schema

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class PageQuery(Schema):
    cursor: str | None = Field(None, description="From a previous answer's `next`.")
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items per page.")


class ArticleQuery(PageQuery):
    section: str | None = Field(None, description="A section's slug.")
    tag: str | None = Field(None, description="A tag's slug.")
    author: str | None = Field(None, description="An author's slug.")
    series: str | None = Field(None, description="A series' slug.")
    updated_since: datetime | None = Field(
        None, description="Only articles changed at or after this time (ISO 8601)."
    )


class Error(Schema):
    """What went wrong; invalid query parameters add a `detail` list, one per problem."""

    error: str


class SectionOut(Schema):
    id: int
    name: str
    slug: str
    description: str
    position: int
    url: str


class SectionRef(Schema):
    id: int
    name: str
    slug: str
    url: str


class AuthorRef(Schema):
    id: int
    name: str
    slug: str
    url: str


class AuthorOut(AuthorRef):
    job_title: str
    bio: str
    photo: str | None


class TagOut(Schema):
    id: int
    name: str
    slug: str
    url: str


class TagRef(Schema):
    name: str
    slug: str


class Rendition(Schema):
    name: str
    url: str
    width: int
    height: int


class ImageOut(Schema):
    url: str
    width: int
    height: int
    alt_text: str
    caption: str
    credit: str
    renditions: list[Rendition]


class CorrectionOut(Schema):
    kind: str
    text: str
    created_at: datetime


class SeriesRef(Schema):
    id: int
    title: str
    slug: str
    url: str


class ArticleOut(Schema):
    id: int
    url: str
    headline: str
    standfirst: str
    body_html: str
    published_at: datetime
    updated_at: datetime
    section: SectionRef | None
    authors: list[AuthorRef]
    tags: list[TagRef]
    lead_image: ImageOut | None
    series: SeriesRef | None


class LiveUpdateOut(Schema):
    id: int
    url: str
    title: str
    body_html: str
    author: str | None
    pinned: bool
    key_event: bool
    published_at: datetime
    updated_at: datetime


class ArticleDetail(ArticleOut):
    corrections: list[CorrectionOut]
    kind: str = Field(description="`story`, or `live` for live coverage.")
    live_updates: list[LiveUpdateOut] = Field(
        description="Live coverage: its latest published updates, newest first (empty for a story)."
    )


class ArticleList(Schema):
    results: list[ArticleOut]
    next: str | None


class SectionList(Schema):
    results: list[SectionOut]
    next: str | None


class AuthorList(Schema):
    results: list[AuthorOut]
    next: str | None


class TagList(Schema):
    results: list[TagOut]
    next: str | None


class SeriesOut(SeriesRef):
    description: str
    parts: int = Field(description="How many of its articles are live.")


class SeriesPart(Schema):
    id: int
    part: int = Field(description="Its place in the series' reading order (1 first).")
    url: str
    headline: str
    standfirst: str
    published_at: datetime


class SeriesDetail(SeriesOut):
    articles: list[SeriesPart] = Field(description="Its live articles in reading order.")


class SeriesList(Schema):
    results: list[SeriesOut]
    next: str | None
