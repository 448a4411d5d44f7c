"""A real webhook receiver for tests: an HTTP server on loopback in a thread.

It verifies every request's signature with the `standardwebhooks` package, as a
partner would, and answers with the codes it is given in turn (the last one from then
on), optionally after a delay.
"""

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import standardwebhooks


class Receiver:
    def __init__(self, secret=None, codes=(200,), delay=0.0):
        self.secret = secret
        self.codes = list(codes)
        self.delay = delay
        self.started = 0  # requests that arrived, counted before any delay
        self.received = []  # (headers, body bytes, verified payload or None)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/newsroom"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                with receiver._lock:
                    receiver.started += 1
                    number = receiver.started
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.delay:
                    time.sleep(receiver.delay)
                headers = {key.lower(): value for key, value in self.headers.items()}
                verified = None
                if receiver.secret:
                    with contextlib.suppress(standardwebhooks.webhooks.WebhookVerificationError):
                        verified = standardwebhooks.Webhook(receiver.secret).verify(body, headers)
                with receiver._lock:
                    receiver.received.append((headers, body, verified))
                code = receiver.codes[min(number, len(receiver.codes)) - 1]
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if code < 300 else b"try later")

            def log_message(self, *args):
                pass

        return Handler

    def events(self):
        return [payload["type"] for _headers, _body, payload in self.received if payload]

    def wait_for(self, count, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.received) >= count:
                return True
            time.sleep(0.05)
        return False

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
