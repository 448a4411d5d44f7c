"""A reader in Chromium: home → section → article → tag → search, on a phone and a
desktop, with axe-core checking every page type against WCAG 2.2 AA.

Uses the shared `browser`, `page` and `artifacts` fixtures of tests/e2e/conftest.py.
axe-core comes from npm (package.json at the repository root; `npm ci`).
"""

import datetime
import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CommentFactory,
    CorrectionFactory,
    ImageFactory,
    SectionFactory,
    png_bytes,
)

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def newspaper(transactional_db, settings):
    settings.PAGE_CACHE_SECONDS = 0
    now = timezone.now()
    news = SectionFactory(name="News", slug="news", position=0, description="What happened today.")
    sport = SectionFactory(name="Sport", slug="sport", position=1)
    ada = AuthorFactory(
        name="Ada Reed", slug="ada-reed", job_title="City editor", bio="Ada covers the council."
    )
    ben = AuthorFactory(name="Ben Cole", slug="ben-cole", job_title="Sports writer")
    picture = ImageFactory(
        file=ContentFile(png_bytes(1280, 720, (40, 90, 140)), name="harbour.png"),
        alt_text="Boats in the harbour at dawn",
        caption="The harbour this morning",
        credit="Jo Lens",
    )
    lead = ArticleFactory(
        headline="Harbour wall repaired before winter storms",
        slug="harbour-wall",
        standfirst="Engineers finished the work a week early, the council said.",
        body=(
            "<p>The repaired wall was opened on Monday.</p><h2>What changed</h2>"
            "<p>New stone and a higher parapet.</p><blockquote><p>It will hold.</p></blockquote>"
        ),
        section=news,
        authors=[ada, ben],
        tags=["harbour", "storms"],
        lead_image=picture,
        featured=True,
        published_at=now - datetime.timedelta(hours=2),
    )
    CorrectionFactory(article=lead, text="An earlier version gave the wrong length of the wall.")
    CommentFactory(article=lead, name="Jo", body="Good news for the boats.")
    for n in range(6):
        ArticleFactory(
            headline=f"{['Harbour', 'Match', 'Market'][n % 3]} story number {n}",
            slug=f"story-{n}",
            standfirst="A short summary of what happened.",
            section=[news, sport][n % 2],
            authors=[[ada, ben][n % 2]],
            tags=["harbour"] if n % 3 == 0 else ["local"],
            lead_image=picture if n < 3 else None,
            published_at=now - datetime.timedelta(hours=4 + n),
        )
    return {"lead": lead}


def check_accessibility(page, label):
    assert AXE.exists(), "run `npm ci` at the repository root to install axe-core"
    # evaluate() runs through the DevTools protocol, so the page's CSP does not apply.
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
    )
    assert result["passes"], "axe-core ran no checks"
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in result["violations"]
    ]
    assert not violations, f"{label}: {violations}"


def shoot(page, artifacts, name):
    page.screenshot(path=str(artifacts / f"reader-{name}.png"), full_page=True)


def test_reader_walks_from_home_to_search_with_no_accessibility_violations(
    page, newspaper, artifacts
):
    page.set_viewport_size(DESKTOP)
    page.goto("/")
    assert page.locator("h1").count() == 1
    assert page.title().startswith("The Newsroom Chronicle")
    check_accessibility(page, "home")
    shoot(page, artifacts, "home-desktop")

    page.get_by_role("navigation", name="Sections").get_by_role("link", name="News").click()
    page.wait_for_url("**/section/news/")
    assert page.locator("h1").inner_text() == "News"
    check_accessibility(page, "section")
    shoot(page, artifacts, "section-desktop")

    page.get_by_role("link", name="Harbour wall repaired before winter storms").first.click()
    page.wait_for_url("**/harbour-wall/")
    assert page.locator("h1").inner_text() == "Harbour wall repaired before winter storms"
    assert page.locator("figure img").get_attribute("alt") == "Boats in the harbour at dawn"
    assert page.get_by_text("An earlier version gave the wrong length").is_visible()
    check_accessibility(page, "article")
    shoot(page, artifacts, "article-desktop")

    page.get_by_role("link", name="Ada Reed").first.click()
    page.wait_for_url("**/author/ada-reed/")
    assert page.locator("h1").inner_text() == "Ada Reed"
    check_accessibility(page, "author")
    page.go_back()

    page.get_by_role("navigation", name="Topics").get_by_role("link", name="storms").click()
    page.wait_for_url("**/tag/storms/")
    assert page.locator("h1").inner_text() == "storms"
    check_accessibility(page, "tag")

    page.get_by_role("searchbox", name="Search The Newsroom Chronicle").fill('"harbour wall"')
    page.get_by_role("searchbox", name="Search The Newsroom Chronicle").press("Enter")
    page.wait_for_url("**/search/?q=*")
    assert page.locator("mark").first.inner_text().lower() in {"harbour", "wall", "harbour wall"}
    assert page.get_by_role("link", name="Harbour wall repaired before winter storms").is_visible()
    check_accessibility(page, "search")
    shoot(page, artifacts, "search-desktop")

    page.goto("/corrections/")
    check_accessibility(page, "corrections")
    page.goto("/no/such/page/")
    check_accessibility(page, "404")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_on_a_phone_fit_the_screen_and_pass_axe(
    browser, live_server, newspaper, artifacts, scheme
):
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, color_scheme=scheme, is_mobile=True
    )
    page = context.new_page()
    try:
        for name, path in [
            ("home", "/"),
            ("article", newspaper["lead"].get_absolute_url()),
            ("section", "/section/news/"),
            ("search", "/search/?q=harbour"),
        ]:
            page.goto(path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px on a phone"
            check_accessibility(page, f"{name} ({scheme}, phone)")
            shoot(page, artifacts, f"{name}-phone-{scheme}")
    finally:
        context.close()


def test_keyboard_user_reaches_the_content_with_the_skip_link(page, newspaper):
    page.goto(newspaper["lead"].get_absolute_url())
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    outline = skip.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"^[^#]*#main$"))  # location.hash == "#main"


def test_site_works_without_javascript(browser, live_server, newspaper):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/")
        page.get_by_role("searchbox", name="Search The Newsroom Chronicle").fill("storms")
        page.get_by_role("button", name="Search").first.click()
        page.wait_for_url("**/search/?q=storms")
        page.get_by_role("link", name="Harbour wall repaired before winter storms").click()
        expect(page.locator("h1")).to_have_text(
            "Harbour wall repaired before winter storms", use_inner_text=True
        )
    finally:
        context.close()
