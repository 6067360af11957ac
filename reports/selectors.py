"""Reading the statistics: sums of the daily figures and of their minute histograms over a date
range, grouped per office, service, counter or day, scoped to the offices the user may see."""

import datetime as dt
import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet, Sum
from django.utils import translation

from accounts.models import User
from accounts.selectors import office_ids_with_perm
from services.models import Counter, Office, Service

from .constants import PERM, Kind
from .models import MONTHLY, DailyFigure, Level, MinuteCount, RebuildMark

SUMMED = (
    "bookings", "cancellations", "no_shows", "bundle_visits", "check_ins", "walk_ins", "served",
    "booked_served", "on_time", "docs_decided", "docs_in_time", "docs_in_bundles", "eval_count",
    "eval_sum", "eval_low",
)  # fmt: skip


def percentile(histogram: dict[int, int], share: float) -> int | None:
    """The nearest-rank percentile of a per-minute histogram: the smallest minute m such that at
    least `share` of the visits took m minutes or less. None when there were no visits."""
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = max(math.ceil(share * total), 1), 0
    for minute in sorted(histogram):
        seen += histogram[minute]
        if seen >= rank:
            return minute
    return max(histogram)  # not reached


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class FigureRow:
    """The sums of one group (an office, a service, a counter, a day or everything)."""

    key: object = None
    label: str = ""
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUMMED, 0))
    wait: dict[int, int] = field(default_factory=dict)
    service_time: dict[int, int] = field(default_factory=dict)

    def __getattr__(self, name: str) -> int:
        counts = self.__dict__.get("counts", {})
        if name in counts:
            return counts[name]
        raise AttributeError(name)

    def add(self, other: "FigureRow") -> None:
        for name in SUMMED:
            self.counts[name] += other.counts[name]
        for mine, theirs in ((self.wait, other.wait), (self.service_time, other.service_time)):
            for minute, n in theirs.items():
                mine[minute] = mine.get(minute, 0) + n

    @property
    def wait_median(self) -> int | None:
        return percentile(self.wait, 0.5)

    @property
    def wait_p90(self) -> int | None:
        return percentile(self.wait, 0.9)

    @property
    def service_median(self) -> int | None:
        return percentile(self.service_time, 0.5)

    @property
    def service_p90(self) -> int | None:
        return percentile(self.service_time, 0.9)

    @property
    def no_show_rate(self) -> float | None:
        """No-shows among the bookings that were not cancelled."""
        counts = self.counts
        return _ratio(counts["no_shows"], counts["bookings"] - counts["cancellations"])

    @property
    def on_time_share(self) -> float | None:
        """Booked residents called within 15 minutes of their slot, among those served."""
        return _ratio(self.counts["on_time"], self.counts["booked_served"])

    @property
    def docs_in_time_share(self) -> float | None:
        return _ratio(self.counts["docs_in_time"], self.counts["docs_decided"])

    @property
    def eval_average(self) -> float | None:
        return _ratio(self.counts["eval_sum"], self.counts["eval_count"])

    @property
    def eval_low_share(self) -> float | None:
        return _ratio(self.counts["eval_low"], self.counts["eval_count"])


@dataclass
class Report:
    first: dt.date
    last: dt.date
    rebuilt_at: dt.datetime | None
    offices: list[Office]
    total: FigureRow
    by_office: list[FigureRow]
    by_service: list[FigureRow]
    by_counter: list[FigureRow]
    by_day: list[FigureRow]


def report_office_ids(user: User) -> set[int] | None:
    """The offices whose statistics `user` may read; None: every office (the bureau)."""
    return office_ids_with_perm(user, PERM)


def report_office_list(user: User) -> QuerySet[Office]:
    ids = report_office_ids(user)
    offices = Office.objects.order_by("code")
    return offices if ids is None else offices.filter(pk__in=ids)


def _month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of the months lying wholly inside first…last."""
    month = (
        first if first.day == 1 else (first.replace(day=1) + dt.timedelta(days=31)).replace(day=1)
    )
    found: list[dt.date] = []
    while True:
        following = (month + dt.timedelta(days=31)).replace(day=1)
        if following - dt.timedelta(days=1) > last:
            return found
        found.append(month)
        month = following


def _range(queryset: QuerySet, daily: str, first: dt.date, last: dt.date) -> QuerySet:
    """Rows covering first…last exactly: monthly rows for whole months, daily rows for the
    days before and after them."""
    months = _month_starts(first, last)
    if not months:
        return queryset.filter(level=daily, day__gte=first, day__lte=last)
    end = (months[-1] + dt.timedelta(days=31)).replace(day=1)
    return queryset.filter(
        Q(level=MONTHLY[Level(daily)], day__in=months)
        | Q(level=daily, day__gte=first, day__lt=months[0])
        | Q(level=daily, day__gte=end, day__lte=last)
    )


# grouping: (the daily level that holds it, the column, whether months may stand in for days)
GROUPS = {
    "office": (Level.OFFICE_DAY, "office_id", True),
    "service": (Level.SERVICE_DAY, "service_id", True),
    "counter": (Level.COUNTER_DAY, "counter_id", True),
    "day": (Level.OFFICE_DAY, "day", False),
}


def _grouped(
    office_ids: Collection[int] | None, first: dt.date, last: dt.date, group: str
) -> dict[Any, FigureRow]:
    daily, column, by_month = GROUPS[group]
    querysets = []
    for model in (DailyFigure, MinuteCount):
        queryset = model.objects.all()
        if office_ids is not None:
            queryset = queryset.filter(office_id__in=office_ids)
        if by_month:
            queryset = _range(queryset, daily, first, last)
        else:
            queryset = queryset.filter(level=daily, day__gte=first, day__lte=last)
        if group == "counter":
            queryset = queryset.filter(counter__isnull=False)
        querysets.append(queryset)
    figures, minutes = querysets
    rows: dict[object, FigureRow] = {}
    sums = figures.values(column).annotate(**{n: Sum(n) for n in SUMMED}).order_by()
    for r in sums:
        rows[r[column]] = FigureRow(key=r[column], counts={n: r[n] or 0 for n in SUMMED})
    buckets = minutes.values_list(column, "kind", "minute").annotate(n=Sum("count")).order_by()
    for key, kind, minute, n in buckets:
        row = rows.setdefault(key, FigureRow(key=key))
        (row.wait if kind == Kind.WAIT else row.service_time)[minute] = n
    return rows


def _labelled(rows: dict, names: dict) -> list[FigureRow]:
    for key, row in rows.items():
        row.label = names.get(key, "")
    return sorted(rows.values(), key=lambda row: row.label)


def figure_report(*, office_ids: set[int] | None, first: dt.date, last: dt.date) -> Report:
    """The statistics of `office_ids` (None: all) from `first` to `last`, in every grouping."""
    by_office = _grouped(office_ids, first, last, "office")
    by_service = _grouped(office_ids, first, last, "service")
    by_counter = _grouped(office_ids, first, last, "counter")
    by_day = _grouped(office_ids, first, last, "day")
    offices = Office.objects.in_bulk(list(by_office))
    services = Service.objects.in_bulk(list(by_service))
    counters = Counter.objects.select_related("office").in_bulk(list(by_counter))
    total = FigureRow(label="")
    for row in by_office.values():
        total.add(row)
    for day, row in by_day.items():
        row.label = day.isoformat()
    return Report(
        first=first,
        last=last,
        rebuilt_at=None,
        offices=sorted(offices.values(), key=lambda o: o.code),
        total=total,
        by_office=_labelled(by_office, {k: str(o.name) for k, o in offices.items()}),
        by_service=_labelled(by_service, {k: str(s.name) for k, s in services.items()}),
        by_counter=_labelled(by_counter, {k: _counter_label(c) for k, c in counters.items()}),
        by_day=[by_day[day] for day in sorted(by_day)],
    )


def _counter_label(counter: Counter) -> str:
    return f"{counter.office.name} · {counter.name or counter.number}"


def wait_distribution(row: FigureRow, *, up_to: int = 60) -> list[tuple[int, int]]:
    """(minute, visits) for 0…up_to, the last bucket holding every longer wait."""
    found = [0] * (up_to + 1)
    for minute, n in row.wait.items():
        found[min(minute, up_to)] += n
    return list(enumerate(found))


CACHE_SECONDS = 3600


def report_get(*, office_ids: set[int] | None, first: dt.date, last: dt.date) -> Report:
    """`figure_report`, cached until the next rebuild: the figures only change when the
    aggregation task runs, so repeated views and exports of a range cost one small query."""
    mark = RebuildMark.objects.filter(pk=1).values_list("version", "rebuilt_at").first()
    version, rebuilt_at = mark or (0, None)
    scope = "all" if office_ids is None else ",".join(map(str, sorted(office_ids)))
    key = f"reports:{version}:{translation.get_language()}:{scope}:{first}:{last}"
    report = cache.get(key)
    if report is None:
        report = figure_report(office_ids=office_ids, first=first, last=last)
        report.rebuilt_at = rebuilt_at
        cache.set(key, report, CACHE_SECONDS)
    return report


def report_warm(*, first: dt.date, last: dt.date) -> int:
    """Compute the dashboard's default view (each office alone, and the bureau's all offices) in
    both languages into the cache right after a rebuild, so a station head opening the page
    meets a ready answer instead of the first, uncached query. With a shared cache
    (CACHE_URL on Redis) the worker's work serves every web process."""
    from django.conf import settings

    scopes: list[set[int] | None] = [{pk} for pk in Office.objects.values_list("pk", flat=True)]
    scopes.append(None)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for office_ids in scopes:
                report_get(office_ids=office_ids, first=first, last=last)
    return len(scopes) * len(settings.LANGUAGES)
