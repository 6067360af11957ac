"""The console's own filters show what Django's would (queues/templatetags/queue_console.py)."""

import datetime as dt

import pytest
from django.template import engines
from django.utils import timezone, translation

from queues.constants import TicketStatus
from queues.models import Ticket
from queues.templatetags.queue_console import hhmm, status_label


def test_hhmm_shows_the_time_of_day_as_djangos_time_filter():
    template = engines["django"].from_string('{{ at|time:"H:i" }}')
    moments = [
        dt.datetime(2026, 12, 5, 16, 7, tzinfo=dt.UTC),  # 00:07 the next day in Shanghai
        dt.datetime(2026, 12, 6, 1, 59, 59, tzinfo=dt.UTC),
        dt.time(8, 5),
    ]
    with timezone.override("Asia/Shanghai"):
        for at in moments:
            local = timezone.localtime(at) if isinstance(at, dt.datetime) else at
            assert hhmm(local) == template.render({"at": at})
        shown = engines["django"].from_string("{% load queue_console %}{{ at|hhmm }}")
        assert shown.render({"at": moments[0]}) == "00:07"
    assert hhmm(None) == ""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_status_label_is_the_tickets_status_display(language):
    with translation.override(language):
        for status in [*TicketStatus.values, "unknown"]:
            assert status_label(status) == Ticket(status=status).get_status_display()
