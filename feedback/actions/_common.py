"""Pieces shared by the feedback actions: deadlines in working days and the outbox hand-off."""

import datetime as dt

from django.db import transaction

from appointments.selectors import public_holidays
from core.workdays import add_working_days


def deadline(start: dt.date, working_days: int) -> dt.date:
    """The last day of a limit of `working_days` working days counted from the day after
    `start`, public holidays skipped."""
    holidays = public_holidays(first=start, last=start + dt.timedelta(days=working_days * 3 + 40))
    return add_working_days(start, working_days, holidays=holidays)


def tell_resident(kind: str, object_id: int, secret: str = "") -> None:
    """SMS and e-mail to the resident once the transaction commits (a Celery task)."""
    from .. import tasks

    transaction.on_commit(
        lambda: tasks.resident_notify.delay(kind, object_id, secret), robust=True
    )


def tell_staff(kind: str, object_id: int) -> None:
    """E-mail to the office's managers (and bureau managers for escalations), after commit."""
    from .. import tasks

    transaction.on_commit(lambda: tasks.staff_notify.delay(kind, object_id), robust=True)
