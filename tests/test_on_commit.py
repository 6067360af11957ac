"""Side effects are outbox rows written in their change's transaction (core/outbox.py): a
rolled-back change leaves no row and hands nothing to the broker; a committed one leaves its row
and hands it over after the commit. The static check that nothing else sends tasks:
core/tests/test_celery.py."""

import contextlib

import pytest
from django.db import transaction

from appointments.tests.factories import SlotFactory, book
from core.models import OutboxMessage
from core.tasks import ReliableTask


class Rollback(Exception):
    pass


@pytest.fixture
def enqueued(monkeypatch):
    """The names of the tasks handed to the broker (nothing is sent or run)."""
    sent: list[str] = []

    def apply_async(self, args=None, kwargs=None, **options):
        sent.append(self.name)

    monkeypatch.setattr(ReliableTask, "apply_async", apply_async)
    return sent


@pytest.mark.django_db(transaction=True)
def test_no_task_is_enqueued_from_a_rolled_back_transaction(enqueued):
    slot = SlotFactory()
    with contextlib.suppress(Rollback), transaction.atomic():
        book(slot, 1)
        assert OutboxMessage.objects.count() == 1  # written with the booking …
        assert enqueued == []  # … handed over only after the commit
        raise Rollback
    assert enqueued == [] and not OutboxMessage.objects.exists()
    booking = book(slot, 2)  # committed: the confirmation's row, and it is handed over
    [row] = OutboxMessage.objects.all()
    assert (row.task, row.args) == ("appointments.tasks.booking_notify", [booking.pk, "confirmed"])
    assert enqueued == ["core.tasks.outbox_deliver"]
