"""Uploaded images in production: `check --deploy` warns when nothing would serve them, and
the nginx and Caddy examples in docs/deploy/ really serve MEDIA_ROOT (run in the real
servers, on loopback, when Debian's nginx and caddy are installed)."""

import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.files.storage import FileSystemStorage

from tests.servers import free_port, port_open, wait_until

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy"


def deploy_warnings():
    return [m.id for m in run_checks(include_deployment_checks=True) if m.id.startswith("newsroom")]


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.SERVE_MEDIA = False
    settings.MEDIA_SERVED_BY_WEB_SERVER = False
    settings.MEDIA_URL = "/media/"
    return settings


def test_check_deploy_warns_when_media_would_not_be_served(production):
    assert deploy_warnings() == ["newsroom.W001"]


@pytest.mark.parametrize(
    "setting",
    [
        {"SERVE_MEDIA": True},
        {"MEDIA_SERVED_BY_WEB_SERVER": True},
        {"MEDIA_URL": "https://media.example.org/"},
        {"DEBUG": True},
    ],
    ids=lambda s: next(iter(s)),
)
def test_check_deploy_is_quiet_when_media_are_served(production, setting):
    for name, value in setting.items():
        setattr(production, name, value)
    assert deploy_warnings() == []


def test_check_deploy_is_quiet_with_object_storage(production, monkeypatch):
    class Bucket:  # not a FileSystemStorage: it serves its own URLs
        pass

    monkeypatch.setattr("newsroom.checks.default_storage", Bucket())
    assert deploy_warnings() == []
    monkeypatch.setattr("newsroom.checks.default_storage", FileSystemStorage())
    assert deploy_warnings() == ["newsroom.W001"]


# ---------------------------------------------------------------------------
# The documented web server configurations, run for real


@pytest.fixture
def media_root(tmp_path):
    root = tmp_path / "media"
    (root / "images" / "2026" / "01").mkdir(parents=True)
    (root / "images" / "2026" / "01" / "hall.webp").write_bytes(b"RIFF\x00\x00\x00\x00WEBPVP8 ")
    (tmp_path / "secret.txt").write_text("not media")
    return root


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), b""


def check_serves_media(port):
    status, headers, body = fetch(f"http://127.0.0.1:{port}/media/images/2026/01/hall.webp")
    assert status == 200
    assert body.startswith(b"RIFF")
    assert headers["Content-Type"] == "image/webp"
    assert headers["Cache-Control"] == "public, max-age=86400"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert fetch(f"http://127.0.0.1:{port}/media/missing.webp")[0] == 404
    # Nothing outside MEDIA_ROOT (the path goes to the app, absent here, or is refused).
    for path in ("/media/../secret.txt", "/media/%2e%2e/secret.txt", "/media/..%2fsecret.txt"):
        status, _headers, body = fetch(f"http://127.0.0.1:{port}{path}")
        assert status != 200 and b"not media" not in body, path


def run_server(command, port, log):
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: port_open(port) or process.poll() is not None, 15, what="server")
        if process.poll() is not None:
            pytest.fail(f"{command[0]} stopped: {Path(log.name).read_text()}")
        return process
    except Exception:
        process.kill()
        raise


@pytest.mark.skipif(
    not shutil.which("nginx"), reason="nginx is not installed (apt-get install nginx)"
)
def test_the_nginx_example_serves_media(tmp_path, media_root):
    port = free_port()
    site = (DEPLOY / "nginx.conf").read_text()
    site = site.replace("listen 80;", f"listen 127.0.0.1:{port};")
    site = site.replace("/srv/newsroom/media/", f"{media_root}/")
    assert str(media_root) in site and str(port) in site
    (tmp_path / "site.conf").write_text(site)
    temp = tmp_path / "nginx-temp"
    temp.mkdir()
    (tmp_path / "nginx.conf").write_text(
        f"""user root; daemon off; worker_processes 1; pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{}}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi; uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;
    include {tmp_path}/site.conf;
}}
"""
    )
    command = ["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
    subprocess.run([*command, "-t"], check=True, capture_output=True)
    with (tmp_path / "nginx.log").open("w") as log:
        process = run_server(command, port, log)
        try:
            check_serves_media(port)
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.skipif(
    not shutil.which("caddy"), reason="caddy is not installed (apt-get install caddy)"
)
def test_the_caddy_example_serves_media(tmp_path, media_root):
    port = free_port()
    site = (DEPLOY / "Caddyfile").read_text()
    site = site.replace("news.example.org {", f"http://127.0.0.1:{port} {{")
    site = site.replace("/srv/newsroom/media", str(media_root))
    assert str(media_root) in site and str(port) in site
    config = tmp_path / "Caddyfile"
    config.write_text("{\n\tadmin off\n\tauto_https off\n}\n\n" + site)
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    subprocess.run(
        ["caddy", "validate", "--config", str(config), "--adapter", "caddyfile"],
        check=True,
        capture_output=True,
        env={**env, "PATH": "/usr/bin:/bin"},
    )
    command = ["env", *(f"{k}={v}" for k, v in env.items())]
    command += ["caddy", "run", "--config", str(config), "--adapter", "caddyfile"]
    with (tmp_path / "caddy.log").open("w") as log:
        process = run_server(command, port, log)
        try:
            check_serves_media(port)
        finally:
            process.terminate()
            process.wait(timeout=10)
