"""Requests the site makes to addresses other people chose (webhook receivers).

An address that resolves to a private, loopback, link-local or otherwise
non-public network is refused, unless the caller allows it (a setting such as
WEBHOOK_ALLOW_PRIVATE, for development). The check is made when the address is saved
and again when the request is sent, and the request then goes to the very address
that was checked (the connection is pinned to it), so a name that resolves to a
public address at the check and to 127.0.0.1 a moment later (DNS rebinding) cannot
reach the inside. Redirects are never followed.
"""

import http.client
import ipaddress
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass


class AddressRefused(ValueError):
    pass


@dataclass
class Answer:
    status: int
    elapsed_ms: int
    excerpt: str


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
    ip = ipaddress.ip_address(address)
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
                f"({', '.join(refused)}); only public addresses can receive webhooks."
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


def post(url, body, headers, *, timeout, allow_private=False):
    """POST `body` (bytes) to `url` and return the Answer; AddressRefused for an address
    that is not public, OSError (or http.client.HTTPException) when the request fails."""
    scheme, host, port, path = _split(url)
    address = resolve(host, port, allow_private)[0]
    kind = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = kind(host, port, address, timeout)
    started = time.monotonic()
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(500).decode("utf-8", "replace")
    finally:
        connection.close()
    elapsed = round((time.monotonic() - started) * 1000)
    return Answer(status=response.status, elapsed_ms=elapsed, excerpt=excerpt)
