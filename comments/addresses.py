"""Who is posting or reporting, as far as an address can tell; kept only as a keyed hash.

One IPv6 subscriber usually holds a whole /64 and can pick a new address in it at
will, so an IPv6 address counts by its /64 network: one poster for the rate limit,
one reporter, one address for bans. An IPv4 address (or IPv4 mapped into IPv6)
counts alone.
"""

import ipaddress

from newsroom.net import client_ip

from .models import keyed_hash

IPV6_PREFIX = 64


def address_identity(address):
    """The part of an address that identifies one client: an IPv4 address, or an
    IPv6 /64 network. Anything unparseable is kept as it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/{IPV6_PREFIX}", strict=False))
    return str(ip)


def address_hash(request):
    """The keyed hash of the client's address identity (stored as `Comment.ip_hash`)."""
    return keyed_hash("ip", address_identity(client_ip(request)))


def reporter_hash(request):
    """One reporter: a signed-in account from any address, or else an address identity."""
    if request.user.is_authenticated:
        return keyed_hash("reporter", f"user:{request.user.pk}")
    return keyed_hash("reporter", f"ip:{address_identity(client_ip(request))}")
