"""appointments' answers to the residents' account events of accounts/signals.py (accounts sits
below appointments and cannot reach bookings itself), and to changed services (the booking
API's few seconds' copy). Connected in AppointmentsConfig.ready()."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

# Each signal comes from the module that sends it (accounts/signals.py defines them).
from accounts.actions import resident_deleting
from accounts.selectors import resident_data_requested
from services.models import Service

from . import actions, selectors


@receiver(resident_deleting, dispatch_uid="appointments.anonymise_resident_bookings")
def anonymise_bookings(sender, *, user, id_number_hmac: str, **kwargs) -> int:
    return actions.booking_anonymise_for_resident(user=user, id_number_hmac=id_number_hmac)


@receiver(resident_data_requested, dispatch_uid="appointments.resident_bookings_export")
def bookings_export(sender, *, user, id_number_hmac: str, **kwargs) -> dict:
    bookings = selectors.booking_list_for_account(user=user, id_number_hmac=id_number_hmac)
    return {"bookings": [_booking_data(b, user) for b in bookings]}


@receiver(post_save, sender=Service, dispatch_uid="appointments.services_forget_saved")
@receiver(post_delete, sender=Service, dispatch_uid="appointments.services_forget_deleted")
def services_forget(sender, **kwargs) -> None:
    """A service changed: the booking API reads it afresh in this process."""
    selectors.services_forget()


def _booking_data(booking, user) -> dict:
    return {
        "code": booking.code,
        "service": booking.service.name,
        "office": booking.office.name,
        "start": timezone.localtime(booking.start).isoformat(),
        "status": booking.status,
        "name": booking.name,
        "id_number_masked": booking.id_masked,
        "mobile_number": booking.phone,
        "email": booking.email,
        "booked_at": timezone.localtime(booking.created_at).isoformat(),
        "cancelled_at": (
            timezone.localtime(booking.cancelled_at).isoformat() if booking.cancelled_at else None
        ),
        "linked_to_account": booking.user_id == user.pk,
    }
