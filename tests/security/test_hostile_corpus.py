"""The hostile-input corpus (tests/security/xss_corpus.py, from the OWASP, PortSwigger
and HTML5 Security cheat sheets) in every field a person can type into beyond the
comment form (tests/comments/test_xss.py): every text field of the desk's models,
shown on every public page and feed that shows it; the search box; and every admin
form, whose error pages echo what was typed and whose lists and change pages show
what was saved. Nothing comes out as markup that could run."""

import math

import pytest
from defusedxml import ElementTree
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Author, Breaking, Correction, Section, Series
from tests.factories import ArticleFactory, ImageFactory
from tests.security.test_hostile_input import _Fields
from tests.security.xss_corpus import check, payloads

# The sweeps take minutes; escaping does not depend on the database: the SQLite pass runs them.
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CORPUS = payloads()
#: An admin form gets at most this many posts; longer lists share a field (joined).
ADMIN_POSTS = 6


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 150


def typed_fields(model):
    """The fields a person types into: text, not a choice, a slug, an address or derived."""
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField))
        and not isinstance(field, (models.SlugField, models.URLField, models.EmailField))
        and field.editable
        and not field.choices
    ]


def filled(model, payload):
    return {
        field.name: payload[: field.max_length] if field.max_length else payload
        for field in typed_fields(model)
    }


#: Payloads per section, author and series (each of those pages shows its group's).
GROUP = 8


@pytest.fixture
def hostile_site(settings):
    """One story per payload, the payload in every field of the story, its tag and its
    correction; a section, author and series per GROUP payloads, with the group's
    payloads in every field (one a line)."""
    settings.PAGE_CACHE_SECONDS = 0
    settings.FEED_ITEMS = len(CORPUS) + 10
    image = ImageFactory(**filled(ImageFactory._meta.model, "\n".join(CORPUS[:3])))
    stories = []
    for first in range(0, len(CORPUS), GROUP):
        group = "\n".join(CORPUS[first : first + GROUP])
        section = Section.objects.create(slug=f"s{first}", **filled(Section, f"{first}{group}"))
        author = Author.objects.create(slug=f"a{first}", **filled(Author, group))
        series = Series.objects.create(slug=f"r{first}", **filled(Series, group))
        for number, payload in enumerate(CORPUS[first : first + GROUP], start=first):
            article = ArticleFactory(
                slug=f"p{number}",
                section=section,
                authors=[author],
                series=series,
                tags=[payload[:90]],
                lead_image=image,
                **filled(Article, payload),
            )
            Correction.objects.create(article=article, text=payload)
            stories.append(article)
    Breaking.objects.create(
        text=CORPUS[0][:200], article=stories[0], ends_at=timezone.now() + timezone.timedelta(1)
    )
    return stories


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_public_pages_show_no_executable_markup_from_any_field(client, hostile_site):
    for article in hostile_site:
        check(page(client, article.get_absolute_url()))
    for article in hostile_site[::GROUP]:
        check(page(client, article.section.get_absolute_url()))
        check(page(client, article.byline_authors[0].get_absolute_url()))
        check(page(client, article.series.get_absolute_url()))
        for tag in article.tags.all():
            check(page(client, reverse("articles:tag", kwargs={"slug": tag.slug})))
    check(page(client, reverse("articles:home")))
    check(page(client, reverse("articles:corrections")))


def test_feeds_carry_no_executable_markup_from_any_field(client, hostile_site):
    article = hostile_site[0]
    feeds = [
        reverse("articles:feed_latest"),
        reverse("articles:feed_latest_atom"),
        reverse("articles:feed_corrections"),
        reverse("articles:feed_corrections_atom"),
        reverse("articles:feed_section", kwargs={"slug": article.section.slug}),
        reverse("articles:feed_series_atom", kwargs={"slug": article.series.slug}),
    ]
    for url in feeds:
        xml = page(client, url)
        check(xml)
        # An item's description (RSS) or summary (Atom) is HTML to a feed reader: what
        # the XML holds there is what the reader renders.
        shown = [
            element.text or ""
            for element in ElementTree.fromstring(xml).iter()
            if element.tag.rpartition("}")[2] in ("description", "summary", "content")
        ]
        assert len(shown) >= GROUP, url
        for markup in shown:
            check(markup)


def test_the_search_box_echoes_no_executable_markup(client, hostile_site):
    for payload in CORPUS:
        response = client.get(reverse("articles:search"), {"q": payload})
        # Control characters (a tab, a newline) in a search are a clear 400.
        assert response.status_code in (200, 400), (payload, response.status_code)
        check(response.content.decode())


def admin_forms():
    for model in admin.site._registry:
        if model._meta.app_label in {"articles", "comments", "taggit", "auth", "newsroom"}:
            yield model


def test_admin_forms_lists_and_change_pages_show_no_executable_markup(admin_client):
    """Every payload goes into every admin form (each field a different one, several
    joined where a form has few fields); the answer, the list and each saved object's
    change page are checked."""
    checked = 0
    for model in admin_forms():
        info = (model._meta.app_label, model._meta.model_name)
        add = reverse("admin:{}_{}_add".format(*info))
        form = admin_client.get(add)
        if form.status_code != 200:
            continue
        fields = _Fields()
        fields.feed(form.content.decode())
        names = sorted(fields.text)
        if not names:
            continue
        per_field = math.ceil(len(CORPUS) / (len(names) * ADMIN_POSTS))
        for post in range(ADMIN_POSTS):
            values = {}
            for position, name in enumerate(names):
                start = ((post * len(names) + position) * per_field) % len(CORPUS)
                values[name] = "\n".join(CORPUS[start : start + per_field])
            response = admin_client.post(add, {**fields.other, **values})
            assert response.status_code in (200, 302), (info, response.status_code)
            if response.status_code == 200:
                check(response.content.decode())
            checked += 1
        check(page(admin_client, reverse("admin:{}_{}_changelist".format(*info))))
        for pk in model._default_manager.values_list("pk", flat=True)[:ADMIN_POSTS]:
            check(page(admin_client, reverse("admin:{}_{}_change".format(*info), args=[pk])))
    assert checked >= 10 * ADMIN_POSTS


def test_report_details_show_no_executable_markup_to_moderators(client, admin_client, settings):
    """A reader's report: its details reach the moderators' queue and the report list."""
    settings.COMMENTS_RATE_LIMIT_HOURLY = 0
    from comments.models import CommentFlag
    from tests.factories import CommentFactory

    article = ArticleFactory()
    comments = [CommentFactory(article=article) for _ in range(len(CORPUS) // 2 + 1)]
    for number, payload in enumerate(CORPUS):
        comment = comments[number // 2]
        response = client.post(
            reverse("comments:flag", args=[comment.pk]),
            {"reason": "Other", "details": payload[:250]},
            REMOTE_ADDR=f"10.9.{number // 250}.{number % 250}",
        )
        assert response.status_code in (200, 400), (payload, response.status_code)
        check(response.content.decode())
    assert CommentFlag.objects.count() >= len(CORPUS) - 5
    for page_number in range(1, CommentFlag.objects.count() // 100 + 2):
        check(page(admin_client, reverse("admin:comments_commentflag_changelist"), p=page_number))
    queue = reverse("admin:comments_comment_changelist")
    for page_number in range(1, len(comments) // 50 + 2):
        check(page(admin_client, queue, status="all", p=page_number))
    for comment in comments[:: max(1, len(comments) // 10)]:
        check(page(admin_client, reverse("admin:comments_comment_change", args=[comment.pk])))
