"""Celery tasks of the statistics: thin shells around reports.actions and reports.messages."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from . import actions


@shared_task
def figures_rebuild_today() -> int:
    today = timezone.localdate()
    written = actions.figures_rebuild(first=today, last=today)
    _warm_default_view(today)
    return written


def _warm_default_view(today: dt.date) -> None:
    from . import selectors
    from .forms import default_range

    first, last = default_range(today)
    selectors.report_warm(first=first, last=last)


@shared_task
def figures_rebuild_recent() -> int:
    """Yesterday and the day before: no-shows are marked at 23:55, late changes come in."""
    today = timezone.localdate()
    written = actions.figures_rebuild(
        first=today - dt.timedelta(days=2), last=today - dt.timedelta(days=1)
    )
    _warm_default_view(today)
    return written


@shared_task(acks_late=True, max_retries=3, autoretry_for=(OSError,), retry_backoff=True)
def reports_send_daily() -> int:
    from .messages import daily_reports_send

    return daily_reports_send(day=timezone.localdate() - dt.timedelta(days=1))
