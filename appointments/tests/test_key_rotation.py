"""Key rotation over the encrypted columns of bookings (`manage.py rotate_keys`)."""

import base64
import io
import os

import pytest
from django.core.management import call_command

from appointments.models import Booking
from appointments.tests.factories import SlotFactory, past_booking
from core import crypto
from core.tests.factories import id_number


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def keys(settings):
    old, new = _key(), _key()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    settings.PII_HMAC_KEY = _key()
    crypto.reset_key_cache()
    yield {"old": old, "new": new}
    crypto.reset_key_cache()


@pytest.mark.django_db
def test_rotation_reencrypts_so_the_old_key_can_be_dropped(keys, settings):
    slot = SlotFactory()
    booking = past_booking(slot=slot, id_number=id_number(5), status="booked")
    settings.FIELD_ENCRYPTION_KEYS = [keys["new"], keys["old"]]
    crypto.reset_key_cache()
    assert crypto.needs_reencryption(Booking.objects.get(pk=booking.pk).id_number_enc)

    call_command("rotate_keys", stdout=io.StringIO())

    settings.FIELD_ENCRYPTION_KEYS = [keys["new"]]
    crypto.reset_key_cache()
    stored = Booking.objects.get(pk=booking.pk)
    assert crypto.decrypt_text(stored.id_number_enc) == id_number(5)


@pytest.mark.django_db
def test_hmac_rotation_keeps_lookups_working(keys, settings):
    from appointments import selectors

    slot = SlotFactory()
    past_booking(slot=slot, id_number=id_number(6), status="booked")
    settings.PII_HMAC_KEY = _key()
    crypto.reset_key_cache()
    assert not selectors.booking_list_for_person(id_number=id_number(6)).exists()

    call_command("rotate_keys", "--hmac", stdout=io.StringIO())

    assert selectors.booking_list_for_person(id_number=id_number(6)).count() == 1
