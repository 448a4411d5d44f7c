"""A small HTTP client for tests against real servers: cookies, forms, no exceptions on 4xx/5xx."""

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass
class Response:
    status: int
    headers: dict
    text: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One visitor: a cookie jar and optional extra headers (e.g. X-Forwarded-For)."""

    def __init__(self, base_url, headers=None, follow_redirects=False, timeout=30):
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        handlers = [urllib.request.HTTPCookieProcessor(self.cookies)]
        if not follow_redirects:
            handlers.append(_NoRedirect())
        self.opener = urllib.request.build_opener(*handlers)

    def request(self, method, path, data=None, headers=None):
        body = None
        all_headers = {**self.headers, **(headers or {})}
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            all_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        url = path if path.startswith("http") else self.base_url + path
        req = urllib.request.Request(url, data=body, method=method, headers=all_headers)
        try:
            with self.opener.open(req, timeout=self.timeout) as response:
                return Response(
                    response.status,
                    dict(response.headers),
                    response.read().decode("utf-8", "replace"),
                )
        except urllib.error.HTTPError as error:
            return Response(
                error.code, dict(error.headers), error.read().decode("utf-8", "replace")
            )

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, data, **kwargs):
        return self.request("POST", path, data=data, **kwargs)


class _FormFields(HTMLParser):
    """The values a browser would submit: inputs, checked boxes, textareas and the
    selected options of selects (several values for a multiple select)."""

    def __init__(self, form_id=None, action=None):
        super().__init__()
        self.form_id = form_id
        self.action_part = action
        self.fields = {}
        self.action = None
        self._inside = form_id is None and action is None
        self._textarea = None
        self._select = None
        self._select_first = None

    def _add(self, name, value):
        self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            wanted = (self.form_id is None or attrs.get("id") == self.form_id) and (
                self.action_part is None or self.action_part in (attrs.get("action") or "")
            )
            if wanted and self.action is None:
                self._inside = True
                self.action = attrs.get("action")
            return
        if not self._inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            self._add(name, attrs.get("value") or ("on" if kind == "checkbox" else ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self._add(name, "")
        elif tag == "select" and name:
            self._select = (name, "multiple" in attrs)
            self._select_first = None
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in attrs:
                self._add(self._select[0], value)

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select:
            name, multiple = self._select
            if name not in self.fields and not multiple and self._select_first is not None:
                self._add(name, self._select_first)
            self._select = None
        elif tag == "form" and (self.form_id is not None or self.action_part is not None):
            self._inside = False


def form_fields(html, form_id=None, action=None):
    """(action, {name: value or [values]}) of the form with `form_id`, or whose action
    contains `action`; of every form on the page when neither is given."""
    parser = _FormFields(form_id, action)
    parser.feed(html)
    fields = {k: v[0] if len(v) == 1 else v for k, v in parser.fields.items()}
    return parser.action, fields
