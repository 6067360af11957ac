"""Finding a booking by its code and the ID number's last 4 (the pages and the API): guarded per
booking against guessing (accounts/lookup_guard.py)."""

import hmac

from accounts.actions import Target, lookup_verify
from core.idnumbers import normalize_id_number

from ..errors import BookingNotFound
from ..models import Booking


def booking_lookup(*, code: str, id_last4: str, ip: str | None = None) -> Booking:
    """The booking, to someone who knows its code and the ID number's last 4. Wrong digits for
    an existing booking count against that booking; after too many it is locked for everyone
    (LookupLocked) and its holder is told by SMS."""
    code = (code or "").strip().upper().replace(" ", "").replace("-", "")
    booking = (
        Booking.objects.select_related("slot__schedule", "service__category", "office__district")
        .filter(code=code)
        .first()
    )
    given = normalize_id_number(id_last4)[-4:]
    expected = booking.id_masked[-4:] if booking else "----"
    matches = booking is not None and hmac.compare_digest(given.encode(), expected.encode())
    lookup_verify(target=_target(booking), matches=matches, ip=ip)
    if not matches or booking is None:
        raise BookingNotFound()
    return booking


def _target(booking: Booking | None) -> Target | None:
    if booking is None:
        return None
    return Target(
        kind="booking", key=booking.code, obj=booking, phone=booking.phone,
        language=booking.language, office_id=booking.office_id,
    )
