"""A small browser for tests against real app servers: cookies, forms as a browser
would submit them, and the admin login."""

import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from http.cookiejar import CookieJar


class Form(HTMLParser):
    """The fields of the form with the given id (or the first form), as submitted."""

    def __init__(self, form_id=None):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.fields = []
        self._in_form = False
        self._done = False
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self._done:
            self._in_form = self.form_id is None or attrs.get("id") == self.form_id
            return
        if not self._in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields.append([name, attrs.get("value", "on" if kind == "checkbox" else "")])
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
            self.fields.append(self._textarea)
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields.append([self._select, attrs.get("value", "")])

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self._in_form:
            self._in_form = False
            self._done = True

    def set(self, name, value):
        for field in self.fields:
            if field[0] == name:
                field[1] = value
                return
        self.fields.append([name, value])

    def get(self, name):
        return next((value for key, value in self.fields if key == name), None)


class Browser:
    def __init__(self, base_url):
        self.base_url = base_url
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def url(self, path):
        return self.base_url + path

    def get(self, path):
        try:
            with self.opener.open(self.url(path), timeout=30) as response:
                return response.status, response.read().decode(), response.geturl()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.geturl()

    def post(self, path, fields):
        data = urllib.parse.urlencode([tuple(field) for field in fields]).encode()
        request = urllib.request.Request(
            self.url(path), data=data, headers={"Referer": self.url(path)}
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode(), response.geturl()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.geturl()

    def form(self, path, form_id=None):
        status, html, _ = self.get(path)
        assert status == 200, (path, status)
        parser = Form(form_id)
        parser.feed(html)
        return parser

    def log_in(self, login_path, username, password):
        form = self.form(login_path)
        form.set("username", username)
        form.set("password", password)
        status, _, final = self.post(login_path, form.fields)
        assert status == 200 and not final.endswith(login_path), "admin login failed"
