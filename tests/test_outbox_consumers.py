"""Outbox consumers are idempotent (core/outbox.py, notifications.actions.message_send): a
booking's confirmation whose row is handed out twice, or run again after its worker died
between the SMS and the "done", reaches the resident once."""

import datetime as dt

import pytest
from django.utils import timezone

from appointments import actions as booking_actions
from appointments.tests.factories import SlotFactory
from core.models import OutboxMessage
from core.outbox import outbox_relay, outbox_run
from core.tests.factories import id_number
from notifications.backends import LocmemSMSBackend
from notifications.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean():
    LocmemSMSBackend.outbox.clear()


def book() -> None:
    """A resident books; the confirmation's row is written but not handed over (no commit)."""
    slot = SlotFactory(start=timezone.now() + dt.timedelta(days=1))
    booking_actions.booking_create(
        slot_id=slot.pk, service=slot.schedule.services.first(), name="张三",
        id_number=id_number(1), phone="13800138000",
    )  # fmt: skip


def test_a_booking_confirmation_delivered_twice_is_sent_once():
    book()
    [row] = OutboxMessage.objects.filter(task="appointments.tasks.booking_notify")
    assert outbox_run(row_id=row.pk, attempts=0) == "done"
    assert outbox_run(row_id=row.pk, attempts=0) == "skipped"
    # A worker killed after the SMS left and before the row was marked done: the lease expires
    # and the relay hands the row out again; the message's dedupe key stops a second SMS.
    OutboxMessage.objects.filter(pk=row.pk).update(
        status="running", locked_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert outbox_relay(now=timezone.now()) == 1  # eager: run again right here
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("done", 2)
    assert len(LocmemSMSBackend.outbox) == 1
    [message] = Message.objects.filter(kind="confirmed")
    assert message.status == "sent" and len(message.dedupe_key) == 64
