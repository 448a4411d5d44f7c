"""Regenerate the README screenshots: `make screenshots`.

Builds a throw-away demo site (SQLite in a temporary folder, `seed_demo`), serves it
with `runserver`, and photographs it in headless Chromium: the home page and an
article on a desktop and a phone, the admin's article form and the moderation queue.
The PNGs land beside this file.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 1000}
PHONE = {"width": 390, "height": 844}
# From articles/management/commands/seed_demo.py.
EDITOR = ("editor", "newsroom-editor-demo")
MODERATOR = ("moderator", "newsroom-moderator-demo")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env, *args, **kwargs):
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, **kwargs
    )


def wait_until_up(url, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local server
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the demo server did not answer at {url}")


def login(page, base, username, password):
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def capture(base):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        desktop = browser.new_context(viewport=DESKTOP, color_scheme="light")
        phone = browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, color_scheme="light"
        )
        page = desktop.new_page()
        page.goto(f"{base}/")
        article_url = page.locator(".front-lead .card-headline a").get_attribute("href")
        page.screenshot(path=OUT / "home-desktop.png")
        page.goto(f"{base}{article_url}")
        page.screenshot(path=OUT / "article-desktop.png")

        phone_page = phone.new_page()
        phone_page.goto(f"{base}/")
        phone_page.screenshot(path=OUT / "home-phone.png")
        phone_page.goto(f"{base}{article_url}")
        phone_page.screenshot(path=OUT / "article-phone.png")

        admin = browser.new_context(viewport=DESKTOP).new_page()
        login(admin, base, *EDITOR)
        admin.goto(f"{base}/admin/articles/article/")
        admin.locator("#result_list tbody tr th a").first.click()
        admin.wait_for_load_state("networkidle")
        admin.screenshot(path=OUT / "admin-article.png")

        moderation = browser.new_context(viewport=DESKTOP).new_page()
        login(moderation, base, *MODERATOR)
        moderation.goto(f"{base}/admin/comments/comment/")
        moderation.wait_for_load_state("networkidle")
        moderation.screenshot(path=OUT / "moderation-queue.png")
        browser.close()


def main():
    with tempfile.TemporaryDirectory(prefix="newsroom-screenshots-") as tmp:
        port = free_port()
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{tmp}/demo.sqlite3",
            "MEDIA_ROOT": f"{tmp}/media",
            "PAGE_CACHE_SECONDS": "0",
            "REDIS_URL": "",
            "ADMIN_URL": "admin/",
            "ADMIN_REQUIRE_2FA": "0",
        }
        manage(env, "migrate", "--noinput", stdout=subprocess.DEVNULL)
        manage(env, "seed_demo", stdout=subprocess.DEVNULL)
        server = subprocess.Popen(  # noqa: S603 - our own manage.py
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "runserver",
                f"127.0.0.1:{port}",
                "--noreload",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(f"{base}/healthz")
            capture(base)
        finally:
            server.terminate()
            server.wait(timeout=10)
    for png in sorted(OUT.glob("*.png")):
        print(f"wrote {png.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
