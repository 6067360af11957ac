"""figures_rebuild: the figures of a hand-built day, percentiles over several days, idempotence,
and the documents and evaluations delivered by the other apps."""

import datetime as dt
import math
import statistics

import pytest

from reports import sources
from reports.actions import figures_rebuild
from reports.models import DailyFigure, MinuteCount
from reports.selectors import figure_report

from .factories import DAY, at, hand_built_day, small_office, visit

pytestmark = pytest.mark.django_db


def nearest_rank(values: list[int], share: float) -> int:
    ordered = sorted(values)
    return ordered[math.ceil(share * len(ordered)) - 1]


@pytest.fixture
def day_built():
    office, service, counters = small_office()
    expected = hand_built_day(office, service, counters)
    figures_rebuild(first=DAY, last=DAY)
    return office, service, counters, expected


def test_the_figures_of_a_hand_built_day(day_built):
    office, service, (c1, c2), expected = day_built
    report = figure_report(office_ids={office.pk}, first=DAY, last=DAY)
    total = report.total
    assert (total.bookings, total.cancellations, total.no_shows) == (5, 1, 1)
    assert (total.check_ins, total.walk_ins, total.served) == (6, 3, 5)
    assert total.no_show_rate == pytest.approx(1 / 4)  # of the 4 bookings not cancelled
    assert total.on_time_share == pytest.approx(2 / 3)  # b1 and b5 called within 15 min
    assert total.wait_median == statistics.median_low(expected["waits"]) == 10
    assert total.wait_p90 == nearest_rank(expected["waits"], 0.9) == 22
    assert total.service_median == statistics.median_low(expected["service_times"]) == 6
    assert total.service_p90 == nearest_rank(expected["service_times"], 0.9) == 20
    counters = {row.key: row for row in report.by_counter}
    assert counters[c1.pk].wait_median == statistics.median_low(expected["waits_c1"])
    assert counters[c2.pk].wait_p90 == nearest_rank(expected["waits_c2"], 0.9) == 8
    assert (counters[c1.pk].served, counters[c2.pk].served) == (3, 2)
    assert [row.label for row in report.by_day] == [DAY.isoformat()]
    assert report.by_service[0].label == str(service.name)


def test_percentiles_over_a_range_come_from_the_visits_not_from_daily_medians():
    office, service, (c1, _c2) = small_office()
    second = DAY + dt.timedelta(days=1)
    waits = {DAY: [1, 2, 3], second: [10, 20]}
    for day, minutes in waits.items():
        for n, wait in enumerate(minutes):
            arrived = at(9 + n, 0, day=day)
            visit(office, service, arrived=arrived, called=arrived + dt.timedelta(minutes=wait),
                  finished=arrived + dt.timedelta(minutes=wait + 5), counter=c1)  # fmt: skip
    figures_rebuild(first=DAY, last=second)
    report = figure_report(office_ids={office.pk}, first=DAY, last=second)
    everything = waits[DAY] + waits[second]
    assert [row.wait_median for row in report.by_day] == [2, 10]
    assert report.total.wait_median == statistics.median_low(everything) == 3
    assert report.total.wait_p90 == nearest_rank(everything, 0.9) == 20
    only_second = figure_report(office_ids={office.pk}, first=second, last=second)
    assert only_second.total.wait_median == 10


def test_a_rebuild_replaces_the_days_rows_and_leaves_other_offices_alone(day_built):
    office, service, (c1, _c2), _expected = day_built
    other, other_service, other_counters = small_office()
    hand_built_day(other, other_service, other_counters)
    figures_rebuild(first=DAY, last=DAY)
    rows = DailyFigure.objects.count()
    minutes = MinuteCount.objects.count()
    figures_rebuild(first=DAY, last=DAY)
    assert (DailyFigure.objects.count(), MinuteCount.objects.count()) == (rows, minutes)

    visit(office, service, arrived=at(15, 0), called=at(15, 59), finished=at(16, 0), counter=c1)
    figures_rebuild(first=DAY, last=DAY, office_ids=[office.pk])
    mine = figure_report(office_ids={office.pk}, first=DAY, last=DAY).total
    theirs = figure_report(office_ids={other.pk}, first=DAY, last=DAY).total
    assert (mine.check_ins, mine.wait_p90) == (7, 59)
    assert (theirs.check_ins, theirs.wait_p90) == (6, 22)


def test_a_rebuild_of_an_empty_day_removes_its_old_figures(day_built):
    office, *_ = day_built
    from queues.models import Ticket

    Ticket.objects.all().delete()
    figures_rebuild(first=DAY, last=DAY)
    total = figure_report(office_ids={office.pk}, first=DAY, last=DAY).total
    assert (total.check_ins, total.bookings, total.wait_median) == (0, 5, None)


def test_documents_and_evaluations_from_the_other_apps_are_counted(monkeypatch):
    office, service, (c1, _c2) = small_office()
    monkeypatch.setattr(
        sources,
        "request_decisions_by_office_day",
        lambda *, first, last: [
            {"office_id": office.pk, "service_id": service.pk, "day": DAY, "decided": 4,
             "decided_in_time": 3},
        ],
    )  # fmt: skip
    monkeypatch.setattr(
        sources,
        "evaluation_counts_by_office_day",
        lambda *, first, last: [
            {"office_id": office.pk, "service_id": service.pk, "counter_id": c1.pk, "day": DAY,
             "count": 3, "total": 11, "low": 1},
            {"office_id": office.pk, "service_id": service.pk, "counter_id": None, "day": DAY,
             "count": 1, "total": 5, "low": 0},
        ],
    )  # fmt: skip
    figures_rebuild(first=DAY, last=DAY)
    report = figure_report(office_ids={office.pk}, first=DAY, last=DAY)
    assert report.total.docs_in_time_share == pytest.approx(3 / 4)
    assert report.total.eval_average == pytest.approx(16 / 4)
    assert report.total.eval_low == 1
    assert report.by_counter[0].eval_average == pytest.approx(11 / 3)


def test_last_before_first_is_refused():
    with pytest.raises(ValueError):
        figures_rebuild(first=DAY, last=DAY - dt.timedelta(days=1))


def test_whole_months_and_the_days_around_them_add_up_exactly():
    """A range of 2026-02-25…2026-04-02 reads March from its monthly rows and the other days
    from daily rows; a later change of a March day reaches the monthly row."""
    office, service, (c1, _c2) = small_office()
    days_waits = [
        (dt.date(2026, 2, 24), 50),  # before the range
        (dt.date(2026, 2, 27), 1),
        (dt.date(2026, 3, 10), 2),
        (dt.date(2026, 3, 31), 30),
        (dt.date(2026, 4, 1), 4),
        (dt.date(2026, 4, 3), 60),  # after the range
    ]
    for day, wait in days_waits:
        arrived = at(9, 0, day=day)
        visit(office, service, arrived=arrived, called=arrived + dt.timedelta(minutes=wait),
              finished=arrived + dt.timedelta(minutes=wait + 3), counter=c1)  # fmt: skip
    figures_rebuild(first=dt.date(2026, 2, 1), last=dt.date(2026, 4, 30))
    first, last = dt.date(2026, 2, 25), dt.date(2026, 4, 2)
    report = figure_report(office_ids={office.pk}, first=first, last=last)
    inside = [1, 2, 30, 4]
    assert report.total.check_ins == 4
    assert report.total.wait_median == statistics.median_low(inside) == 2
    assert report.total.wait_p90 == nearest_rank(inside, 0.9) == 30
    assert report.by_service[0].wait_p90 == 30 and report.by_counter[0].check_ins == 4
    assert [row.label for row in report.by_day] == [
        "2026-02-27", "2026-03-10", "2026-03-31", "2026-04-01",
    ]  # fmt: skip

    arrived = at(10, 0, day=dt.date(2026, 3, 11))
    visit(office, service, arrived=arrived, called=arrived + dt.timedelta(minutes=45),
          finished=arrived + dt.timedelta(minutes=50), counter=c1)  # fmt: skip
    figures_rebuild(first=dt.date(2026, 3, 11), last=dt.date(2026, 3, 11))
    report = figure_report(office_ids={office.pk}, first=first, last=last)
    assert report.by_service[0].check_ins == 5
    assert report.by_service[0].wait_p90 == nearest_rank([*inside, 45], 0.9) == 45
