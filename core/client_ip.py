"""The client's address: the one rule every limit counts by (DRF throttles, the pages' limits,
django-axes through `AXES_CLIENT_IP_CALLABLE`, the certificate-verify limit) and records keep.

`X-Forwarded-For` is whatever the client chose to send, except the entries that our own proxies
appended. Two ways to say which proxies are ours (settings, from the environment):

- `TRUSTED_PROXIES`: their addresses or networks. The header counts only when the direct peer
  (`REMOTE_ADDR`) is one of them; the client is then the rightmost entry that is not. This is
  the robust choice: a request that reaches the app past the load balancer is never believed.
- `AXES_IPWARE_PROXY_COUNT` (N): the client is the N-th entry from the right, the address the
  outermost of N proxies appended. Simpler, but trusts the header from any peer.

With neither, the header is ignored altogether. An entry that is not an IP address is never a
client address: the peer's address is used instead.
"""

import functools
import ipaddress

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    trusted = _trusted_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    count = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0
    if not trusted and count <= 0:
        return remote
    chain = _forwarded_chain(request)
    if trusted:
        return _behind_trusted(remote, chain, trusted)
    client = chain[-count] if len(chain) >= count else None
    return str(client) if client is not None else remote


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the direct peer is one of our proxies (`TRUSTED_PROXIES`): only then do the
    headers a proxy sets (X-Forwarded-For, X-Request-Start) say anything about the request."""
    peer = _address(request.META.get("REMOTE_ADDR", "") or "")
    trusted = _trusted_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    return peer is not None and _is_trusted(peer, trusted)


def _forwarded_chain(request: HttpRequest) -> list:
    """The header's entries, oldest first; None for one that is not an address."""
    parts = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    return [_address(part.strip()) for part in parts if part.strip()]


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _behind_trusted(remote: str, chain: list, trusted: tuple[Network, ...]) -> str:
    peer = _address(remote)
    if peer is None or not _is_trusted(peer, trusted):
        return remote
    for entry in reversed(chain):
        if entry is None:  # garbage where our proxy would have written an address
            return remote
        if not _is_trusted(entry, trusted):
            return str(entry)
    return str(chain[0]) if chain else remote


def _is_trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted: tuple[Network, ...]
) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


@functools.lru_cache(maxsize=8)
def _trusted_networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values if value)
