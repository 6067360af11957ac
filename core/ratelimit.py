"""The one fixed-window counter behind the pages' per-address and per-account limits (booking
look-up, mailbox, certificate verification, attaching a booking to an account). The API's limits
are DRF throttles (core/api.py); both count the client by `core.client_ip`.

Counts live in the default cache (Redis in production, shared by every web node)."""

from django.core.cache import cache
from django.http import HttpRequest

from .client_ip import client_ip


def hit(key: str, *, limit: int, seconds: int) -> bool:
    """Count one attempt under `key`; True while at most `limit` fell in the current window."""
    key = "ratelimit:" + key
    cache.add(key, 0, seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, seconds)
        count = 1
    return count <= limit


def address_hit(request: HttpRequest, name: str, *, limit: int, seconds: int) -> bool:
    """`hit` counted per client address (core.client_ip)."""
    return hit(f"{name}:{client_ip(request)}", limit=limit, seconds=seconds)
