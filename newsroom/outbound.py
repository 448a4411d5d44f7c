"""Requests the site makes to addresses other people chose: webhook receivers, oEmbed
providers, a thumbnail address a provider gave us.

An address that resolves to a private, loopback, link-local or otherwise non-public
network is refused, unless the caller allows it (WEBHOOK_ALLOW_PRIVATE,
EMBED_ALLOW_PRIVATE: development and tests). The check is made when the address is
saved and again when the request is sent, and the request then goes to the very
address that was checked (the connection is pinned to it), so a name that resolves to a
public address at the check and to 127.0.0.1 a moment later (DNS rebinding) cannot
reach the inside. `post()` never follows a redirect; `fetch()` checks each one again.
TLS uses the system's certificate store (Python's default context, so `SSL_CERT_FILE`
applies).
"""

import http.client
import ipaddress
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass

USER_AGENT = "Newsroom (+https://github.com/newsroom)"
MAX_REDIRECTS = 3


class FetchError(Exception):
    """The address could not be reached; the message says why, for an editor to read."""


class AddressRefused(FetchError, ValueError):
    """The address is not one the site may send to."""


@dataclass
class Answer:
    status: int
    elapsed_ms: int
    excerpt: str


@dataclass
class Fetched:
    url: str
    status: int
    content_type: str
    body: bytes


def _split(url):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("The address must start with https:// (or http://).")
    if not parts.hostname:
        raise AddressRefused("The address has no host name.")
    if parts.username or parts.password:
        raise AddressRefused("Leave user names and passwords out of the address.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise AddressRefused("The address has an invalid port.") from exc
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port, path


def is_public(address):
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host, port, allow_private=False):
    """The addresses `host` resolves to now; AddressRefused if any is not public (and
    private ones are not allowed) or the name does not resolve."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"The host name {host!r} does not resolve.") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not allow_private:
        refused = [address for address in addresses if not is_public(address)]
        if refused:
            raise AddressRefused(
                f"{host} resolves to a private, loopback or link-local address "
                f"({', '.join(refused)}); only public addresses are allowed."
            )
    return addresses


def check_url(url, allow_private=False):
    """Refuse the address now (AddressRefused) unless it is well formed and public."""
    _scheme, host, port, _path = _split(url)
    resolve(host, port, allow_private)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        # The system's CA store (SSL_CERT_FILE applies), checked against the host name.
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _connect(url, timeout, allow_private):
    scheme, host, port, path = _split(url)
    address = resolve(host, port, allow_private)[0]
    kind = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    return kind(host, port, address, timeout), host, path


def post(url, body, headers, *, timeout, allow_private=False):
    """POST `body` (bytes) to `url` and return the Answer; AddressRefused for an address
    that is not public, OSError (or http.client.HTTPException) when the request fails."""
    connection, _host, path = _connect(url, timeout, allow_private)
    started = time.monotonic()
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(500).decode("utf-8", "replace")
    finally:
        connection.close()
    elapsed = round((time.monotonic() - started) * 1000)
    return Answer(status=response.status, elapsed_ms=elapsed, excerpt=excerpt)


def fetch(url, *, allow_private=False, timeout=3.0, max_bytes=2 * 1024 * 1024, accept="*/*"):
    """GET `url` (http or https), following up to MAX_REDIRECTS redirects (each checked
    again), and return a Fetched; FetchError (AddressRefused for a refused address)."""
    for _ in range(MAX_REDIRECTS + 1):
        connection, host, path = _connect(url, timeout, allow_private)
        try:
            connection.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": accept})
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
                url = urllib.parse.urljoin(url, response.getheader("Location"))
                continue
            body = response.read(max_bytes + 1)
        except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
            raise FetchError(f"{host} did not answer ({exc.__class__.__name__}).") from exc
        finally:
            connection.close()
        if len(body) > max_bytes:
            raise FetchError(f"{host} sent more than {max_bytes // 1024} KB.")
        if response.status != 200:
            raise FetchError(f"{host} answered {response.status}.")
        return Fetched(url, response.status, response.getheader("Content-Type", ""), body)
    raise FetchError("Too many redirects.")
