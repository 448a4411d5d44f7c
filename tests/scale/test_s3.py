"""Media on S3-compatible object storage, against moto's S3 server on a local port.

The storage configuration is the one settings.py builds from the AWS_* environment
variables (read in a subprocess), so the test covers the real settings, the real
django-storages backend and the real image pipeline (DESK's Image.save)."""

import json
import subprocess
import sys
import tempfile
import urllib.request
import uuid

import boto3
import pytest

from tests.factories import ArticleFactory, ImageFactory, png_bytes
from tests.servers import ROOT, app_environment, free_port, port_open, wait_until

KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint():
    port = free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(lambda: port_open(port), 30, what="moto's S3 server")
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)


def storage_settings(env):
    """STORAGES["default"] as settings.py builds it from this environment."""
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.STORAGES['default']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**app_environment(env), "DJANGO_SETTINGS_MODULE": "newsroom.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch):
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    name = f"media-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **_keys())
    client.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": storage_settings(
            {
                "AWS_STORAGE_BUCKET_NAME": name,
                "AWS_S3_ENDPOINT_URL": s3_endpoint,
                "AWS_S3_REGION_NAME": "us-east-1",
                "AWS_DEFAULT_ACL": "public-read",
                **KEYS,
            }
        ),
    }
    return client, name


def _keys():
    return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def keys_in(client, name):
    listing = client.list_objects_v2(Bucket=name)
    return {item["Key"] for item in listing.get("Contents", [])}


def test_settings_choose_s3_only_when_a_bucket_is_configured():
    assert storage_settings({})["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    configured = storage_settings(
        {"AWS_STORAGE_BUCKET_NAME": "news-media", "AWS_S3_ENDPOINT_URL": "http://s3.local:9000"}
    )
    assert configured["BACKEND"] == "storages.backends.s3.S3Storage"
    assert configured["OPTIONS"]["bucket_name"] == "news-media"
    assert configured["OPTIONS"]["endpoint_url"] == "http://s3.local:9000"
    assert configured["OPTIONS"]["querystring_auth"] is False


@pytest.mark.django_db
def test_uploaded_image_and_its_renditions_are_stored_in_the_bucket(bucket, s3_endpoint):
    client, name = bucket
    image = ImageFactory(file=_content(png_bytes(800, 450), "harbour.png"))
    image.refresh_from_db()

    stored = keys_in(client, name)
    assert image.file.name in stored
    assert image.renditions, "Image.save made no renditions"
    for entry in image.renditions.values():
        assert entry["path"] in stored
        assert entry["url"].startswith(f"{s3_endpoint}/{name}/")
    with urllib.request.urlopen(image.rendition_url("w640")) as response:
        assert response.read(12)[8:12] == b"WEBP"
    assert image.file.url.startswith(f"{s3_endpoint}/{name}/images/")


@pytest.mark.django_db
def test_article_page_links_to_the_bucket(bucket, s3_endpoint, client):
    _, name = bucket
    image = ImageFactory(file=_content(png_bytes(800, 450), "lead.png"))
    article = ArticleFactory(lead_image=image)
    page = client.get(article.get_absolute_url()).content.decode()
    assert f"{s3_endpoint}/{name}/" in page


def _content(data, name="picture.png"):
    from django.core.files.base import ContentFile

    return ContentFile(data, name=name)


@pytest.mark.django_db
def test_deleting_an_unused_image_removes_it_and_its_renditions_from_the_bucket(
    bucket, django_capture_on_commit_callbacks
):
    client, name = bucket
    image = ImageFactory(file=_content(png_bytes(800, 450), "takedown.png"))
    image.refresh_from_db()
    files = {image.file.name, *(entry["path"] for entry in image.renditions.values())}
    assert files <= keys_in(client, name)
    with django_capture_on_commit_callbacks(execute=True):
        image.delete()
    assert not files & keys_in(client, name)
