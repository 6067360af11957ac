"""Rebuilding the aggregated figures. The only writes of the statistics app."""

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from appointments.constants import BookingStatus
from appointments.models import Booking
from queues.constants import TicketStatus
from queues.models import Ticket
from services.models import Office

from . import sources
from .constants import HISTOGRAM_MINUTES, ON_TIME_MINUTES, Kind
from .expressions import MinutesBetween
from .models import DailyFigure, MinuteCount, RebuildMark

BATCH = 5000
Key = tuple[int, int, int | None, dt.date]  # office, service, counter, day


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _booking_figures(first: dt.date, last: dt.date, office_ids) -> list[tuple[Key, dict]]:
    """Bookings made for each day (by the slot's day), with their cancellations and no-shows."""
    rows = Booking.objects.filter(
        start__gte=_local_midnight(first), start__lt=_local_midnight(last + dt.timedelta(days=1))
    )
    if office_ids is not None:
        rows = rows.filter(office_id__in=office_ids)
    rows = (
        rows.annotate(local_day=TruncDate("start", tzinfo=timezone.get_current_timezone()))
        .values("office_id", "service_id", "local_day")
        .annotate(
            bookings=Count("id"),
            cancellations=Count("id", filter=Q(status=BookingStatus.CANCELLED)),
            no_shows=Count("id", filter=Q(status=BookingStatus.NO_SHOW)),
        )
    )
    return [((r["office_id"], r["service_id"], None, r["local_day"]), r) for r in rows]


def _tickets(first: dt.date, last: dt.date, office_ids):
    rows = Ticket.objects.filter(day__gte=first, day__lte=last)
    if office_ids is not None:
        rows = rows.filter(office_id__in=office_ids)
    return rows


def _ticket_figures(first: dt.date, last: dt.date, office_ids) -> list[tuple[Key, dict]]:
    booked = Q(booking__isnull=False)
    done = Q(status=TicketStatus.DONE)
    on_time = Q(called_at__lte=F("slot_start") + dt.timedelta(minutes=ON_TIME_MINUTES))
    rows = (
        _tickets(first, last, office_ids)
        .values("office_id", "service_id", "counter_id", "day")
        .annotate(
            check_ins=Count("id"),
            walk_ins=Count("id", filter=~booked),
            served=Count("id", filter=done),
            booked_served=Count("id", filter=done & booked & Q(slot_start__isnull=False)),
            on_time=Count("id", filter=done & booked & Q(slot_start__isnull=False) & on_time),
        )
        .order_by()
    )
    return [((r["office_id"], r["service_id"], r["counter_id"], r["day"]), r) for r in rows]


def _histograms(first: dt.date, last: dt.date, office_ids) -> dict[tuple[Key, str, int], int]:
    """Minute buckets grouped in the database: waiting (check-in → first call) for every
    ticket called, service time (call → finish) for every ticket finished."""
    spans = {
        Kind.WAIT: (Q(called_at__isnull=False), "arrived_at", "called_at"),
        Kind.SERVICE: (Q(status=TicketStatus.DONE, finished_at__isnull=False), "called_at",
                       "finished_at"),
    }  # fmt: skip
    buckets: dict[tuple[Key, str, int], int] = defaultdict(int)
    for kind, (condition, start, end) in spans.items():
        rows = (
            _tickets(first, last, office_ids)
            .filter(condition)
            .annotate(minutes=MinutesBetween(start, end))
            .values("office_id", "service_id", "counter_id", "day", "minutes")
            .annotate(n=Count("id"))
            .order_by()
        )
        for r in rows:
            minute = min(max(r["minutes"], 0), HISTOGRAM_MINUTES)
            key = (r["office_id"], r["service_id"], r["counter_id"], r["day"])
            buckets[(key, kind, minute)] += r["n"]
    return buckets


def _source_figures(first: dt.date, last: dt.date, office_ids) -> list[tuple[Key, dict]]:
    found = []
    for r in sources.request_decisions_by_office_day(first=first, last=last):
        key = (r["office_id"], r["service_id"], None, r["day"])
        found.append((key, {"docs_decided": r["decided"], "docs_in_time": r["decided_in_time"]}))
    for r in sources.evaluation_counts_by_office_day(first=first, last=last):
        key = (r["office_id"], r["service_id"], r.get("counter_id"), r["day"])
        found.append(
            (key, {"eval_count": r["count"], "eval_sum": r["total"], "eval_low": r["low"]})
        )
    if office_ids is None:
        return found
    return [(key, values) for key, values in found if key[0] in office_ids]


COUNT_FIELDS = (
    "bookings", "cancellations", "no_shows", "check_ins", "walk_ins", "served", "booked_served",
    "on_time", "docs_decided", "docs_in_time", "eval_count", "eval_sum", "eval_low",
)  # fmt: skip


def _figure_rows(parts: list[list[tuple[Key, dict]]]) -> list[DailyFigure]:
    merged: dict[Key, dict] = defaultdict(lambda: dict.fromkeys(COUNT_FIELDS, 0))
    for part in parts:
        for key, values in part:
            target = merged[key]
            for name in COUNT_FIELDS:
                target[name] += values.get(name, 0) or 0
    return [
        DailyFigure(office_id=o, service_id=s, counter_id=c, day=d, **values)
        for (o, s, c, d), values in merged.items()
    ]


@transaction.atomic
def figures_rebuild(*, first: dt.date, last: dt.date, office_ids: list[int] | None = None) -> int:
    """Recompute the figures of the days `first`…`last` (of `office_ids`, or every office):
    the days' rows are replaced in one transaction, so a rebuild can run again at any time.
    The offices' rows are locked first: two rebuilds of the same office wait for each other.
    Returns the number of figure rows written."""
    if last < first:
        raise ValueError("last day before first day")
    offices = Office.objects.select_for_update().order_by("pk")
    if office_ids is not None:
        office_ids = set(office_ids)
        offices = offices.filter(pk__in=office_ids)
    list(offices.values_list("pk", flat=True))
    old = DailyFigure.objects.filter(day__gte=first, day__lte=last)
    old_minutes = MinuteCount.objects.filter(day__gte=first, day__lte=last)
    if office_ids is not None:
        old, old_minutes = (
            old.filter(office_id__in=office_ids),
            old_minutes.filter(office_id__in=office_ids),
        )
    old._raw_delete(old.db)  # no cascades or signals hang on these rows: one DELETE each
    old_minutes._raw_delete(old_minutes.db)
    figures = _figure_rows(
        [
            _booking_figures(first, last, office_ids),
            _ticket_figures(first, last, office_ids),
            _source_figures(first, last, office_ids),
        ]
    )
    DailyFigure.objects.bulk_create(figures, batch_size=BATCH)
    MinuteCount.objects.bulk_create(
        (
            MinuteCount(
                office_id=o, service_id=s, counter_id=c, day=d, kind=kind, minute=m, count=n
            )
            for ((o, s, c, d), kind, m), n in _histograms(first, last, office_ids).items()
        ),
        batch_size=BATCH,
    )
    _mark_rebuilt()
    return len(figures)


def _mark_rebuilt() -> None:
    mark, _created = RebuildMark.objects.select_for_update().get_or_create(pk=1)
    RebuildMark.objects.filter(pk=mark.pk).update(
        version=F("version") + 1, rebuilt_at=timezone.now()
    )
