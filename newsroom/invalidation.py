"""What each change ends: the one place that turns model changes into cache keys.

The vocabulary, shared by the page cache, the fragment cache and the CDN (it is the
`Surrogate-Key` header a CDN purges by):

    article-<id>            an article's own page: its story, head and corrections
    article-<id>-card       the article as lists show it (any list, related stories)
    article-<id>-comments   its comment thread
    article-<id>-updates    a live article's updates: on its page and the updates
                            endpoint readers' pages poll (articles:live_updates)
    section-<id>            the section's list of stories (its page and feeds)
    tag-<id>                the tag's list (page and feeds)
    author-<id>             the author's page and list (page and feeds)
    series-<id>             the series' list (page and feeds) and every part's navigation
    front                   the lists across the site: home, latest feeds, search,
                            sitemaps, corrections
    all                     every page (the section menu and the breaking news
                            banner are on every page)
    changed                 lists of what changed since a time (the content API's
                            `updated_since`): ended by every change to a public article

Pages say what they show with `newsroom.caching.depends_on()` and the functions below
(a list names its own key and a card key per story it shows). Models announce their
changes with Django's signals; the receivers below decide which keys a change ends and
end them everywhere at once with `end()`. A change nobody can see (a draft edited)
ends nothing; a change by the clock (a scheduled story going live) is the caches' own
business (`newsroom.caching.next_clock_change`).
"""

import contextlib
import contextvars

from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from taggit.models import Tag

from articles.models import (
    Article,
    Author,
    Breaking,
    Byline,
    Correction,
    Embed,
    Image,
    LiveUpdate,
    RelatedLink,
    Section,
    Series,
    TaggedArticle,
)
from articles.signals import derived_data_changed
from comments.models import Comment
from comments.signals import comment_moderated

from . import caching, cdn

FRONT = "front"
CHANGED = "changed"
ALL = caching.ALL
# A rename that reaches more stories than this ends everything instead of each one.
MANY_STORIES = 500


def article(pk):
    return f"article-{pk}"


def card(pk):
    return f"article-{pk}-card"


def comments(pk):
    return f"article-{pk}-comments"


def updates(pk):
    return f"article-{pk}-updates"


def section(pk):
    return f"section-{pk}"


def tag(pk):
    return f"tag-{pk}"


def author(pk):
    return f"author-{pk}"


def series(pk):
    return f"series-{pk}"


def cards(articles):
    return [card(item.pk) for item in articles]


# Ending keys ----------------------------------------------------------------------

_batch = contextvars.ContextVar("newsroom_invalidation_batch", default=None)


def end(keys):
    """End every kept page and fragment that shows one of `keys`, and purge them at
    the CDN once the transaction commits."""
    keys = set(keys)
    if not keys:
        return
    batch = _batch.get()
    if batch is not None:
        batch.update(keys)
        return
    caching.changed(keys)
    cdn.purge_after_commit(sorted(keys - {caching.CLOCK}))


@contextlib.contextmanager
def batch(limit=1000):
    """Gather the changes made inside (an import) and end them once at the end; more
    than `limit` keys end everything."""
    keys = set()
    token = _batch.set(keys)
    try:
        yield keys
    finally:
        _batch.reset(token)
        end({ALL, caching.CLOCK} if len(keys) > limit else keys)


def _stories(queryset, *key_functions):
    """Keys for the live and scheduled stories of `queryset`, or ALL when too many."""
    ids = list(
        queryset.filter(status=Article.Status.PUBLISHED).values_list("pk", flat=True)[
            : MANY_STORIES + 1
        ]
    )
    if len(ids) > MANY_STORIES:
        return {ALL}
    return {make(pk) for pk in ids for make in key_functions}


# Articles -------------------------------------------------------------------------

# What lists select and order by: a change moves the story in or out of lists.
LISTED_FIELDS = (
    "status",
    "published_at",
    "expires_at",
    "section_id",
    "slug",
    "featured",
    "series_id",
    "series_position",
)
# What a card shows besides.
CARD_FIELDS = (*LISTED_FIELDS, "headline", "standfirst", "lead_image_id")
CLOCK_FIELDS = ("status", "published_at", "expires_at")


def _public(state):
    """Readers see it, or will by the clock (scheduled)."""
    return state is not None and state["status"] == Article.Status.PUBLISHED


def _state(instance):
    return {field: getattr(instance, field) for field in CARD_FIELDS}


def listing_keys(story):
    """The lists a story is in: the front, its section, its series, its tags and its
    authors."""
    keys = {FRONT}
    if story.section_id:
        keys.add(section(story.section_id))
    if story.series_id:
        keys.add(series(story.series_id))
    keys.update(
        tag(pk)
        for pk in TaggedArticle.objects.filter(content_object=story).values_list(
            "tag_id", flat=True
        )
    )
    keys.update(
        author(pk)
        for pk in Byline.objects.filter(article=story).values_list("author_id", flat=True)
    )
    return keys


def article_before_save(sender, instance, raw=False, **kwargs):
    instance._before_save = (
        None
        if instance._state.adding or raw
        else Article.objects.filter(pk=instance.pk).values(*CARD_FIELDS).first()
    )


def article_saved(sender, instance, created=False, raw=False, **kwargs):
    before = getattr(instance, "_before_save", None)
    after = _state(instance)
    if raw or not (_public(before) or _public(after)):
        return
    differs = (
        (lambda fields: True)
        if before is None
        else (lambda fields: any(before[field] != after[field] for field in fields))
    )
    keys = {article(instance.pk), CHANGED}
    if differs(CARD_FIELDS):
        keys.add(card(instance.pk))
    if differs(LISTED_FIELDS):
        keys |= listing_keys(instance)
        if (
            before is not None
            and before["section_id"]
            and before["section_id"] != instance.section_id
        ):
            keys.add(section(before["section_id"]))
        if before is not None and before["series_id"] and before["series_id"] != instance.series_id:
            keys.add(series(before["series_id"]))
    if differs(CLOCK_FIELDS):
        keys.add(caching.CLOCK)
    end(keys)


def article_deleted(sender, instance, **kwargs):
    if instance.status == Article.Status.PUBLISHED:
        end({article(instance.pk), card(instance.pk), caching.CLOCK, *listing_keys(instance)})


def _article_is_public(article_id):
    return Article.objects.filter(pk=article_id, status=Article.Status.PUBLISHED).exists()


def byline_changed(sender, instance, raw=False, **kwargs):
    if not raw and _article_is_public(instance.article_id):
        end({article(instance.article_id), card(instance.article_id), author(instance.author_id)})


def tagging_changed(sender, instance, raw=False, **kwargs):
    if not raw and _article_is_public(instance.content_object_id):
        end({article(instance.content_object_id), tag(instance.tag_id)})


def correction_changed(sender, instance, raw=False, **kwargs):
    if not raw and _article_is_public(instance.article_id):
        end({article(instance.article_id), FRONT})


def derived_changed(sender, article_id, **kwargs):
    """Its related stories or structured data were made again (after the save that
    ended its page: the page rendered in between showed the old ones)."""
    end({article(article_id)})


# What articles show ---------------------------------------------------------------


def section_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        end({ALL})  # the section menu is on every page


def author_changed(sender, instance, created=False, raw=False, **kwargs):
    if created or raw:
        return  # on no page until a byline names them
    bylined = Article.objects.filter(bylines__author=instance)
    posted = Article.objects.filter(live_updates__author=instance).distinct()
    end({author(instance.pk), *_stories(bylined, article, card), *_stories(posted, updates)})


def tag_changed(sender, instance, created=False, raw=False, **kwargs):
    if created or raw:
        return
    tagged = Article.objects.filter(taggedarticle__tag=instance)
    end({tag(instance.pk), *_stories(tagged, article)})


def image_changed(sender, instance, created=False, raw=False, **kwargs):
    if created or raw:
        return
    in_updates = LiveUpdate.objects.showing_image(instance.pk).values("article_id")
    end(
        _stories(Article.objects.filter(lead_image=instance), article, card)
        | _stories(Article.objects.filter(body_images=instance), article)
        | _stories(Article.objects.filter(pk__in=in_updates), article, updates)
    )


def series_changed(sender, instance, created=False, raw=False, **kwargs):
    if created or raw:
        return  # on no page until a story joins it
    end({series(instance.pk), *_stories(Article.objects.filter(series=instance), article)})


def related_link_changed(sender, instance, raw=False, **kwargs):
    if not raw and _article_is_public(instance.article_id):
        end({article(instance.article_id)})


def embed_changed(sender, instance, created=False, raw=False, **kwargs):
    if created or raw:
        return  # no body shows it before the body that uses it is saved
    in_updates = LiveUpdate.objects.showing_embed(instance.url).values("article_id")
    end(
        _stories(Article.objects.filter(body_embeds=instance), article)
        | _stories(Article.objects.filter(pk__in=in_updates), article, updates)
    )


# Live coverage --------------------------------------------------------------------


def live_update_before_save(sender, instance, raw=False, **kwargs):
    instance._status_before_save = (
        None
        if instance._state.adding or raw
        else LiveUpdate.objects.filter(pk=instance.pk).values_list("status", flat=True).first()
    )


def live_update_saved(sender, instance, raw=False, **kwargs):
    """Published, changed while published, or withdrawn: that story's updates end (its
    page and the fragment readers poll), nothing else. A draft is on no page."""
    if raw:
        return
    published = LiveUpdate.Status.PUBLISHED
    before = getattr(instance, "_status_before_save", None)
    if published in (before, instance.status) and _article_is_public(instance.article_id):
        end({updates(instance.article_id)})


def live_update_deleted(sender, instance, **kwargs):
    if instance.status == LiveUpdate.Status.PUBLISHED and _article_is_public(instance.article_id):
        end({updates(instance.article_id)})


def breaking_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        end({ALL, caching.CLOCK})  # on every page; it starts and ends by the clock


# Comments -------------------------------------------------------------------------


def comment_saved(sender, instance, created=False, raw=False, **kwargs):
    if raw or (created and instance.status != Comment.Status.APPROVED):
        return  # a comment waiting for a moderator is on no page
    end({comments(instance.article_id)})


def comment_status_changed(sender, comment, from_status, to_status, **kwargs):
    if Comment.Status.APPROVED in (from_status, to_status):
        end({comments(comment.article_id)})


def connect():
    """Called once from NewsroomConfig.ready()."""
    caching.register_clock(lambda: Article.objects.next_visibility_change())
    caching.register_clock(lambda: Breaking.objects.next_change())
    receivers = [
        (pre_save, Article, article_before_save),
        (post_save, Article, article_saved),
        (pre_delete, Article, article_deleted),
        (post_save, Byline, byline_changed),
        (post_delete, Byline, byline_changed),
        (post_save, TaggedArticle, tagging_changed),
        (post_delete, TaggedArticle, tagging_changed),
        (post_save, Correction, correction_changed),
        (derived_data_changed, Article, derived_changed),
        (post_delete, Correction, correction_changed),
        (post_save, Section, section_changed),
        (post_delete, Section, section_changed),
        (post_save, Author, author_changed),
        (pre_delete, Author, author_changed),
        (post_save, Tag, tag_changed),
        (pre_delete, Tag, tag_changed),
        (post_save, Image, image_changed),
        (pre_delete, Image, image_changed),
        (post_save, Series, series_changed),
        (pre_delete, Series, series_changed),
        (post_save, RelatedLink, related_link_changed),
        (post_delete, RelatedLink, related_link_changed),
        (post_save, Embed, embed_changed),
        (pre_save, LiveUpdate, live_update_before_save),
        (post_save, LiveUpdate, live_update_saved),
        (post_delete, LiveUpdate, live_update_deleted),
        (post_save, Breaking, breaking_changed),
        (post_delete, Breaking, breaking_changed),
        (post_save, Comment, comment_saved),
        (comment_moderated, Comment, comment_status_changed),
    ]
    for signal, sender, receiver in receivers:
        signal.connect(
            receiver, sender=sender, dispatch_uid=f"invalidation-{receiver.__name__}-{signal}"
        )
