"""Prometheus metrics at `/metrics` (docs/deploy.md, "Logs, errors and metrics").

Counted in the processes (prometheus-client; with `PROMETHEUS_MULTIPROC_DIR` set, as
deploy/run.sh does for gunicorn, every worker process writes its own file and `/metrics` adds
them up):
- `onewindow_http_request_duration_seconds{view,method,status}`: each request, by URL name;
- `onewindow_bookings_total{outcome}`: "booked" once the booking commits, else the refusal's
  code (`slot_full`, `too_late`, …): `booking_outcome_counted` on `booking_create`;
- `onewindow_call_next_duration_seconds`: the clerk's "call next" action (`timed`).
Read from the database at each scrape (the same for every node, whichever answers):
- `onewindow_outbox_rows{status}`, `onewindow_outbox_due_rows`,
  `onewindow_outbox_oldest_unfinished_seconds`: the outbox of side effects (core/outbox.py);
- `onewindow_task_failures{task}`: Celery tasks that failed for good (core/tasks.py's dead
  letters, kept 30 days).

`/metrics` answers only a `Authorization: Bearer <METRICS_TOKEN>` or a client address inside
`METRICS_ALLOWED_NETWORKS` (by core.client_ip); anyone else gets 404. Neither set: nobody.
"""

import functools
import hmac
import ipaddress
import os
import time
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .client_ip import client_ip
from .errors import DomainError

P = ParamSpec("P")
R = TypeVar("R")

REQUEST_SECONDS = Histogram(
    "onewindow_http_request_duration_seconds",
    "Time from the request's arrival to its response, by URL name.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BOOKINGS = Counter(
    "onewindow_bookings",
    "Booking attempts by outcome: booked, or the code of the refusal.",
    ["outcome"],
)
CALL_NEXT_SECONDS = Histogram(
    "onewindow_call_next_duration_seconds",
    "Time the clerk's call-next action takes (lock, pick, update).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)


# --- counting ------------------------------------------------------------------------------------


class MetricsMiddleware:
    """Outermost: times the whole request, labelled by the URL name it resolved to."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        view = (match.view_name or match.route) if match is not None else "unmatched"
        REQUEST_SECONDS.labels(view, request.method or "", str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response


def booking_outcome_counted(action: Callable[P, R]) -> Callable[P, R]:
    """Count each call of the booking action: "booked" when its transaction commits, the
    DomainError's code when it refuses."""

    @functools.wraps(action)
    def counted(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = action(*args, **kwargs)
        except DomainError as refusal:
            BOOKINGS.labels(refusal.code).inc()
            raise
        transaction.on_commit(BOOKINGS.labels("booked").inc)
        return result

    return counted


def timed(histogram: Histogram) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorate(action: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(action)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            try:
                return action(*args, **kwargs)
            finally:
                histogram.observe(time.perf_counter() - started)

        return run

    return decorate


# --- read at each scrape -------------------------------------------------------------------------


class DatabaseCollector(Collector):
    """The database's figures; with the database away, only `onewindow_metrics_database_up 0`
    (the processes' own metrics are still served)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            families = list(self._from_database())
        except DatabaseError:
            families = []
        yield GaugeMetricFamily(
            "onewindow_metrics_database_up",
            "1 when the figures read from the database at this scrape are present.",
            value=1 if families else 0,
        )
        yield from families

    def _from_database(self) -> Iterator[GaugeMetricFamily]:
        from .models import TaskDelivery
        from .outbox import outbox_summary

        summary = outbox_summary()
        due, oldest = summary.pop("due"), summary.pop("oldest_age")
        rows = GaugeMetricFamily(
            "onewindow_outbox_rows", "Outbox rows by status.", labels=["status"]
        )
        for status, count in summary.items():
            rows.add_metric([status], count)
        yield rows
        yield GaugeMetricFamily(
            "onewindow_outbox_due_rows", "Outbox rows due to be handed out now.", value=due
        )
        yield GaugeMetricFamily(
            "onewindow_outbox_oldest_unfinished_seconds",
            "Age of the oldest pending or running outbox row (0: none).",
            value=oldest or 0,
        )
        failed = GaugeMetricFamily(
            "onewindow_task_failures",
            "Celery tasks that failed for good (dead letters of the last 30 days), by task.",
            labels=["task"],
        )
        failures = (
            TaskDelivery.objects.filter(state=TaskDelivery.State.FAILED)
            .values_list("name")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for name, count in failures:
            failed.add_metric([name], count)
        yield failed


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    networks = settings.METRICS_ALLOWED_NETWORKS
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        raise Http404
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
        body = generate_latest(processes)
    else:
        body = generate_latest(REGISTRY)
    database = CollectorRegistry()
    database.register(DatabaseCollector())
    body += generate_latest(database)
    response = HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response

