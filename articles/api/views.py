"""The API's endpoints: thin views over the models' own rules.

Lists are ordered newest first and paged with a cursor (the last row's position)
rather than a page number: a story published while a client pages through the list
goes to its top, so following `next` still visits every other story exactly once.
"""

import base64
import binascii
import json
from datetime import datetime

from django.conf import settings
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.http import HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from ninja import NinjaAPI, Query, Status
from ninja.decorators import decorate_view
from ninja.errors import ValidationError
from taggit.models import Tag

from newsroom import invalidation
from newsroom.caching import cached_fragment, depends_on, etag_for, public_page

from .. import live
from ..models import Article, Author, Byline, Section, Series, tags_in_use
from ..seo import absolute
from ..views import SERIES_ORDER
from . import schemas

BAD_CURSOR = "Invalid cursor: follow the `next` address of a previous answer."

api = NinjaAPI(
    title=f"{settings.NEWSROOM_SITE_NAME} content API",
    version="1",
    description=(
        "Read-only access to every live story, with its sections, authors and tags. "
        "Lists are paged with a cursor: follow `next` until it is null. Answers are "
        "public and cacheable (ETag, `If-None-Match` gives 304)."
    ),
    urls_namespace="api",
    docs_url="/docs/",
    openapi_url="/openapi.json",
)


class BadRequest(Exception):
    pass


@api.exception_handler(BadRequest)
def bad_request(request, exc):
    return api.create_response(request, {"error": str(exc)}, status=400)


@api.exception_handler(ValidationError)
def invalid_parameters(request, exc):
    detail = [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", ""))}
        for error in exc.errors
    ]
    return api.create_response(
        request, {"error": "Invalid query parameters.", "detail": detail}, status=400
    )


def _cors_view(run):
    def wrapper(request, *args, **kwargs):
        response = run(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapper


# The query parameters each endpoint reads: the page cache keys its answers by these
# alone (any other parameter shares the entry), and `next` carries only these.
PAGE_PARAMS = ("cursor", "limit")
ARTICLE_PARAMS = ("section", "tag", "author", "series", "updated_since", *PAGE_PARAMS)
PARAMS = {
    "article_list": ARTICLE_PARAMS,
    "author_list": PAGE_PARAMS,
    "tag_list": PAGE_PARAMS,
    "series_list": PAGE_PARAMS,
}
#: Endpoints that read no query parameter at all.
NO_PARAMS = ("article_detail", "section_list", "series_detail")


def cacheable(view):
    """A public, cacheable answer (newsroom.caching.public_page: ETag, 304, the page
    cache, dependency keys) that pages on any site may read (CORS: public content, no
    credentials)."""
    params = PARAMS.get(view.__name__, ())
    return decorate_view(public_page(params=params), _cors_view)(view)


def urls():
    """`api.urls`, with each endpoint's parameters where the page cache looks for them
    (it resolves the address to ninja's view, not to the operation)."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if pattern.name in PARAMS or pattern.name in NO_PARAMS:
            pattern.callback.page_params = PARAMS.get(pattern.name, ())
    return patterns, app_name, namespace


# -- Cursors ---------------------------------------------------------------------------


def encode_cursor(values):
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor, keys):
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        values = None
    if not isinstance(values, dict) or set(values) != set(keys):
        raise BadRequest(BAD_CURSOR)
    return values


def next_url(request, cursor, params):
    """The same list from `cursor` on, with only the parameters the endpoint reads (a
    kept answer never passes on another reader's stray parameters)."""
    query = QueryDict(mutable=True)
    for name in params:
        if request.GET.get(name):
            query[name] = request.GET[name]
    query["cursor"] = cursor
    return request.build_absolute_uri(request.path + "?" + query.urlencode())


# -- Shapes ----------------------------------------------------------------------------


def section_ref(section):
    if section is None:
        return None
    return {
        "id": section.pk,
        "name": section.name,
        "slug": section.slug,
        "url": absolute(section.get_absolute_url()),
    }


def author_ref(author):
    return {
        "id": author.pk,
        "name": author.name,
        "slug": author.slug,
        "url": absolute(author.get_absolute_url()),
    }


def series_ref(series):
    if series is None:
        return None
    return {
        "id": series.pk,
        "title": series.title,
        "slug": series.slug,
        "url": absolute(series.get_absolute_url()),
    }


def image_out(image):
    if image is None or not image.file:
        return None
    renditions = sorted(
        (
            {
                "name": name,
                "url": absolute(entry["url"]),
                "width": entry["width"],
                "height": entry["height"],
            }
            for name, entry in (image.renditions or {}).items()
            if isinstance(entry, dict) and entry.get("url")
        ),
        key=lambda entry: (entry["name"][0] != "w", entry["width"], entry["name"]),
    )
    return {
        "url": absolute(image.file.url),
        "width": image.width,
        "height": image.height,
        "alt_text": image.alt_text,
        "caption": image.caption,
        "credit": image.credit,
        "renditions": renditions,
    }


def article_out(article):
    """An article as the API shows it; `body_html` is the stored, sanitised body that the
    article page itself shows."""
    return {
        "id": article.pk,
        "url": absolute(article.get_absolute_url()),
        "headline": article.headline,
        "standfirst": article.standfirst,
        "body_html": article.body,
        "published_at": article.published_at,
        "updated_at": article.updated_at,
        "section": section_ref(article.section),
        "authors": [author_ref(byline.author) for byline in article.bylines.all()],
        "tags": [{"name": tag.name, "slug": tag.slug} for tag in article.tags.all()],
        "lead_image": image_out(article.lead_image),
        "series": series_ref(article.series),
    }


def live_articles():
    return (
        Article.objects.live()
        .select_related("section", "lead_image", "series")
        .prefetch_related(
            Prefetch(
                "bylines",
                queryset=Byline.objects.select_related("author").order_by("position"),
            ),
            "tags",
        )
    )


def _one(model, slug, label):
    found = model.objects.filter(slug=slug).values_list("pk", flat=True).first()
    if found is None:
        raise BadRequest(f"Unknown {label} {slug!r}.")
    return found


def _aware(moment):
    if timezone.is_naive(moment):
        return timezone.make_aware(moment, timezone.get_current_timezone())
    return moment


# -- Endpoints -------------------------------------------------------------------------

LIST_ERRORS = {400: schemas.Error}


@api.get(
    "/articles/",
    response={200: schemas.ArticleList, **LIST_ERRORS},
    summary="Live articles, newest first",
    tags=["articles"],
)
@cacheable
def article_list(request, query: Query[schemas.ArticleQuery]):
    # Built once per address and kept as a fragment with the keys it named, as the
    # reader lists are: with the page cache off, a repeat costs one cache read and
    # serves the JSON kept, checked against the schema and with its ETag when built.
    parts = (
        request.build_absolute_uri(request.path),
        *((name, request.GET[name]) for name in ARTICLE_PARAMS if request.GET.get(name)),
    )
    return cached_response(
        request,
        "api-article-list",
        parts,
        schemas.ArticleList,
        lambda: _article_page(request, query),
    )


def cached_response(request, name, parts, schema, build):
    """The answer `build()` makes, as a response of its JSON: checked against `schema`
    and encoded as ninja would (a view that returns a response is passed through), and
    kept whole as a fragment, so a repeat neither checks nor encodes it again."""

    def render():
        data = schema.model_validate(build()).model_dump()
        content = api.renderer.render(request, data, response_status=200).encode()
        return content, etag_for(content)

    content, etag = cached_fragment(name, parts, render, request)
    response = HttpResponse(content, content_type=api.get_content_type())
    response["ETag"] = etag
    return response


def _article_page(request, query):
    articles = live_articles()
    # The answer ends when a story joins or leaves the lists it is filtered by.
    lists = []
    if query.section:
        section_id = _one(Section, query.section, "section")
        articles = articles.filter(section_id=section_id)
        lists.append(invalidation.section(section_id))
    if query.tag:
        tag_id = _one(Tag, query.tag, "tag")
        articles = articles.filter(tags__id=tag_id)
        lists.append(invalidation.tag(tag_id))
    if query.author:
        author_id = _one(Author, query.author, "author")
        articles = articles.filter(bylines__author_id=author_id)
        lists.append(invalidation.author(author_id))
    if query.series:
        series_id = _one(Series, query.series, "series")
        articles = articles.filter(series_id=series_id)
        lists.append(invalidation.series(series_id))
    if query.updated_since:
        articles = articles.filter(updated_at__gte=_aware(query.updated_since))
        # A story edited later joins it without moving in any list.
        depends_on(invalidation.CHANGED)
    depends_on(*(lists or [invalidation.FRONT]))
    if query.cursor:
        position = decode_cursor(query.cursor, ("published_at", "id"))
        try:
            when = datetime.fromisoformat(position["published_at"])
            last_id = int(position["id"])
        except (TypeError, ValueError) as exc:
            raise BadRequest(BAD_CURSOR) from exc
        articles = articles.filter(Q(published_at__lt=when) | Q(published_at=when, id__lt=last_id))
    rows = list(articles.order_by("-published_at", "-id")[: query.limit + 1])
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    # Each item is the whole story (body, bylines, tags), so its own key, not its card.
    depends_on(*(invalidation.article(article.pk) for article in rows))
    following = None
    if more:
        last = rows[-1]
        position = {"published_at": last.published_at.isoformat(), "id": last.pk}
        following = next_url(request, encode_cursor(position), ARTICLE_PARAMS)
    return {"results": [article_out(article) for article in rows], "next": following}


@api.get(
    "/articles/{article_id}/",
    response={200: schemas.ArticleDetail, 400: schemas.Error, 404: schemas.Error},
    summary="One live article",
    tags=["articles"],
)
@cacheable
def article_detail(request, article_id: int):
    depends_on(invalidation.article(article_id))
    article = (
        live_articles().prefetch_related("corrections").filter(pk=article_id).first()
        if 0 < article_id < 2**63
        else None
    )
    if article is None:
        return Status(404, {"error": "No live article has this id."})
    data = article_out(article)
    data["corrections"] = [
        {"kind": c.kind, "text": c.text, "created_at": c.created_at}
        for c in sorted(article.corrections.all(), key=lambda c: c.created_at)
    ]
    data["kind"] = article.kind
    data["live_updates"] = live_updates_out(article)
    return data


#: How many of a live article's latest updates its detail carries.
API_LIVE_UPDATES = 50


def live_updates_out(article):
    if article.kind != Article.Kind.LIVE:
        return []
    depends_on(invalidation.updates(article.pk))
    page = absolute(article.get_absolute_url())
    return [
        {
            "id": update.pk,
            "url": f"{page}#update-{update.pk}",
            "title": update.title,
            "body_html": update.body,
            "author": update.author.name if update.author_id else None,
            "pinned": update.pinned,
            "key_event": update.key_event,
            "published_at": update.published_at,
            "updated_at": update.updated_at,
        }
        for update in live.published(article.pk)[:API_LIVE_UPDATES]
    ]


def _id_page(request, queryset, page, shape, key):
    """A list of named things by id; it ends when a story is published or withdrawn
    (the front) and when one of the things shown changes."""
    limit = page.limit
    if page.cursor:
        position = decode_cursor(page.cursor, ("id",))
        if not isinstance(position["id"], int):
            raise BadRequest(BAD_CURSOR)
        queryset = queryset.filter(pk__gt=position["id"])
    rows = list(queryset.order_by("pk")[: limit + 1])
    following = None
    if len(rows) > limit:
        rows = rows[:limit]
        following = next_url(request, encode_cursor({"id": rows[-1].pk}), PAGE_PARAMS)
    depends_on(invalidation.FRONT, *(key(row.pk) for row in rows))
    return {"results": [shape(row) for row in rows], "next": following}


@api.get(
    "/sections/",
    response={200: schemas.SectionList, **LIST_ERRORS},
    summary="Every section",
    tags=["sections"],
)
@cacheable
def section_list(request):
    sections = [
        {
            "id": section.pk,
            "name": section.name,
            "slug": section.slug,
            "description": section.description,
            "position": section.position,
            "url": absolute(section.get_absolute_url()),
        }
        for section in Section.objects.all()
    ]
    return {"results": sections, "next": None}


def author_out(author):
    return {
        **author_ref(author),
        "job_title": author.job_title,
        "bio": author.bio,
        "photo": absolute(author.photo.url) if author.photo else None,
    }


@api.get(
    "/authors/",
    response={200: schemas.AuthorList, **LIST_ERRORS},
    summary="Authors with at least one live article",
    tags=["authors"],
)
@cacheable
def author_list(request, page: Query[schemas.PageQuery]):
    live_bylines = Byline.objects.filter(article__in=Article.objects.live())
    authors = Author.objects.filter(pk__in=live_bylines.values("author_id"))
    return _id_page(request, authors, page, author_out, invalidation.author)


def tag_out(tag):
    return {
        "id": tag.pk,
        "name": tag.name,
        "slug": tag.slug,
        "url": absolute(reverse("articles:tag", kwargs={"slug": tag.slug})),
    }


@api.get(
    "/tags/",
    response={200: schemas.TagList, **LIST_ERRORS},
    summary="Tags on at least one live article",
    tags=["tags"],
)
@cacheable
def tag_list(request, page: Query[schemas.PageQuery]):
    return _id_page(request, tags_in_use(), page, tag_out, invalidation.tag)


# -- Series ----------------------------------------------------------------------------


def live_series():
    """Series with at least one live part, each with how many it has."""
    parts = (
        Article.objects.live()
        .filter(series=OuterRef("pk"))
        .order_by()
        .values("series")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Series.objects.annotate(live_parts=Subquery(parts)).filter(live_parts__gt=0)


def series_out(series):
    return {**series_ref(series), "description": series.description, "parts": series.live_parts}


@api.get(
    "/series/",
    response={200: schemas.SeriesList, **LIST_ERRORS},
    summary="Series with at least one live article",
    tags=["series"],
)
@cacheable
def series_list(request, page: Query[schemas.PageQuery]):
    return _id_page(request, live_series(), page, series_out, invalidation.series)


@api.get(
    "/series/{series_id}/",
    response={200: schemas.SeriesDetail, 400: schemas.Error, 404: schemas.Error},
    summary="One series and its live parts in reading order",
    tags=["series"],
)
@cacheable
def series_detail(request, series_id: int):
    # A part joining or leaving ends the series' key, a part's new headline its card.
    depends_on(invalidation.series(series_id))
    series = live_series().filter(pk=series_id).first() if 0 < series_id < 2**63 else None
    if series is None:
        return Status(404, {"error": "No series with a live article has this id."})
    parts = (
        Article.objects.live()
        .filter(series_id=series.pk)
        .order_by(*SERIES_ORDER)
        .only("id", "headline", "standfirst", "slug", "published_at", "created_at")
    )
    depends_on(*(invalidation.card(part.pk) for part in parts))
    return {
        **series_out(series),
        "articles": [
            {
                "id": part.pk,
                "part": number,
                "url": absolute(part.get_absolute_url()),
                "headline": part.headline,
                "standfirst": part.standfirst,
                "published_at": part.published_at,
            }
            for number, part in enumerate(parts, start=1)
        ],
    }
