"""A signed-in resident's bookings: the list ("my bookings"), opening one, and adding a booking
made without an account by its code and full ID number. The account itself (sign-up, sign-in,
data export, deletion) is in accounts/views/resident.py; accounts sits below appointments, so
"my bookings" lives here."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.decorators import resident_required
from accounts.models import ResidentProfile
from accounts.selectors import user_is_resident
from appointments import actions, selectors
from appointments.constants import BookingStatus
from appointments.errors import BookingNotFound
from appointments.forms import BookingAttachForm
from appointments.models import Booking
from core.errors import DomainError
from core.ratelimit import hit

ATTACH_LIMIT = 10
ATTACH_WINDOW_SECONDS = 600


def signed_in_resident(request: HttpRequest):
    """The resident's account a new booking is linked to; None for a visitor or staff."""
    return request.user if user_is_resident(request.user) else None


def booking_form_initial(request: HttpRequest) -> dict:
    """Prefill the booking form with the account's contacts and the name last booked under."""
    user = signed_in_resident(request)
    if user is None:
        return {}
    profile = ResidentProfile.objects.get(user=user)
    last = Booking.objects.filter(user=user).exclude(name="").order_by("-created_at").first()
    return {
        "name": last.name if last else "",
        "phone": profile.verified_phone or (last.phone if last else ""),
        "email": profile.verified_email or (last.email if last else ""),
    }


def _account_bookings(request: HttpRequest):
    digest = (
        ResidentProfile.objects.filter(user=request.user)
        .values_list("id_number_hmac", flat=True)
        .first()
    )
    return selectors.booking_list_for_account(user=request.user, id_number_hmac=digest or "")


@resident_required
def my_bookings(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    bookings = list(_account_bookings(request))
    upcoming = [b for b in bookings if b.status == BookingStatus.BOOKED and b.start > now]
    upcoming.reverse()  # soonest first
    earlier = [b for b in bookings if b not in upcoming]
    context = {"upcoming": upcoming, "earlier": earlier}
    return render(request, "appointments/account_bookings.html", context)


@resident_required
def my_booking_open(request: HttpRequest, code: str) -> HttpResponse:
    """Let this browser see one of the account's bookings on the usual booking pages."""
    from appointments.views import _remember

    booking = _account_bookings(request).filter(code=code).first()
    if booking is None:
        raise Http404
    _remember(request, booking.code)
    return redirect("appointments:booking_manage", code=booking.code)


def _attach_allowed(request: HttpRequest) -> bool:
    """At most ATTACH_LIMIT tries per account in a fixed window (against ID number guessing)."""
    key = f"booking-attach:{request.user.pk}"
    return hit(key, limit=ATTACH_LIMIT, seconds=ATTACH_WINDOW_SECONDS)


@require_http_methods(["GET", "POST"])
@resident_required
def booking_attach(request: HttpRequest) -> HttpResponse:
    form = BookingAttachForm(request.POST or None)
    error, status = None, 200
    if request.method == "POST" and form.is_valid():
        if not _attach_allowed(request):
            error, status = _("Too many attempts. Please wait 10 minutes and try again."), 429
        else:
            try:
                booking = _attach(request, form.cleaned_data)
            except DomainError as refusal:
                error, status = str(refusal), refusal.status
            else:
                messages.success(
                    request,
                    _("Booking %(code)s is now in your account.") % {"code": booking.code},
                )
                return redirect("appointments:my_bookings")
    context = {"form": form, "error": error}
    return render(request, "appointments/account_attach.html", context, status=status)


def _attach(request: HttpRequest, data: dict) -> Booking:
    booking = Booking.objects.filter(code=data["code"]).first()
    if booking is None:
        raise BookingNotFound()
    return actions.booking_attach_to_user(
        booking=booking, user=request.user, id_number=data["id_number"]
    )
