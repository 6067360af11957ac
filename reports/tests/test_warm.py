"""After a rebuild the default view of every office and of the bureau is already computed."""

import datetime as dt

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import selectors
from reports.forms import default_range
from reports.tasks import figures_rebuild_today

from .factories import DAY, hand_built_day, small_office


def test_the_rebuild_task_leaves_the_default_view_ready_for_each_office(db, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "warm-test"}}
    office, service, counters = small_office()
    hand_built_day(office, service, counters)
    with time_machine.travel(dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)):
        figures_rebuild_today()
        first, last = default_range(DAY)
        with CaptureQueriesContext(connection) as queries:
            report = selectors.report_get(office_ids={office.pk}, first=first, last=last)
            selectors.report_get(office_ids=None, first=first, last=last)
    assert report.total.bookings == 5
    # Only the rebuild mark is read, once per view: the figures come from the cache.
    assert len(queries.captured_queries) == 2
