"""Figures that other apps deliver: decided document requests and evaluations, per office,
service (and counter) and day. `reports.actions.figures_rebuild` consumes them.

Until the documents and feedback apps are merged these return nothing.
"""

import datetime as dt


# LEAD: wire to documents.selectors / feedback.selectors
def request_decisions_by_office_day(*, first: dt.date, last: dt.date) -> list[dict]:
    """Rows with keys office_id, service_id, day, decided, decided_in_time."""
    return []


# LEAD: wire to documents.selectors / feedback.selectors
def evaluation_counts_by_office_day(*, first: dt.date, last: dt.date) -> list[dict]:
    """Rows with keys office_id, service_id, counter_id (or None), day, count, total (the sum of
    the ratings), low (how many rated 1 or 2)."""
    return []
