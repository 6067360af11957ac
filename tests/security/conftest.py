"""Fixtures of the security regression suite (issue 14): one booking, one API client."""

import pytest
from django.core.cache import cache

from appointments.tests.factories import ScheduleFactory, SlotFactory
from services.tests.factories import ServiceFactory

PHONE = "13900139000"


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Every limit counts in the cache: each test starts with none used."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _sms_outbox():
    from notifications.backends import LocmemSMSBackend

    LocmemSMSBackend.outbox.clear()
    yield LocmemSMSBackend.outbox
    LocmemSMSBackend.outbox.clear()


@pytest.fixture
def booking(db):
    """A booking for tomorrow 10:00, made with the mobile number 13900139000."""
    from appointments.actions import booking_create
    from core.tests.factories import id_number

    service = ServiceFactory(materials=0)
    slot = SlotFactory(schedule=ScheduleFactory(services=[service]))
    return booking_create(slot_id=slot.pk, service=service, name="李四", id_number=id_number(1),
                          phone=PHONE)


@pytest.fixture
def api_token(db) -> str:
    from accounts.actions import api_client_create

    return api_client_create(name="partner")[1]
