"""/favicon.ico answers (issue 16, item 8): it sends the site's icon's address."""

import pytest


@pytest.mark.django_db
def test_favicon_ico_redirects_to_the_sites_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("/static/img/favicon.svg")
    assert client.post("/favicon.ico").status_code == 405
