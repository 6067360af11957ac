"""Finding, moving and cancelling a booking, shown only to the browser session that made or looked
it up."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from appointments import actions, selectors
from appointments.constants import BookingStatus
from appointments.forms import (
    BookingLookupForm,
)
from appointments.models import Booking, Slot
from appointments.views._common import (
    _booking_in_session,
    _lookup_allowed,
    _picker_context,
    _remember,
    _render_picker,
    _to_lookup,
)
from core.client_ip import client_ip
from core.errors import DomainError

# --- finding, cancelling and moving a booking ---------------------------------------------------


@require_http_methods(["GET", "POST"])
def booking_lookup(request: HttpRequest) -> HttpResponse:
    form = BookingLookupForm(request.POST or None)
    error, status = None, 200
    if request.method == "POST":
        if not _lookup_allowed(request):
            error = _("Too many attempts from your network. Please wait 10 minutes and try again.")
            status = 429
        elif form.is_valid():
            try:
                booking = actions.booking_lookup(
                    code=form.cleaned_data["code"],
                    id_last4=form.cleaned_data["id_last4"],
                    ip=client_ip(request),
                )
            except DomainError as refusal:
                error, status = str(refusal), refusal.status
            else:
                _remember(request, booking.code)
                return redirect("appointments:booking_manage", code=booking.code)
    context = {"form": form, "error": error}
    return render(request, "appointments/booking_lookup.html", context, status=status)


def _changeable(booking: Booking) -> bool:
    return booking.status == BookingStatus.BOOKED and booking.start > timezone.now()


def booking_manage(request: HttpRequest, code: str) -> HttpResponse:
    booking = _booking_in_session(request, code)
    if booking is None:
        return _to_lookup(request)
    moved_to = selectors.booking_moved_to(booking=booking)
    context = {"booking": booking, "changeable": _changeable(booking), "moved_to": moved_to}
    return render(request, "appointments/booking_manage.html", context)


@require_http_methods(["GET", "POST"])
def booking_cancel(request: HttpRequest, code: str) -> HttpResponse:
    booking = _booking_in_session(request, code)
    if booking is None:
        return _to_lookup(request)
    error = None
    if request.method == "POST":
        try:
            actions.booking_cancel(booking=booking)
        except DomainError as refusal:
            error = str(refusal)
        else:
            messages.success(request, _("Your booking was cancelled."))
            return redirect("appointments:booking_manage", code=booking.code)
    if not _changeable(booking) and error is None:
        return redirect("appointments:booking_manage", code=booking.code)
    context = {"booking": booking, "error": error}
    return render(
        request, "appointments/booking_cancel.html", context, status=409 if error else 200
    )


@require_http_methods(["GET", "POST"])
def booking_reschedule(request: HttpRequest, code: str) -> HttpResponse:
    booking = _booking_in_session(request, code)
    if booking is None:
        return _to_lookup(request)
    moved_to = selectors.booking_moved_to(booking=booking)
    if moved_to is not None:  # a repeated submit: the move already happened
        return redirect("appointments:booking_done", code=moved_to.code)
    if not _changeable(booking):
        return redirect("appointments:booking_manage", code=booking.code)
    slot_id = request.POST.get("slot") or request.GET.get("slot")
    if not slot_id:
        context = _picker_context(
            request, service=booking.service, office=booking.office, booking=booking
        )
        return _render_picker(request, "appointments/booking_reschedule.html", context)
    try:
        slot_pk = int(slot_id)
    except ValueError:
        raise Http404
    if booking.bundle_id:  # a 一件事 visit moves to another of the bundle's slots
        found = selectors.bundle_slot_get_bookable(
            slot_id=slot_pk, office=booking.office, bundle=booking.bundle
        )
    else:
        found = selectors.slot_get_bookable(
            slot_id=slot_pk, office=booking.office, service=booking.service
        )
    if found is None:
        raise Http404
    slot = found
    return _reschedule_confirm(request, booking, slot)


def _reschedule_confirm(request: HttpRequest, booking: Booking, slot: Slot) -> HttpResponse:
    error = None
    if request.method == "POST":
        try:
            new = actions.booking_reschedule(booking=booking, slot_id=slot.pk)
        except DomainError as refusal:
            error = str(refusal)
        else:
            _remember(request, new.code)
            messages.success(
                request,
                _("Your appointment was moved. Your new booking code is %(code)s.")
                % {"code": new.code},
            )
            return redirect("appointments:booking_done", code=new.code)
    else:
        problem = selectors.slot_refusal(slot, booking.service, now=timezone.now(), count_full=True)
        error = str(problem) if problem else None
    context = {"booking": booking, "slot": slot, "error": error}
    status = 409 if error and request.method == "POST" else 200
    return render(request, "appointments/booking_reschedule_confirm.html", context, status=status)
