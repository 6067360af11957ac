"""One pooled redis-py client per Redis URL (and timeouts), made on first use and shared by the
process's threads: the readiness check, the waiting room and the push publisher each asked for
their own before, with the same few lines.

Every client fails fast: `timeout` bounds the connection and each command, and a command that
timed out is not retried. Their callers fall back at once (/readyz answers 503, the waiting room
lets the request through, pushes pause while the pages poll)."""

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis

DEFAULT_TIMEOUT = 1.0  # seconds

_clients: dict[tuple[str, float, int], "redis.Redis"] = {}
_lock = threading.Lock()


def client_for(
    url: str, *, timeout: float = DEFAULT_TIMEOUT, health_check_interval: int = 0
) -> "redis.Redis":
    """The process's client for `url` with these timeouts. `health_check_interval` (seconds):
    a connection idle that long is pinged before use (a long-lived publisher's)."""
    key = (url, timeout, health_check_interval)
    client = _clients.get(key)
    if client is None:
        import redis

        with _lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = redis.Redis.from_url(
                    url,
                    socket_connect_timeout=timeout,
                    socket_timeout=timeout,
                    retry_on_timeout=False,
                    health_check_interval=health_check_interval,
                )
    return client


def client_made(url: str) -> bool:
    """Whether this process has made a client for `url` (it has talked to that Redis, or was
    about to)."""
    return any(key[0] == url for key in _clients)
