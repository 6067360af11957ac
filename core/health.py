"""Health endpoints for the load balancer and the orchestrator.

`/healthz` (core.views.health.healthz) says the process answers: no database, no broker, so a
database outage does not get every web node restarted. `/readyz` says the node can do real
work: a trivial query on the database, a ping of the Celery broker and a write and read back on
the cache (where rate limits count), each with a timeout of about a second. It answers 200 when
all pass and 503 naming the check that failed (the exception's type only: no addresses, no
personal data). Both are exempt from the HTTPS redirect (load balancers probe over http).

`/readyz` also lists warnings that do not make the node unready: an outbox row unfinished for
longer than OUTBOX_WARN_AGE_SECONDS (core/outbox.py) means side effects are late — workers or
the relay are down, or a gateway keeps failing — which a 503 would not cure (taking web nodes
out of the load balancer sends nothing); it is for the operator's monitoring, not the balancer.
"""

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from core.redis import client_for

if TYPE_CHECKING:
    import redis

TIMEOUT = 1.0  # seconds, for each check


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_broker() -> None:
    url = settings.CELERY_BROKER_URL
    if url.startswith("memory://"):
        return  # tasks run in this process: there is no broker to reach
    if url.startswith(("redis://", "rediss://")):
        _redis(url).ping()
        return
    from kombu import Connection

    with Connection(url, connect_timeout=TIMEOUT) as conn:
        conn.ensure_connection(max_retries=1, timeout=TIMEOUT)


def _redis(url: str) -> "redis.Redis":
    return client_for(url, timeout=TIMEOUT)


def check_cache() -> None:
    # A key of its own per probe: nodes probed at the same moment must not read each other's.
    value = uuid.uuid4().hex
    key = f"onewindow:readyz:{value}"
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise LookupError("the cache did not return what was stored")


def readiness() -> tuple[bool, dict[str, str]]:
    checks: dict[str, Callable[[], None]] = {
        "database": check_database,
        "broker": check_broker,
        "cache": check_cache,
    }
    results = {}
    for name, check in checks.items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
            results[name] = f"failed: {type(exc).__name__}"
        else:
            results[name] = "ok"
    return all(v == "ok" for v in results.values()), results


def warnings() -> dict[str, str]:
    """Problems to report that leave the node ready (see above)."""
    from .outbox import outbox_summary

    try:
        age = outbox_summary()["oldest_age"]
    except Exception as exc:  # noqa: BLE001 - the database check reports the real failure
        return {"outbox": f"unknown: {type(exc).__name__}"}
    if age is not None and age > settings.OUTBOX_WARN_AGE_SECONDS:
        return {"outbox": f"oldest unfinished side effect is {age} s old"}
    return {}
