"""The daily PDF report: read back, and sent by the beat task to each office's managers."""

import datetime as dt
import io

import pdfplumber
import pytest
from django.core import mail

from accounts.tests.factories import staff
from notifications.models import Message
from reports import tasks
from reports.actions import figures_rebuild
from reports.printouts import daily_report_pdf

from .factories import DAY, hand_built_day, small_office

pytestmark = pytest.mark.django_db


@pytest.fixture
def office_day():
    office, service, counters = small_office(
        name_zh="东风路派出所", name_en="Dongfeng Road Station"
    )
    hand_built_day(office, service, counters)
    figures_rebuild(first=DAY, last=DAY)
    return office


def pdf_text(content: bytes) -> str:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        assert pdf.pages[0].width == pytest.approx(595, abs=2)  # A4
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def test_the_pdf_has_the_office_and_its_figures(office_day):
    text = pdf_text(daily_report_pdf(office=office_day, day=DAY))
    assert "东风路派出所" in text and "Dongfeng Road Station" in text
    assert "2026-03-02" in text
    assert "日报" in text and "Daily report" in text
    assert "10 / 22" in text  # the wait: median 10 min, 90th percentile 22 min
    assert "25.0%" in text  # the no-show rate


def test_the_beat_task_mails_yesterdays_report_to_the_offices_managers(
    office_day, monkeypatch, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    manager = staff("manager", office=office_day, email="head@station.test")
    staff("manager", office=None, email="bureau@bureau.test")  # reads the dashboard instead
    staff("clerk", office=office_day, email="clerk@station.test")
    other, _service, _counters = small_office()
    staff("manager", office=other, email="other@station.test")
    monkeypatch.setattr(tasks.timezone, "localdate", lambda *a, **k: DAY + dt.timedelta(days=1))
    sent = tasks.reports_send_daily.delay().get()
    assert sent == 2  # this office's manager and the other office's manager
    by_recipient = {email.to[0]: email for email in mail.outbox}
    assert set(by_recipient) == {manager.email, "other@station.test"}
    email = by_recipient[manager.email]
    ((name, content, mimetype),) = email.attachments
    assert mimetype == "application/pdf" and name.endswith("20260302.pdf")
    assert "东风路派出所" in pdf_text(content)
    assert Message.objects.filter(kind="reports_daily", status="sent").count() == 2


def test_the_beat_schedule_runs_the_statistics_tasks():
    from celery import current_app

    from config.celery import app

    schedule = app.conf.beat_schedule
    names = {entry["task"] for key, entry in schedule.items() if key.startswith("reports-")}
    assert names == {
        "reports.tasks.figures_rebuild_today",
        "reports.tasks.figures_rebuild_recent",
        "reports.tasks.reports_send_daily",
    }
    assert names <= set(current_app.tasks)


def test_the_nightly_rebuild_covers_the_two_days_before_today(monkeypatch):
    office, service, counters = small_office()
    hand_built_day(office, service, counters)
    monkeypatch.setattr(tasks.timezone, "localdate", lambda *a, **k: DAY + dt.timedelta(days=2))
    tasks.figures_rebuild_recent.delay().get()
    from reports.selectors import figure_report

    assert figure_report(office_ids=None, first=DAY, last=DAY).total.bookings == 5
