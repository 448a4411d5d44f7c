"""The client's address, taken only from sources the deployment trusts."""

import ipaddress

from django.conf import settings


def _is_trusted(address):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.TRUSTED_PROXY_NETWORKS)


def client_ip(request):
    """The address that reached the first trusted proxy.

    `X-Forwarded-For` is read right to left and believed only while each hop is a
    configured trusted proxy (`TRUSTED_PROXIES`); with none configured, the socket
    address is the answer and the header anyone can set is ignored.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if not settings.TRUSTED_PROXY_NETWORKS or not _is_trusted(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    address = remote
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break
        address = hop
        if not _is_trusted(hop):
            break
    return address
