"""Rebuilding the aggregated figures. The only writes of the statistics app."""

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Field, Model, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from appointments.constants import BookingStatus
from appointments.models import Booking
from queues.constants import TicketStatus
from queues.models import Ticket
from services.models import Office

from . import sources
from .constants import HISTOGRAM_MINUTES, ON_TIME_MINUTES, Kind
from .expressions import MinutesBetween
from .models import DAILY, MONTHLY, DailyFigure, Level, MinuteCount, RebuildMark

BATCH = 5000
Key = tuple[int, int, int | None, dt.date]  # office, service, counter, day


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, Field) and field.column  # a column of the model itself
    return field.column


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _booking_figures(
    first: dt.date, last: dt.date, office_ids: Collection[int] | None
) -> list[tuple[Key, Mapping[str, Any]]]:
    """Bookings made for each day (by the slot's day), with their cancellations and no-shows."""
    bookings = Booking.objects.filter(
        start__gte=_local_midnight(first), start__lt=_local_midnight(last + dt.timedelta(days=1))
    )
    if office_ids is not None:
        bookings = bookings.filter(office_id__in=office_ids)
    rows = (
        bookings.annotate(local_day=TruncDate("start", tzinfo=timezone.get_current_timezone()))
        .values("office_id", "service_id", "local_day")
        .annotate(
            bookings=Count("id"),
            cancellations=Count("id", filter=Q(status=BookingStatus.CANCELLED)),
            no_shows=Count("id", filter=Q(status=BookingStatus.NO_SHOW)),
            bundle_visits=Count("id", filter=Q(bundle__isnull=False)),
        )
    )
    return [((r["office_id"], r["service_id"], None, r["local_day"]), r) for r in rows]


def _tickets(first: dt.date, last: dt.date, office_ids: Collection[int] | None) -> QuerySet[Ticket]:
    rows = Ticket.objects.filter(day__gte=first, day__lte=last)
    if office_ids is not None:
        rows = rows.filter(office_id__in=office_ids)
    return rows


def _ticket_figures(
    first: dt.date, last: dt.date, office_ids: Collection[int] | None
) -> list[tuple[Key, Mapping[str, Any]]]:
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


def _histograms(
    first: dt.date, last: dt.date, office_ids: Collection[int] | None
) -> dict[tuple[Key, str, int], int]:
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


def _source_figures(
    first: dt.date, last: dt.date, office_ids: Collection[int] | None
) -> list[tuple[Key, Mapping[str, Any]]]:
    found: list[tuple[Key, Mapping[str, Any]]] = []
    for r in sources.request_decisions_by_office_day(first=first, last=last):
        key = (r["office_id"], r["service_id"], None, r["day"])
        found.append((key, {"docs_decided": r["decided"], "docs_in_time": r["decided_in_time"],
                            "docs_in_bundles": r.get("in_bundle", 0)}))
    for r in sources.evaluation_counts_by_office_day(first=first, last=last):
        key = (r["office_id"], r["service_id"], r.get("counter_id"), r["day"])
        found.append(
            (key, {"eval_count": r["count"], "eval_sum": r["total"], "eval_low": r["low"]})
        )
    if office_ids is None:
        return found
    return [(key, values) for key, values in found if key[0] in office_ids]


COUNT_FIELDS = (
    "bookings", "cancellations", "no_shows", "bundle_visits", "check_ins", "walk_ins", "served",
    "booked_served", "on_time", "docs_decided", "docs_in_time", "docs_in_bundles", "eval_count",
    "eval_sum", "eval_low",
)  # fmt: skip


def _merged(parts: list[list[tuple[Key, Mapping[str, Any]]]]) -> dict[Key, dict]:
    merged: dict[Key, dict] = defaultdict(lambda: dict.fromkeys(COUNT_FIELDS, 0))
    for part in parts:
        for key, values in part:
            target = merged[key]
            for name in COUNT_FIELDS:
                target[name] += values.get(name, 0) or 0
    return merged


def _at_level(level: str, key: Key) -> tuple:
    """The row key of a detailed key (office, service, counter, day) at one daily level."""
    office, service, counter, day = key
    if level == Level.SERVICE_DAY:
        return (level, office, service, None, day)
    if level == Level.COUNTER_DAY:
        return (level, office, None, counter, day)
    return (level, office, None, None, day)


def _daily_rows(merged: dict[Key, dict], histograms: dict) -> tuple[list, list]:
    """The rows of the three daily levels, summed from the detailed keys."""
    figures: dict[tuple, list[int]] = {}
    minutes: dict[tuple, int] = defaultdict(int)
    for level in DAILY:
        for key, values in merged.items():
            row = figures.setdefault(_at_level(level, key), [0] * len(COUNT_FIELDS))
            for i, name in enumerate(COUNT_FIELDS):
                row[i] += values[name]
        for (key, kind, minute), n in histograms.items():
            minutes[(*_at_level(level, key), kind, minute)] += n
    return (
        [(*key, *values) for key, values in figures.items()],
        [(*key, n) for key, n in minutes.items()],
    )


def _insert(model: type[Model], columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """Many rows at once: COPY on PostgreSQL (a year of a city is a million histogram rows),
    bulk_create elsewhere."""
    if connection.vendor == "postgresql":
        names = ", ".join(f'"{_column(model, c)}"' for c in columns)
        sql = f'COPY "{model._meta.db_table}" ({names}) FROM STDIN'
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
        return
    objects = (model(**dict(zip(columns, row, strict=True))) for row in rows)
    model._default_manager.bulk_create(objects, batch_size=BATCH)


KEY_COLUMNS = ("level", "office_id", "service_id", "counter_id", "day")
FIGURE_COLUMNS = (*KEY_COLUMNS, *COUNT_FIELDS)
MINUTE_COLUMNS = (*KEY_COLUMNS, "kind", "minute", "count")


def _delete(
    levels: Collection[str], first: dt.date, last: dt.date, office_ids: Collection[int] | None
) -> None:
    for model in (DailyFigure, MinuteCount):
        old = model.objects.filter(level__in=levels, day__gte=first, day__lte=last)
        if office_ids is not None:
            old = old.filter(office_id__in=office_ids)
        old._raw_delete(old.db)  # no cascades or signals hang on these rows: one DELETE each


def _months_rebuild(first: dt.date, last: dt.date, office_ids: Collection[int] | None) -> None:
    """The monthly rows of every month touched, summed from its daily rows in the database."""
    month_first = first.replace(day=1)
    month_last = (last.replace(day=1) + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(1)
    _delete(list(MONTHLY.values()), month_first, month_last, office_ids)
    keys = ("level", "office_id", "service_id", "counter_id", "month")
    for model, columns, sums in (
        (DailyFigure, FIGURE_COLUMNS, {name: Sum(name) for name in COUNT_FIELDS}),
        (MinuteCount, MINUTE_COLUMNS, {"n": Sum("count")}),
    ):
        daily = model.objects.filter(level__in=DAILY, day__gte=month_first, day__lte=month_last)
        if office_ids is not None:
            daily = daily.filter(office_id__in=office_ids)
        extra = ("kind", "minute") if model is MinuteCount else ()
        rows = (
            daily.annotate(month=TruncMonth("day"))
            .values(*keys, *extra)
            .annotate(**sums)
            .order_by()
            .values_list(*keys, *extra, *sums)
        )
        # Read before writing: a COPY holds the connection until it ends.
        found = [(MONTHLY[r[0]], *r[1:]) for r in rows]
        _insert(model, columns, found)


@transaction.atomic
def figures_rebuild(*, first: dt.date, last: dt.date, office_ids: list[int] | None = None) -> int:
    """Recompute the figures of the days `first`…`last` (of `office_ids`, or every office), and
    of the months they fall in: the rows are replaced in one transaction, so a rebuild can run
    again at any time. The offices' rows are locked first: two rebuilds of the same office wait
    for each other. Returns the number of daily figure rows written."""
    if last < first:
        raise ValueError("last day before first day")
    offices = Office.objects.select_for_update().order_by("pk")
    if office_ids is not None:
        office_ids = sorted(set(office_ids))
        offices = offices.filter(pk__in=office_ids)
    list(offices.values_list("pk", flat=True))
    _delete(DAILY, first, last, office_ids)
    merged = _merged(
        [
            _booking_figures(first, last, office_ids),
            _ticket_figures(first, last, office_ids),
            _source_figures(first, last, office_ids),
        ]
    )
    figures, minutes = _daily_rows(merged, _histograms(first, last, office_ids))
    _insert(DailyFigure, FIGURE_COLUMNS, figures)
    _insert(MinuteCount, MINUTE_COLUMNS, minutes)
    _months_rebuild(first, last, office_ids)
    _mark_rebuilt()
    return len(figures)


def _mark_rebuilt() -> None:
    mark, _created = RebuildMark.objects.select_for_update().get_or_create(pk=1)
    RebuildMark.objects.filter(pk=mark.pk).update(
        version=F("version") + 1, rebuilt_at=timezone.now()
    )
