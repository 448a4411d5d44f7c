"""The desk's article list fits a 1280 px screen: the Published and Updated columns are
on the screen, not behind a horizontal scroll."""

import datetime

from django.utils import timezone

from tests.e2e.conftest import login
from tests.factories import ArticleFactory, AuthorFactory, UserFactory


def test_the_change_list_fits_1280_pixels_with_published_and_updated(page, roles):
    UserFactory(username="editor", groups=["Editor"])
    authors = [AuthorFactory(name="Anastasia Kowalczyk-Villanueva"), AuthorFactory()]
    for n in range(5):
        ArticleFactory(
            headline=f"Council approves the long-delayed harbour wall rebuilding budget {n}",
            authors=authors,
            published_at=timezone.now() - datetime.timedelta(days=400 + n),
        )
    ArticleFactory(scheduled=True, headline="Embargoed report", authors=authors)
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, "editor")
    page.goto("/admin/articles/article/")
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # Nor does the table scroll inside its own box.
    results = page.locator("#changelist .results")
    assert results.evaluate("el => el.scrollWidth <= el.clientWidth")
    for column in ("column-published", "column-updated"):
        box = page.locator(f"th.{column}").bounding_box()
        assert box is not None and box["x"] + box["width"] <= width, (column, box, width)
