"""Reading a page does no work that could have been done once, when saving (issue 7,
item 5): no HTML sanitising, no comment rendering, no image decoding or resizing.

The real functions run; each is wrapped to count its calls while the pages are read.
(Query counts at two data sizes, zero queries on a page-cache hit and the GIN search
plan are guarded in tests/articles/test_query_counts.py, test_caching.py, test_search.py.)
"""

import functools

import nh3
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image as PILImage

import articles.images
import articles.models.article
import articles.richtext
import comments.models
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CommentFactory,
    CorrectionFactory,
    ImageFactory,
    png_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    image = ImageFactory(file=ContentFile(png_bytes(900, 600), name="lead.png"))
    author = AuthorFactory(slug="ada")
    article = ArticleFactory(
        lead_image=image,
        authors=[author],
        tags=["floods"],
        body='<p>Read <a href="https://example.org">the report</a>.</p><h2>Next</h2><p>More.</p>',
    )
    CorrectionFactory(article=article)
    for n in range(3):
        CommentFactory(article=article, body=f"Comment {n}\n\nSee https://example.org/{n}")
    ArticleFactory.create_batch(3, section=article.section, lead_image=image)
    return article


@pytest.fixture
def calls(monkeypatch):
    counted = {}

    def spy(owner, name):
        real = getattr(owner, name)
        label = f"{getattr(owner, '__name__', owner)}.{name}"
        counted[label] = 0

        @functools.wraps(real)
        def wrapper(*args, **kwargs):
            counted[label] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, wrapper)

    spy(nh3, "clean")
    spy(articles.richtext, "_cleaner")
    spy(articles.richtext, "sanitize_body")
    spy(articles.models.article, "sanitize_body")
    spy(comments.models, "render_comment")
    spy(articles.images, "make_renditions")
    spy(PILImage, "open")
    spy(PILImage.Image, "save")
    spy(PILImage.Image, "resize")
    return counted


def public_paths(article):
    section, tag = article.section.slug, "floods"
    return [
        reverse("articles:home"),
        article.get_absolute_url(),
        reverse("articles:section", kwargs={"slug": section}),
        reverse("articles:tag", kwargs={"slug": tag}),
        reverse("articles:author", kwargs={"slug": "ada"}),
        reverse("articles:search") + "?q=budget",
        reverse("articles:corrections"),
        reverse("articles:feed_latest"),
        reverse("articles:feed_section", kwargs={"slug": section}),
        "/sitemap.xml",
        "/news-sitemap.xml",
        reverse("comments:form", args=[article.pk]),
    ]


@pytest.mark.parametrize("cache_seconds", [0, 300], ids=["page-cache-off", "page-cache-on"])
def test_reading_pages_never_sanitises_renders_or_processes_images(
    client, settings, site, calls, cache_seconds
):
    settings.PAGE_CACHE_SECONDS = cache_seconds
    for path in public_paths(site):
        response = client.get(path)
        assert response.status_code == 200, path
    assert calls == dict.fromkeys(calls, 0)


def test_the_spies_do_see_the_work_when_something_is_saved(calls):
    """The guard above could pass by watching the wrong names; saving shows it does not."""
    article = ArticleFactory(
        lead_image=ImageFactory(file=ContentFile(png_bytes(900, 600), name="lead.png"))
    )
    CommentFactory(article=article)
    assert calls["articles.models.article.sanitize_body"] >= 1
    assert calls["comments.models.render_comment"] >= 1
    assert calls["articles.images.make_renditions"] >= 1
    assert calls["PIL.Image.open"] >= 1
