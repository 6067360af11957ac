"""The daily report of one office as an A4 PDF: Chinese with English subtitles, yesterday's
figures, a waiting-time chart and the figures per service."""

import datetime as dt

from django.utils import translation
from django.utils.translation import gettext

from core.i18n import bilingual
from core.pdf import render_to_pdf
from services.models import Office

from . import charts, selectors
from .tables import VISIT_COLUMNS


def _labels() -> dict[str, str]:
    return {
        "title": gettext("Daily report"),
        "day": gettext("Day"),
        "bookings": gettext("Bookings"),
        "cancellations": gettext("Cancellations"),
        "no_shows": gettext("No-shows"),
        "no_show_rate": gettext("No-show rate"),
        "check_ins": gettext("Check-ins"),
        "walk_ins": gettext("Walk-ins"),
        "served": gettext("Served"),
        "wait": gettext("Wait, median / 90th percentile (min)"),
        "service_time": gettext("Service time, median / 90th percentile (min)"),
        "on_time": gettext("Booked residents called within 15 min"),
        "docs": gettext("Documents decided in time"),
        "evals": gettext("Evaluations (average rating)"),
        "chart": gettext("Waiting time from check-in to call"),
        "chart_desc": gettext("Residents per waiting minute, 0 to 60 minutes."),
        "per_service": gettext("Per service"),
        "service": gettext("Service"),
        "none": gettext("No visits on this day."),
    }


def daily_report_pdf(*, office: Office, day: dt.date) -> bytes:
    with translation.override("zh-hans"):
        report = selectors.figure_report(office_ids={office.pk}, first=day, last=day)
    context = {
        "office": office,
        "day": day,
        "report": report,
        "t": bilingual(_labels),
        "chart": charts.histogram(selectors.wait_distribution(report.total)),
        "columns": VISIT_COLUMNS,
    }
    return render_to_pdf("reports/report_daily_pdf.html", context, language="zh-hans")
