"""Figures that other apps deliver: decided document requests and evaluations, per office,
service (and counter) and day. `reports.actions.figures_rebuild` consumes them."""

import datetime as dt

from documents.selectors import request_decisions_by_office_day as _decisions
from feedback.selectors import evaluation_counts_by_office_day as _evaluations


def request_decisions_by_office_day(*, first: dt.date, last: dt.date) -> list[dict]:
    """Rows with keys office_id, service_id, day, decided, decided_in_time, in_bundle (how many
    of those decided were parts of a 一件事 bundle application)."""
    return _decisions(first=first, last=last)


def evaluation_counts_by_office_day(*, first: dt.date, last: dt.date) -> list[dict]:
    """Rows with keys office_id, service_id, counter_id (or None), day, count, total (the sum of
    the ratings), low (how many rated 1 or 2)."""
    return _evaluations(first=first, last=last)
