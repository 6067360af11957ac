"""Tasks leave for the broker only after their transaction commits (docs/deploy.md "Celery").
The static check that every `.delay()` sits in `on_commit`: core/tests/test_celery.py."""

import contextlib

import pytest
from django.db import transaction

from appointments import actions
from appointments.tests.factories import SlotFactory
from core.tasks import ReliableTask
from core.tests.factories import id_number


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


def book(slot, person: int):
    return actions.booking_create(
        slot_id=slot.pk,
        service=slot.schedule.services.first(),
        name="张三",
        id_number=id_number(person),
        phone="13800138000",
    )


@pytest.mark.django_db(transaction=True)
def test_no_task_is_enqueued_from_a_rolled_back_transaction(enqueued):
    slot = SlotFactory()
    with contextlib.suppress(Rollback), transaction.atomic():
        book(slot, 1)
        assert enqueued == []  # not while the transaction is open
        raise Rollback
    assert enqueued == []
    book(slot, 2)  # committed: the confirmation goes out
    assert enqueued == ["appointments.tasks.booking_notify"]
