"""The hostile-input matrix: everything a person can type, send or upload.

Every public URL, the comment endpoints, search, feeds, the admin's lists and forms
and the image upload get NUL bytes, invalid UTF-8, huge values, broken markup,
path traversal and nonsense numbers. The answer is always a page or a clear 4xx —
never a 500 (the test client re-raises any exception) — and nothing is half written.
"""

import struct
import zlib
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from articles.models import Image
from comments.models import Comment
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CommentFactory,
    CorrectionFactory,
    SectionFactory,
    png_bytes,
)

HUGE = "A" * 100_000

# Raw query strings, already percent-encoded as a client would send them.
QUERY_PAYLOADS = [
    "q=%00",
    "q=abc%00def",
    "%00=1",
    "q=%FF%FE%FD",
    "q=%C0%AF%C0%AF",
    "q=%ED%A0%80",
    "q=" + HUGE,
    "q=%E2%80%AE%E2%80%8Bhidden",
    "q=%27%20OR%201%3D1%20--",
    "q=%22unterminated",
    "q=-",
    "q=-%22%22",
    "q=or",
    "q=!!!%26%26%7C%7C",
    "q=((((((((((",
    "q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "q=*%3A*",
    "q=%5C",
    "q=a%3A*%20%26%20b",
    "q=%0D%0ASet-Cookie%3A%20x%3D1",
    "q=" + "%F0%9F%92%A9" * 2000,
    "page=-1",
    "page=0",
    "page=abc",
    "page=99999999999999999999999",
    "page=1e10",
    "page=last",
    "p=%00",
    "p=99999999999999999999999",
    "p=-5",
    "parent=abc",
    "parent=99999999999999999999999",
    "q[]=1&q[]=2",
    "q=1&q=2&q=3",
    "a=1&" * 2500,
    "=&=&&&==",
]

NUL_MARKERS = ("%00",)


@pytest.fixture
def site(db):
    section = SectionFactory(slug="news", name="News")
    author = AuthorFactory(slug="ada-reporter", name="Ada Reporter")
    article = ArticleFactory(section=section, authors=[author], tags=["harbour"])
    comment = CommentFactory(article=article)
    CorrectionFactory(article=article)
    draft = ArticleFactory(draft=True, section=section)
    return {"article": article, "comment": comment, "draft": draft}


def public_paths(site):
    article = site["article"]
    comment = site["comment"]
    return [
        "/",
        article.get_absolute_url(),
        "/section/news/",
        "/tag/harbour/",
        "/author/ada-reporter/",
        "/search/",
        "/corrections/",
        "/feeds/latest/",
        "/feeds/latest/atom/",
        "/feeds/section/news/",
        "/feeds/tag/harbour/atom/",
        "/feeds/author/ada-reporter/",
        "/feeds/corrections/",
        "/sitemap.xml",
        "/news-sitemap.xml",
        "/robots.txt",
        "/healthz",
        f"/comments/form/{article.pk}/",
        f"/comments/{comment.pk}/flag/",
        f"/preview/{site['draft'].pk}/",
        "/preview/share/not-a-token/",
    ]


HOSTILE_PATHS = [
    "/section/%00/",
    "/tag/%FF%FE/",
    "/author/%C0%AE%C0%AE/",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/..%2F..%2Fetc%2Fpasswd",
    "/static/../../newsroom/settings.py",
    "/static/..%2F..%2Fnewsroom%2Fsettings.py",
    "/static/%2e%2e/%2e%2e/newsroom/settings.py",
    "/media/../../etc/passwd",
    "/media/..%2F..%2Fetc%2Fpasswd",
    "/media/%00.png",
    "/" + "a" * 10_000 + "/",
    "/2026/13/45/slug/",
    "/0000/00/00/x/",
    "/9999/99/99/x/",
    "/2026/02/30/nothing/",
    "/comments/form/99999999999999999999999/",
    "/comments/form/0/",
    "/comments/99999999999999999999999/flag/",
    "/comments/post/99999999999999999999999/",
    "/preview/99999999999999999999999/",
    "/preview/share/%00/",
    "/preview/share/" + "x" * 5000 + "/",
    "/feeds/tag/%FF/",
    "/feeds/author/" + "b" * 3000 + "/",
    "/sitemap-%00.xml",
    "/sitemap-" + "c" * 3000 + ".xml",
    "/admin/%00/",
    "/admin/articles/article/99999999999999999999999/change/",
    "/admin/articles/article/%00/change/",
    "/admin/articles/article/abc/change/",
    "/admin/articles/article/../../../etc/passwd",
]


def get(client, path, query=""):
    return client.generic("GET", path + ("?" + query if query else ""))


def assert_not_a_server_error(response, what):
    assert response.status_code < 500, (what, response.status_code, response.content[:300])


def assert_nul_refused(response, what):
    assert response.status_code in {400, 404}, (what, response.status_code)


@pytest.mark.django_db
def test_every_public_url_survives_every_hostile_query_string(client, site):
    for path in public_paths(site):
        for query in QUERY_PAYLOADS:
            response = get(client, path, query)
            what = f"{path}?{query[:60]}"
            assert_not_a_server_error(response, what)
            if any(marker in query for marker in NUL_MARKERS):
                assert_nul_refused(response, what)


@pytest.mark.django_db
def test_hostile_paths_answer_4xx(client, site):
    for path in HOSTILE_PATHS:
        response = get(client, path)
        assert 300 <= response.status_code < 500, (path[:80], response.status_code)
        assert b"SECRET_KEY" not in response.content
        assert b"root:x:0:0" not in response.content


@pytest.mark.django_db
def test_too_many_query_fields_is_a_clear_400(client, site):
    response = get(client, "/search/", "a=1&" * 3000)
    assert response.status_code == 400


@pytest.mark.django_db
def test_headers_with_hostile_values(client, site):
    article = site["article"]
    hostile = {
        "HTTP_USER_AGENT": "x" * 20_000,
        "HTTP_REFERER": "javascript:alert(1)",
        "HTTP_IF_NONE_MATCH": '"' + "W/" * 5000 + '"',
        "HTTP_IF_MODIFIED_SINCE": "yesterday at noon",
        "HTTP_ACCEPT_LANGUAGE": "en;q=" + "9" * 5000,
        "HTTP_X_FORWARDED_FOR": "not-an-ip, " * 1000,
        "HTTP_COOKIE": "sessionid=" + "%00" * 100 + "; csrftoken=<script>",
    }
    for path in ["/", article.get_absolute_url(), "/feeds/latest/", "/search/?q=x"]:
        assert_not_a_server_error(client.get(path, **hostile), path)
    bad_host = client.get("/", HTTP_HOST="evil.example.com")
    assert bad_host.status_code == 400


# -- The comment endpoints --------------------------------------------------------

VALID = {"name": "Ada", "email": "ada@example.org", "body": "A fair point about the bridge."}

HOSTILE_COMMENTS = [
    {"body": "nul \x00 byte"},
    {"name": "\x00"},
    {"email": "ada\x00@example.org"},
    {"body": "x" * 200_000},
    {"name": "n" * 10_000},
    {"email": "not-an-address"},
    {"email": "a@" + "b" * 300 + ".org"},
    {"body": ""},
    {"body": "   \n\n\t  "},
    {"body": "\u202e\u200b\u200d"},
    {"body": "<script>alert(1)</script><img src=x onerror=alert(1)>"},
    {"body": "<" * 5000 + ">" * 5000},
    {"body": "\U0010ffff" * 100},
    {"parent": "abc"},
    {"parent": "-1"},
    {"parent": "0"},
    {"parent": "99999999999999999999999"},
    {"parent": "1e5"},
    {"token": "forged:token:value"},
    {"token": "x" * 10_000},
    {"website": "http://spam.example"},
    {"status": "approved", "body": "Trying to approve myself."},
]


@pytest.mark.django_db
def test_the_comment_post_endpoint_refuses_hostile_fields_without_half_writing(client, site):
    article = site["article"]
    url = reverse("comments:post", args=[article.pk])
    for hostile in HOSTILE_COMMENTS:
        before = Comment.objects.count()
        data = {**VALID, **hostile}
        response = client.post(url, data, REMOTE_ADDR=f"192.0.2.{len(hostile) % 250}")
        what = {k: v[:40] for k, v in hostile.items()}
        assert_not_a_server_error(response, what)
        created = Comment.objects.count() - before
        if response.status_code >= 400:
            assert created == 0, what
        assert created in {0, 1}, what
        if "\x00" in "".join(hostile.values()):
            assert response.status_code == 400, what
    assert not Comment.objects.filter(
        status=Comment.Status.APPROVED, body__contains="approve myself"
    ).exists()


@pytest.mark.django_db
def test_a_reply_to_a_comment_on_another_article_is_refused(client, site):
    elsewhere = CommentFactory()
    url = reverse("comments:post", args=[site["article"].pk])
    before = Comment.objects.count()
    response = client.post(url, {**VALID, "parent": str(elsewhere.pk)})
    assert response.status_code == 400
    assert Comment.objects.count() == before


@pytest.mark.django_db
def test_comment_posts_in_other_shapes(client, site):
    url = reverse("comments:post", args=[site["article"].pk])
    before = Comment.objects.count()
    shapes = [
        client.post(url, b'{"body": "json"}', content_type="application/json"),
        client.post(url, b"\xff\xfe\x00garbage", content_type="application/x-www-form-urlencoded"),
        client.post(url, "body=" + "%" * 1000, content_type="application/x-www-form-urlencoded"),
        client.post(url, {**VALID, "file": SimpleUploadedFile("x.exe", b"MZ" * 100)}),
        client.post(url, b"x" * (6 * 1024 * 1024), content_type="application/octet-stream"),
        client.post(url, "a=1&" * 3000, content_type="application/x-www-form-urlencoded"),
        client.get(url),
        client.put(url, VALID),
        client.post(reverse("comments:post", args=[site["draft"].pk]), VALID),
    ]
    for response in shapes:
        assert_not_a_server_error(response, response.request["PATH_INFO"])
    assert Comment.objects.count() - before <= 1  # only the multipart post is a real comment


@pytest.mark.django_db
def test_forged_posts_without_a_csrf_token_are_refused(site):
    strict = Client(enforce_csrf_checks=True)
    url = reverse("comments:post", args=[site["article"].pk])
    before = Comment.objects.count()
    assert strict.post(url, VALID).status_code == 403
    assert Comment.objects.count() == before


@pytest.mark.django_db
def test_the_flag_endpoint_refuses_hostile_reports(client, site):
    url = reverse("comments:flag", args=[site["comment"].pk])
    for data in [
        {"reason": "\x00"},
        {"reason": "Spam", "details": "d" * 100_000},
        {"reason": "<script>"},
        {"reason": "Other", "details": "\x00"},
        {},
    ]:
        assert_not_a_server_error(client.post(url, data), data)


# -- The admin --------------------------------------------------------------------


class _Fields(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text, self.other = set(), {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if not name or name.startswith("_") or name == "csrfmiddlewaretoken":
            return
        if tag == "textarea" or (
            tag == "input" and attrs.get("type", "text") in {"text", "url", "email", "search"}
        ):
            self.text.add(name)
        elif tag == "input" and attrs.get("type") in {"hidden", "number"}:
            self.other[name] = attrs.get("value", "")


ADMIN_TEXT_PAYLOADS = [
    "x" * 60_000,
    "<script>alert(1)</script><iframe src=javascript:alert(1)>",
    "../../../../etc/passwd",
    "\u202e\u200b" * 50,
    "'; DROP TABLE articles_article; --",
    "<" * 5_000,
    "<div>" * 2000 + "deep" + "</div>" * 2000,
]


def admin_models():
    return [
        model
        for model in admin.site._registry
        if model._meta.app_label in {"articles", "comments", "taggit", "auth", "axes"}
    ]


@pytest.mark.django_db
def test_admin_lists_survive_hostile_query_strings(admin_client, site):
    queries = [
        "q=%00",
        "q=" + HUGE,
        "q=%FF%FE",
        "o=abc",
        "o=999",
        "p=-1",
        "p=99999999999",
        "status__exact=bogus",
        "id__gt=abc",
        "pk__in=1,2,x",
        "created_at__gte=yesterday",
        "_changelist_filters=%00",
        "all=&nonsense=1",
        "e=1",
    ]
    for model in admin_models():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for query in queries:
            response = get(admin_client, url, query)
            what = f"{url}?{query[:40]}"
            assert_not_a_server_error(response, what)
            if "%00" in query:
                assert_nul_refused(response, what)


@pytest.mark.django_db
def test_admin_add_forms_survive_hostile_text(admin_client, site):
    for model in admin_models():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}_add"
        url = reverse(name)
        page = admin_client.get(url)
        if page.status_code != 200:
            continue
        fields = _Fields()
        fields.feed(page.content.decode())
        for payload in [*ADMIN_TEXT_PAYLOADS, "nul\x00"]:
            before = model._default_manager.count()
            data = {**fields.other, **dict.fromkeys(fields.text, payload)}
            response = admin_client.post(url, data)
            what = (name, payload[:30])
            assert_not_a_server_error(response, what)
            if "\x00" in payload:
                assert response.status_code == 400, what
                assert model._default_manager.count() == before, what


@pytest.mark.django_db
def test_the_article_change_form_survives_hostile_bodies(admin_client, site):
    article = site["article"]
    url = reverse("admin:articles_article_change", args=[article.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    fields = _Fields()
    fields.feed(page.content.decode())
    for payload in ADMIN_TEXT_PAYLOADS:
        data = {**fields.other, **dict.fromkeys(fields.text, "Headline"), "body": payload}
        response = admin_client.post(url, data)
        assert_not_a_server_error(response, payload[:30])
    article.refresh_from_db()
    assert "<script" not in article.body and "<iframe" not in article.body


# -- Uploads ------------------------------------------------------------------------


def png_claiming(width, height):
    """A tiny PNG whose header claims enormous dimensions (a decompression bomb)."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


HOSTILE_UPLOADS = [
    ("../../../../tmp/evil.png", png_bytes(), "traversal"),
    ("..\\..\\windows\\evil.png", png_bytes(), "traversal"),
    ("/etc/passwd", png_bytes(), "absolute"),
    ("nul\x00.png", png_bytes(), "nul"),
    ("x" * 500 + ".png", png_bytes(), "long name"),
    ("notes.png", b"just some text, not a picture", "not an image"),
    ("empty.png", b"", "empty"),
    ("bomb.png", png_claiming(100_000, 100_000), "pixel bomb"),
    ("truncated.png", png_bytes()[:40], "truncated"),
    (
        "drawing.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "svg with script",
    ),
    ("page.html", b"<html><script>alert(1)</script></html>", "html"),
    ("polyglot.png", png_bytes() + b"<script>alert(1)</script>", "polyglot"),
]


def image_form(client, **data):
    """The image add form's own hidden and number fields (focal point), plus `data`."""
    page = client.get(reverse("admin:articles_image_add"))
    fields = _Fields()
    fields.feed(page.content.decode())
    return {**fields.other, "alt_text": "A test picture", **data}


@pytest.mark.django_db
def test_hostile_image_uploads_are_refused_or_stored_safely(admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    url = reverse("admin:articles_image_add")
    for name, content, what in HOSTILE_UPLOADS:
        before = Image.objects.count()
        upload = SimpleUploadedFile(name, content, content_type="image/png")
        response = admin_client.post(url, image_form(admin_client, file=upload))
        assert_not_a_server_error(response, what)
        if Image.objects.count() > before:
            image = Image.objects.latest("pk")
            stored = (settings.MEDIA_ROOT / image.file.name).resolve()
            assert stored.is_relative_to(settings.MEDIA_ROOT.resolve()), (what, image.file.name)
            assert ".." not in image.file.name and "\x00" not in image.file.name
            assert not image.file.name.endswith((".svg", ".html")), what
        else:
            assert response.status_code in {200, 400}, what
    # Nothing was written outside the media folder.
    assert not (tmp_path.parent / "evil.png").exists()


@pytest.mark.django_db
def test_an_upload_to_unwritable_storage_fails_clearly_and_leaves_no_row(
    admin_client, settings, tmp_path
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = blocker / "media"
    before = Image.objects.count()
    upload = SimpleUploadedFile("fine.png", png_bytes(640, 480), content_type="image/png")
    client = admin_client
    client.raise_request_exception = False
    response = client.post(reverse("admin:articles_image_add"), image_form(client, file=upload))
    assert response.status_code == 503, response.status_code
    assert b"The upload could not be stored" in response.content
    assert b"nothing was saved" in response.content
    assert Image.objects.count() == before


@pytest.mark.django_db
def test_a_good_upload_through_the_same_form_is_stored(admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    upload = SimpleUploadedFile("harbour.png", png_bytes(640, 480), content_type="image/png")
    response = admin_client.post(
        reverse("admin:articles_image_add"),
        image_form(admin_client, file=upload, alt_text="The harbour"),
    )
    assert response.status_code == 302
    image = Image.objects.get()
    assert (settings.MEDIA_ROOT / image.file.name).exists()
