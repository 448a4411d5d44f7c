"""The client address (rate limits, lockouts, ip_hash) is only taken from trusted proxies."""

import ipaddress

import pytest
from django.test import RequestFactory

from newsroom.net import client_ip


def request(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.fixture
def trusted(settings):
    def configure(*networks):
        settings.TRUSTED_PROXIES = list(networks)
        settings.TRUSTED_PROXY_NETWORKS = [ipaddress.ip_network(n, strict=False) for n in networks]

    configure()
    return configure


def test_without_trusted_proxies_a_forwarded_header_is_ignored(trusted):
    assert client_ip(request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"
    assert client_ip(request("203.0.113.9", "127.0.0.1, 10.0.0.1")) == "203.0.113.9"


def test_a_header_from_an_untrusted_peer_is_ignored(trusted):
    trusted("10.0.0.0/8")
    assert client_ip(request("198.51.100.7", "1.2.3.4")) == "198.51.100.7"


def test_the_address_a_trusted_proxy_saw_is_the_client(trusted):
    trusted("10.0.0.1")
    assert client_ip(request("10.0.0.1", "192.0.2.44")) == "192.0.2.44"


def test_a_chain_is_read_from_the_right_and_stops_at_the_first_untrusted_hop(trusted):
    trusted("10.0.0.0/8")
    # The client prepended a fake address; the proxies appended what they saw.
    forwarded = "6.6.6.6, 192.0.2.44, 10.1.2.3"
    assert client_ip(request("10.0.0.1", forwarded)) == "192.0.2.44"


def test_a_spoofed_trusted_looking_address_on_the_left_does_not_help(trusted):
    trusted("10.0.0.0/8")
    assert client_ip(request("10.0.0.1", "10.9.9.9, 192.0.2.44")) == "192.0.2.44"


def test_when_every_hop_is_a_trusted_proxy_the_leftmost_is_the_answer(trusted):
    trusted("10.0.0.0/8")
    assert client_ip(request("10.0.0.1", "10.0.0.3, 10.0.0.2")) == "10.0.0.3"


@pytest.mark.parametrize(
    "forwarded",
    ["", " , ,", "unknown", "not-an-ip, 192.0.2.44", "192.0.2.44:443", "<script>", "\u202e1.1.1.1"],
)
def test_garbage_in_the_header_never_becomes_the_client_address(trusted, forwarded):
    trusted("10.0.0.0/8")
    result = client_ip(request("10.0.0.1", forwarded))
    ipaddress.ip_address(result)
    assert result in {"10.0.0.1", "192.0.2.44"}


def test_garbage_stops_the_walk_at_the_last_good_hop(trusted):
    trusted("10.0.0.0/8")
    assert client_ip(request("10.0.0.1", "1.1.1.1, junk, 10.0.0.7")) == "10.0.0.7"


def test_ipv6_proxies_and_clients(trusted):
    trusted("fd00::/8", "127.0.0.1")
    assert client_ip(request("fd00::1", "2001:db8::5")) == "2001:db8::5"
    assert client_ip(request("127.0.0.1", "2001:db8::5, fd00::2")) == "2001:db8::5"
    assert client_ip(request("2001:db8::9", "2001:db8::5")) == "2001:db8::9"


def test_a_huge_header_is_handled(trusted):
    trusted("10.0.0.0/8")
    forwarded = ", ".join(["10.0.0.2"] * 5000 + ["192.0.2.44", "10.0.0.3"])
    assert client_ip(request("10.0.0.1", forwarded)) == "192.0.2.44"
