"""The time limit of a request, in working days: core.workdays, i.e. the State Council calendar
with its make-up working days (chinesecalendar) and the administrator's holidays and make-up days
(registered by appointments; documents no longer reads them from there).

The limit starts on the day after submission; while the resident is asked for more information
the clock stands still, and on resubmission the due date moves on by the working days it stood.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from core.workdays import (
    add_working_days,
    overrides_between,
    working_days_after,
    working_days_from_to,
)

# Room enough for a 60-day limit plus holidays; read once per computation.
_HORIZON = dt.timedelta(days=150)


def due_on_submit(*, day: dt.date, limit_days: int) -> dt.date:
    return working_days_after(start=day, days=limit_days)


def due_after_pause(*, due_on: dt.date, paused_on: dt.date, resumed_on: dt.date) -> dt.date:
    """The due date once the clock runs again: moved by the working days in (paused, resumed]."""
    found = overrides_between(min(paused_on, due_on), max(resumed_on, due_on) + _HORIZON)
    stood = max(working_days_from_to(paused_on, resumed_on), 0)
    return add_working_days(due_on, stood, holidays=found.holidays, workdays=found.workdays)


def working_days_left(*, due_on: dt.date, today: dt.date) -> int:
    """Working days from today to the due date: 0 on the last day, negative once late."""
    return working_days_from_to(today, due_on)


def near_days() -> int:
    return int(settings.DOCUMENTS["ESCALATE_WITHIN_WORKING_DAYS"])


@dataclass(frozen=True)
class Deadline:
    due_on: dt.date | None
    days_left: int | None
    late: bool
    near: bool
    paused: bool


def deadline_of(*, due_on: dt.date | None, today: dt.date, paused: bool) -> Deadline:
    if due_on is None:
        return Deadline(None, None, False, False, paused)
    left = working_days_left(due_on=due_on, today=today)
    late = today > due_on
    return Deadline(due_on, left, late, not late and left <= near_days(), paused)
