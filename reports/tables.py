"""The columns of the statistics tables: one definition for the page, the CSV and the XLSX."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .selectors import FigureRow, Report

INT, MINUTES, SHARE, AVERAGE = "int", "minutes", "share", "average"


@dataclass(frozen=True)
class Column:
    name: str
    title: object
    kind: str = INT

    def value(self, row: FigureRow):
        return getattr(row, self.name)


BOOKING_COLUMNS = [
    Column("bookings", _("Bookings")),
    Column("cancellations", _("Cancellations")),
    Column("no_shows", _("No-shows")),
    Column("no_show_rate", _("No-show rate"), SHARE),
    Column("bundle_visits", _("Booked as one visit for a bundle (一件事)")),
]
VISIT_COLUMNS = [
    Column("check_ins", _("Check-ins")),
    Column("walk_ins", _("Walk-ins")),
    Column("served", _("Served")),
    Column("wait_median", _("Wait, median (min)"), MINUTES),
    Column("wait_p90", _("Wait, 90th percentile (min)"), MINUTES),
    Column("service_median", _("Service time, median (min)"), MINUTES),
    Column("service_p90", _("Service time, 90th percentile (min)"), MINUTES),
    Column("on_time_share", _("Booked residents called within 15 min"), SHARE),
]
DOCUMENT_COLUMNS = [
    Column("docs_decided", _("Documents decided")),
    Column("docs_in_time_share", _("Decided within the time limit"), SHARE),
    Column("docs_in_bundles", _("Decided as part of a bundle (一件事)")),
]
EVALUATION_COLUMNS = [
    Column("eval_count", _("Evaluations")),
    Column("eval_average", _("Average rating"), AVERAGE),
    Column("eval_low", _("Poor ratings (1–2)")),
]
ALL_COLUMNS = BOOKING_COLUMNS + VISIT_COLUMNS + DOCUMENT_COLUMNS + EVALUATION_COLUMNS

# name: (title, first column's title, the report's rows, columns)
TABLES = {
    "office": (_("Per office"), _("Office"), "by_office", ALL_COLUMNS),
    "service": (_("Per service"), _("Service"), "by_service", ALL_COLUMNS),
    # Bookings belong to no counter: a counter's row starts at check-in.
    "counter": (_("Per counter"), _("Counter"), "by_counter", VISIT_COLUMNS + EVALUATION_COLUMNS),
    "day": (_("Per day"), _("Day"), "by_day", ALL_COLUMNS),
}


@dataclass
class Table:
    name: str
    title: object
    label_title: object
    columns: list[Column]
    rows: list[FigureRow]
    total: FigureRow | None


def report_tables(report: Report) -> list[Table]:
    return [report_table(report, name) for name in TABLES]


def report_table(report: Report, name: str) -> Table:
    title, label_title, attribute, columns = TABLES[name]
    total = None if name == "counter" else report.total
    return Table(name, title, label_title, columns, getattr(report, attribute), total)
