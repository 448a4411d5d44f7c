"""Embeds are resolved once through oEmbed against EMBED_PROVIDERS, from public addresses
only, and kept; the editor's endpoints answer with what readers will get."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from articles import embeds
from articles.models import Embed
from newsroom import outbound
from tests.factories import ImageFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def test_resolve_stores_title_provider_frame_and_our_thumbnail(oembed_provider):
    embed = embeds.resolve(oembed_provider.page("abc"))
    assert embed.is_resolved
    assert (embed.provider, embed.title, embed.author_name) == (
        "Video",
        "Video clip abc",
        "Local Studio",
    )
    assert embed.frame_url == f"{oembed_provider.origin}/frame/abc"
    assert (embed.width, embed.height) == (640, 360)
    assert embed.thumbnail.name.startswith("embeds/")
    assert (embed.thumbnail_width, embed.thumbnail_height) == (480, 360)
    assert "<iframe" in embed.html


def test_address_outside_the_allowlist_is_a_clear_error(oembed_provider):
    with pytest.raises(ValidationError, match=r"not from a provider we embed.*Video"):
        embeds.resolve("https://elsewhere.example/watch/1")
    with pytest.raises(ValidationError, match="not an https:// address"):
        embeds.resolve("javascript:alert(1)")
    assert not Embed.objects.exists()
    assert oembed_provider.requests == []


def test_private_addresses_are_refused_unless_allowed(oembed_provider, settings):
    settings.EMBED_ALLOW_PRIVATE = False
    embed = embeds.resolve(oembed_provider.page("abc"))
    assert embed.status == Embed.Status.FAILED
    assert "private, loopback or link-local" in embed.error
    assert oembed_provider.requests == []
    with pytest.raises(outbound.AddressRefused):
        outbound.fetch("http://169.254.169.254/latest/meta-data/")


def test_a_frame_from_anywhere_but_the_providers_frame_origins_is_refused():
    youtube = next(p for p in embeds.providers() if p.name == "YouTube")
    assert (
        youtube.frame_for("https://www.youtube.com/embed/x?feature=oembed")
        == "https://www.youtube-nocookie.com/embed/x?feature=oembed"
    )
    assert youtube.frame_for("https://evil.example/embed/x") is None
    assert youtube.frame_for("javascript:alert(1)") is None


def test_default_providers_match_their_page_addresses():
    cases = {
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ": "YouTube",
        "https://youtu.be/dQw4w9WgXcQ": "YouTube",
        "https://vimeo.com/76979871": "Vimeo",
        "https://soundcloud.com/artist/track": "SoundCloud",
        "https://open.spotify.com/episode/abc": "Spotify",
        "https://datawrapper.dwcdn.net/AbC12/1/": "Datawrapper",
        "https://public.flourish.studio/visualisation/123/": "Flourish",
    }
    for url, name in cases.items():
        assert embeds.provider_for(url).name == name, url
    assert embeds.provider_for("https://www.youtube.com.evil.example/watch?v=1") is None
    assert embeds.provider_for("http://www.youtube.com/watch?v=1") is None


def test_editor_endpoint_resolves_or_explains(client, reporter, oembed_provider):
    client.force_login(reporter)
    url = reverse("admin:articles_article_body_embed")
    answer = client.post(url, {"url": oembed_provider.page("abc")})
    assert answer.status_code == 200
    assert answer.json()["title"] == "Video clip abc" and answer.json()["resolved"]
    refused = client.post(url, {"url": "https://elsewhere.example/1"})
    assert refused.status_code == 400
    assert "not from a provider we embed" in refused.json()["error"]
    stored = client.get(url, {"url": oembed_provider.page("abc")})
    assert stored.json()["provider"] == "Video"


def test_editor_endpoints_need_the_desk(client, moderator):
    client.force_login(moderator)
    assert (
        client.post(reverse("admin:articles_article_body_embed"), {"url": "x"}).status_code == 403
    )
    assert client.get(reverse("admin:articles_article_body_images")).status_code == 403
    client.logout()
    response = client.get(reverse("admin:articles_article_body_images"))
    assert response.status_code == 302  # to the login page


def test_image_search_by_alt_caption_or_credit(client, reporter):
    wall = ImageFactory(alt_text="Harbour wall", caption="", credit="")
    boats = ImageFactory(alt_text="Boats", caption="In the harbour", credit="")
    crowd = ImageFactory(alt_text="Crowd", caption="", credit="Harbour Press")
    ImageFactory(alt_text="Council chamber", caption="", credit="")
    client.force_login(reporter)
    found = client.get(reverse("admin:articles_article_body_images"), {"q": "harbour"}).json()
    assert {image["id"] for image in found["results"]} == {wall.pk, boats.pk, crowd.pk}
    by_id = client.get(reverse("admin:articles_article_body_images"), {"ids": f"{boats.pk}"})
    assert by_id.json()["results"][0]["alt"] == "Boats"


def test_upload_from_the_dialog_is_checked_like_the_image_form(client, reporter):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import png_bytes

    client.force_login(reporter)
    url = reverse("admin:articles_article_body_upload")
    picture = SimpleUploadedFile("wall.png", png_bytes(400, 300), content_type="image/png")
    answer = client.post(url, {"file": picture, "alt_text": "The wall", "credit": "Ana"})
    assert answer.status_code == 201 and answer.json()["alt"] == "The wall"
    fake = SimpleUploadedFile("x.png", b"<svg onload=alert(1)>", content_type="image/png")
    refused = client.post(url, {"file": fake, "alt_text": "x"})
    assert refused.status_code == 400 and "not a picture we accept" in refused.json()["error"]
    no_alt = SimpleUploadedFile("y.png", png_bytes(), content_type="image/png")
    assert client.post(url, {"file": no_alt, "alt_text": " "}).status_code == 400
