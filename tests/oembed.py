"""A real oEmbed provider on loopback for tests (the real providers cannot be reached).

`LocalProvider(name)` serves, on a free port of 127.0.0.1:

    /oembed?url=https://<name>.test/watch/<id>   the oEmbed answer (JSON) for a video
    /thumb/<id>.png                                its thumbnail
    /frame/<id>                                    the player page the frame loads

An address whose id starts with "down" gets a 503, as a provider that does not answer.
`titles[<id>]` changes what the provider calls a video (its answer changed since).
Every request is recorded in `requests` (paths), so tests can tell what was asked.
`config()` is its entry for settings.EMBED_PROVIDERS.
"""

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from PIL import Image as PILImage


def _png(color):
    buffer = io.BytesIO()
    PILImage.new("RGB", (480, 360), color).save(buffer, format="PNG")
    return buffer.getvalue()


class LocalProvider:
    def __init__(self, name="video"):
        self.name = name
        self.requests = []
        self.titles = {}
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                provider.requests.append(self.path)
                parts = urlsplit(self.path)
                if parts.path == "/oembed":
                    page = parse_qs(parts.query).get("url", [""])[0]
                    video = page.rstrip("/").rsplit("/", 1)[-1]
                    if not page.startswith(f"https://{provider.name}.test/") or video.startswith(
                        "down"
                    ):
                        return self.answer(503, b"unavailable", "text/plain")
                    title = provider.titles.get(video, f"{provider.name.title()} clip {video}")
                    data = {
                        "version": "1.0",
                        "type": "video",
                        "provider_name": provider.name.title(),
                        "title": title,
                        "author_name": "Local Studio",
                        "width": 640,
                        "height": 360,
                        "thumbnail_url": f"{provider.origin}/thumb/{video}.png",
                        "html": f'<iframe src="{provider.origin}/frame/{video}" width="640" '
                        'height="360" allowfullscreen></iframe>',
                    }
                    return self.answer(200, json.dumps(data).encode(), "application/json")
                if parts.path.startswith("/thumb/"):
                    return self.answer(200, _png((20, 90, 160)), "image/png")
                if parts.path.startswith("/frame/"):
                    body = f"<!doctype html><title>Player</title><p>Playing {parts.path}</p>"
                    return self.answer(200, body.encode(), "text/html")
                return self.answer(404, b"not found", "text/plain")

            def answer(self, status, body, content_type):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def page(self, video):
        return f"https://{self.name}.test/watch/{video}"

    def config(self):
        return {
            "name": self.name.title(),
            "endpoint": f"{self.origin}/oembed",
            "urls": [f"https://{self.name}.test/watch/*"],
            "frame_origins": [self.origin],
        }
