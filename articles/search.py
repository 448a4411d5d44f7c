"""Full-text search over live articles, behind one interface on every database.

PostgreSQL: two stored `tsvector` columns added by migration 0002 (not model
fields, so SQLite keeps a plain schema):

- `search_vector`: headline (weight A), standfirst (B) and body text (C), with a
  GIN index; it decides which articles match.
- `search_rank_vector`: headline and standfirst only; ranking reads this small
  vector, so a common word does not make PostgreSQL rank the body of every
  matching article in the archive.

Both are written by `reindex()` when an article is saved (a post_save signal) and
by `manage.py rebuild_search_index`; a search never computes a vector. Queries use
PostgreSQL's web-search syntax: "quoted phrases", -exclusions and `or`.

SQLite (development, the demo): the same syntax parsed here into `icontains`
filters, headline matches first; slower, but correct for a small site.
"""

import html
import re

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    F,
    FloatField,
    IntegerField,
    Q,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL

from .models import Article
from .richtext import plain_text

MARK_START = "\x02"
MARK_END = "\x03"
SNIPPET_WORDS = 40

# PostgreSQL text: body HTML with the tags replaced by spaces (HTML is sanitised,
# so a tag never contains a bare ">").
_BODY_TEXT = r"regexp_replace(coalesce(body, ''), '<[^>]+>', ' ', 'g')"


def search_config():
    return getattr(settings, "SEARCH_CONFIG", "english")


def _vector_sql(config):
    return (
        f"setweight(to_tsvector('{config}', coalesce(headline, '')), 'A') || "
        f"setweight(to_tsvector('{config}', coalesce(standfirst, '')), 'B') || "
        f"setweight(to_tsvector('{config}', {_BODY_TEXT}), 'C')"
    )


def _rank_vector_sql(config):
    return (
        f"setweight(to_tsvector('{config}', coalesce(headline, '')), 'A') || "
        f"setweight(to_tsvector('{config}', coalesce(standfirst, '')), 'B')"
    )


def _safe_config():
    config = search_config()
    if not re.fullmatch(r"[a-z_]+", config):
        raise ValueError(f"SEARCH_CONFIG must be a text search configuration name: {config!r}")
    return config


def reindex(article_ids=None):
    """Recompute the stored search data of the given articles (all when None).

    Called on every article save; importers and generators that bypass save()
    call it after their bulk inserts. Returns the number of rows updated.
    """
    if connection.vendor != "postgresql":
        return 0
    config = _safe_config()
    sql = (
        f"UPDATE articles_article SET search_vector = {_vector_sql(config)}, "  # noqa: S608
        f"search_rank_vector = {_rank_vector_sql(config)}"
    )
    params = []
    if article_ids is not None:
        ids = [int(pk) for pk in article_ids]
        if not ids:
            return 0
        sql += " WHERE id = ANY(%s)"
        params.append(ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def article_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        reindex([instance.pk])


class SearchQuery:
    """What the reader typed, parsed once: `terms` is empty when nothing searchable is left
    (an empty query, punctuation, or only common words)."""

    def __init__(self, text):
        self.text = " ".join((text or "").split())[:200]
        self.groups = parse(self.text)

    @property
    def is_empty(self):
        return not self.text

    @property
    def is_searchable(self):
        return any(group["include"] for group in self.groups)


STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with you your yours yourself yourselves""".split()  # noqa: SIM905
)

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w[\w'\u2019.-]*\w|\w", re.UNICODE)


def parse(text):
    """Web-search syntax into OR-groups of AND-ed terms, for the fallback and for knowing
    whether anything searchable is left: [{"include": [...], "exclude": [...]}, ...].
    Terms are words or phrases (tuples of words)."""
    groups = [{"include": [], "exclude": []}]
    for match in _TOKEN.finditer(text):
        negated, phrase, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None:
            if bare.lower() == "or":
                if groups[-1]["include"] or groups[-1]["exclude"]:
                    groups.append({"include": [], "exclude": []})
                continue
            negated = bare.startswith("-")
            words = _WORD.findall(bare)
        else:
            words = _WORD.findall(phrase)
        words = [w.lower() for w in words]
        meaningful = [w for w in words if w not in STOP_WORDS]
        if not meaningful:
            continue
        term = meaningful[0] if len(words) == 1 else tuple(words)
        groups[-1]["exclude" if negated else "include"].append(term)
    return [g for g in groups if g["include"]]


def search(query):
    """Live articles matching `query` (a string or SearchQuery), best first, each with
    `rank` and `snippet` (text with MARK_START/MARK_END around the matches; see
    `highlight()`)."""
    if not isinstance(query, SearchQuery):
        query = SearchQuery(query)
    if not query.is_searchable:
        return Article.objects.none()
    if connection.vendor == "postgresql":
        return _search_postgres(query)
    return _search_fallback(query)


def _raw(sql, params, output_field):
    # The SQL text holds only constants and the validated configuration name; what the
    # reader typed always travels as a parameter.
    return RawSQL(sql, params, output_field=output_field)  # noqa: S611


def _search_postgres(query):
    config = _safe_config()
    tsquery = f"websearch_to_tsquery('{config}', %s)"
    options = (
        f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={SNIPPET_WORDS}, MinWords=15, "
        "MaxFragments=2, FragmentDelimiter=' … '"
    )
    snippet_sql = (
        f"ts_headline('{config}', coalesce(standfirst, '') || ' ' || {_BODY_TEXT}, {tsquery}, %s)"
    )
    # Rank only the newest SEARCH_CANDIDATES matches: a common word matches a large part
    # of the archive, and a news search favours recent stories anyway. PostgreSQL finds
    # them through the GIN index (rare words) or by walking the date index (common ones).
    candidates = (
        Article.objects.live()
        .filter(_raw(f"search_vector @@ {tsquery}", [query.text], BooleanField()))
        .order_by("-published_at", "-id")
        .values("pk")[: settings.SEARCH_CANDIDATES]
    )
    return (
        Article.objects.live()
        .filter(pk__in=candidates)
        .annotate(
            rank=_raw(f"ts_rank(search_rank_vector, {tsquery})", [query.text], FloatField()),
            snippet=_raw(snippet_sql, [query.text, options], TextField()),
        )
        .order_by("-rank", "-published_at", "-id")
    )


def _term_q(term):
    text = " ".join(term) if isinstance(term, tuple) else term
    return Q(headline__icontains=text) | Q(standfirst__icontains=text) | Q(body__icontains=text)


def _search_fallback(query):
    matches = Q()
    headline_hit = Q()
    for group in query.groups:
        group_q = Q()
        for term in group["include"]:
            group_q &= _term_q(term)
            text = " ".join(term) if isinstance(term, tuple) else term
            headline_hit |= Q(headline__icontains=text)
        for term in group["exclude"]:
            group_q &= ~_term_q(term)
        matches |= group_q
    return (
        Article.objects.live()
        .filter(matches)
        .annotate(
            rank=Case(
                When(headline_hit, then=Value(1)), default=Value(0), output_field=IntegerField()
            )
        )
        .order_by(F("rank").desc(), "-published_at", "-id")
    )


def snippet_for(article, query):
    """The fallback's snippet: a window of the standfirst and body around the first match,
    with every matched word marked."""
    text = html.unescape(plain_text(f"{article.standfirst} {article.body}"))
    words = [
        w for g in query.groups for t in g["include"] for w in (t if isinstance(t, tuple) else [t])
    ]
    if not words:
        return text[:300]
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.I)
    first = pattern.search(text)
    start = max(0, (first.start() if first else 0) - 120)
    if start:
        start = text.find(" ", start) + 1
    window = text[start : start + 300]
    end_cut = window.rfind(" ") if len(text) > start + 300 else len(window)
    window = window[: end_cut if end_cut > 0 else len(window)]
    marked = pattern.sub(lambda m: f"{MARK_START}{m.group(0)}{MARK_END}", window)
    return ("… " if start else "") + marked + (" …" if start + len(window) < len(text) else "")


def highlight(snippet):
    """Snippet text → safe HTML: everything escaped, then the markers become <mark>."""
    from django.utils.safestring import mark_safe

    escaped = html.escape(html.unescape(snippet or ""), quote=False)
    # Markers are control characters that html.escape leaves alone and readers cannot type
    # into an article; only they become markup.
    return mark_safe(escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))
