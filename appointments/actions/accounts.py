"""Bookings and residents' accounts: attaching a booking to an account, and anonymising the
bookings of a resident who deletes their account (called from appointments/receivers.py), whose
stored confirmation PDFs are deleted with their names."""

import hmac

from django.db import transaction
from django.db.models import Q

from accounts.actions import audit_changed, audit_values, resident_id_number_bind
from accounts.models import User
from core.crypto import pii_hmac
from core.idnumbers import normalize_id_number

from ..constants import ACTIVE_STATUSES
from ..errors import BookingNotFound
from ..models import Booking
from .retention import booking_printouts_delete

# Stored data, not an interface text: the record keeps the language it was written in.
ANONYMOUS_NAME = "已注销用户"


@transaction.atomic
def booking_attach_to_user(*, booking: Booking, user: User, id_number: str) -> Booking:
    """Link a booking found by its code to the signed-in resident, once they prove it is theirs
    with the full ID number it was made for. The first attached booking links that number to the
    account; later ones must be for the same number. A booking of another account stays there."""
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    given = pii_hmac(normalize_id_number(id_number))
    if not hmac.compare_digest(given, booking.id_number_hmac):
        raise BookingNotFound()
    if booking.user_id == user.pk:
        return booking
    if booking.user_id is not None:
        raise BookingNotFound()
    resident_id_number_bind(user=user, id_number=id_number)
    before = audit_values(booking)
    booking.user = user
    booking.save(update_fields=["user"])
    audit_changed(booking, before)
    return booking


@transaction.atomic
def booking_anonymise_for_resident(*, user: User, id_number_hmac: str) -> int:
    """Bookings are records the bureau must keep; a deleted account leaves them without a name,
    a phone number or an e-mail address. A booking still ahead keeps its encrypted ID number
    (checked at the counter); any other keeps only the mask and the digest. The link to the
    account goes with the account itself (`user` is SET_NULL), after every receiver of
    `resident_deleting` has run: cut here, it would hide these bookings from the receivers after
    this one (feedback finds the ratings of the resident's visits through them)."""
    mine = Q(user=user)
    if id_number_hmac:
        mine |= Q(id_number_hmac=id_number_hmac)
    bookings = Booking.objects.filter(mine)
    common = {"name": ANONYMOUS_NAME, "phone": "", "email": ""}
    booking_printouts_delete(ids=list(bookings.values_list("pk", flat=True)))
    finished = bookings.exclude(status__in=ACTIVE_STATUSES).update(**common, id_number_enc="")
    active = bookings.filter(status__in=ACTIVE_STATUSES).update(**common)
    return finished + active
