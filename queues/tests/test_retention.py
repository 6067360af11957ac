"""Retention of queue tickets: the phone number left for the "you are next" SMS goes 180 days
after the visit; everything the waiting-time statistics read stays."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from queues import actions, tasks
from queues.models import Ticket
from queues.tests.queue_setup import DAY, at, office_with
from services.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_tickets_lose_the_phone_number_after_the_period_and_keep_the_figures():
    service = ServiceFactory()
    office, _counters = office_with(service)
    ticket = actions.ticket_take_walk_in(
        office=office, service=service, phone="13800138000", now=at(9)
    )
    kept = Ticket.objects.values("office", "service", "day", "arrived_at", "status", "number")

    with time_machine.travel(at(9) + dt.timedelta(days=179), tick=False):
        assert tasks.retention_apply() == {"tickets_anonymised": 0}
    before = kept.get(pk=ticket.pk)
    with time_machine.travel(at(9) + dt.timedelta(days=181), tick=False):
        assert tasks.retention_apply() == {"tickets_anonymised": 1}
        assert tasks.retention_apply() == {"tickets_anonymised": 0}  # idempotent

    ticket.refresh_from_db()
    assert ticket.phone == ""
    assert kept.get(pk=ticket.pk) == before
    assert ticket.day == DAY
    call_command("verify_audit")  # the chain still verifies (exits 0)
