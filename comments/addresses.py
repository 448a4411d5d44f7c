"""Who is posting or reporting, as far as an address can tell; kept only as a keyed hash."""

from newsroom.net import client_ip

from .models import keyed_hash


def address_hash(request):
    return keyed_hash("ip", client_ip(request))
