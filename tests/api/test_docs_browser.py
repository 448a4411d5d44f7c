"""The API's readable docs run in Chromium under the site's strict Content-Security-Policy,
from the site's own files, and show every endpoint."""

from pathlib import Path

import pytest

from tests.factories import ArticleFactory
from tests.security.test_csp_browser import LISTEN, violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_the_docs_page_renders_every_endpoint_under_the_policy(browser, live_server):
    ArticleFactory()
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 1000}
    )
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.problems = []
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: page.problems.append(f"JavaScript error: {error}"))
    try:
        response = page.goto("/api/v1/docs/")
        assert response.status == 200
        page.locator(".opblock-summary-path").first.wait_for(timeout=15_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert {p.strip().replace("\u200b", "") for p in paths} == {
            "/api/v1/articles/",
            "/api/v1/articles/{article_id}/",
            "/api/v1/sections/",
            "/api/v1/authors/",
            "/api/v1/tags/",
            "/api/v1/series/",
            "/api/v1/series/{series_id}/",
        }
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "api-docs.png"), full_page=False)
        assert all(url.startswith(live_server.url) for url in requests), "nothing from elsewhere"
        assert violations(page) == [], "\n".join(violations(page))
    finally:
        context.close()
