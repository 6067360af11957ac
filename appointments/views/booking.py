"""Booking: service → office → day and time → details → confirmation, with the confirmation PDF and
the calendar file."""

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from appointments import actions, selectors
from appointments.constants import BookingStatus
from appointments.forms import (
    BookingDetailsForm,
    OfficeFilterForm,
    ServiceSearchForm,
)
from appointments.models import Slot
from appointments.views._common import (
    SLOT_ERRORS,
    _booking_in_session,
    _office_or_none,
    _picker_context,
    _remember,
    _render_picker,
    _service_or_404,
    _slot_or_404,
    _to_lookup,
)
from appointments.views.account import booking_form_initial, signed_in_resident
from core.crypto import pii_hmac
from core.idempotency import IdempotencyKeyReused, idempotent_run, request_fingerprint
from services.models import Bundle, Service

# --- booking flow --------------------------------------------------------------------------------


def service_choose(request: HttpRequest) -> HttpResponse:
    form = ServiceSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    services = selectors.service_list_bookable(query=query)
    template = "appointments/service_choose.html"
    if request.htmx:
        template += "#results"
    return render(request, template, {"form": form, "services": services, "query": query})


def office_choose(request: HttpRequest, service_code: str) -> HttpResponse:
    service = _service_or_404(service_code)
    form = OfficeFilterForm(request.GET or None)
    offices = selectors.office_list_bookable(service=service)
    if form.is_valid() and form.cleaned_data["district"]:
        offices = offices.filter(district=form.cleaned_data["district"])
    template = "appointments/office_choose.html"
    if request.htmx:
        template += "#results"
    return render(request, template, {"service": service, "form": form, "offices": offices})


def slot_choose(request: HttpRequest, service_code: str, office_code: str) -> HttpResponse:
    service = _service_or_404(service_code)
    office = _office_or_none(service, office_code)
    if office is None:
        return redirect("appointments:book_office", service_code=service.code)
    context = _picker_context(request, service=service, office=office)
    return _render_picker(request, "appointments/slot_choose.html", context)


@require_http_methods(["GET", "POST"])
def booking_create(
    request: HttpRequest, service_code: str, office_code: str, slot_id: int
) -> HttpResponse:
    service = _service_or_404(service_code)
    office = _office_or_none(service, office_code)
    if office is None:
        raise Http404
    slot = _slot_or_404(slot_id=slot_id, office=office, service=service)
    error = error_code = None
    if request.method == "POST":
        form = BookingDetailsForm(request.POST)
        if form.is_valid():
            outcome_or_error = _booking_submit(request, form.cleaned_data, slot, service)
            if isinstance(outcome_or_error, HttpResponse):
                return outcome_or_error
            error_code, error = outcome_or_error
            # A refused attempt needs a new token, or its retry would replay the refusal.
            data = request.POST.copy()
            data["token"] = str(uuid.uuid4())
            form = BookingDetailsForm(data)
    else:
        form = BookingDetailsForm(initial=booking_form_initial(request))
        problem = selectors.slot_refusal(slot, service, now=timezone.now(), count_full=True)
        if problem is not None:
            error_code, error = problem.code, str(problem)
    context = {
        "service": service,
        "office": office,
        "slot": slot,
        "form": form,
        "error": error,
        "slot_error": error_code in SLOT_ERRORS,
        "duplicate": error_code == "duplicate",
        "day": timezone.localtime(slot.start).date(),
    }
    status = 409 if error and request.method == "POST" else 200
    return render(request, "appointments/booking_create.html", context, status=status)


def _booking_submit(
    request: HttpRequest, data: dict, slot: Slot, service: Service, bundle: Bundle | None = None
):
    """Book once per form token: a double submit gets the first answer. With a `bundle`, one
    visit for all its parts (booking_create_bundle)."""
    fingerprint = request_fingerprint(
        {
            "slot": slot.pk,
            "service": service.pk,
            "bundle": bundle.pk if bundle else None,
            "name": data["name"],
            "id": pii_hmac(data["id_number"]),
            "phone": data["phone"],
            "email": data["email"],
        }
    )

    def run() -> tuple[int, dict]:
        details = {
            "slot_id": slot.pk,
            "name": data["name"],
            "id_number": data["id_number"],
            "phone": data["phone"],
            "email": data["email"],
            "language": request.LANGUAGE_CODE,
            "user": signed_in_resident(request),
            "privacy_notice_version": data["notice_version"],
        }
        if bundle is not None:
            booking = actions.booking_create_bundle(bundle=bundle, **details)
        else:
            booking = actions.booking_create(service=service, **details)
        return 201, {"code": booking.code}

    try:
        outcome = idempotent_run(
            scope="booking-form", key=str(data["token"]), fingerprint=fingerprint, run=run
        )
    except IdempotencyKeyReused as reused:
        return reused.code, str(reused)
    if outcome.status == 201:
        _remember(request, outcome.body["code"])
        return redirect("appointments:booking_done", code=outcome.body["code"])
    return outcome.body.get("error"), outcome.body.get("detail") or _("The booking failed.")


def booking_done(request: HttpRequest, code: str) -> HttpResponse:
    booking = _booking_in_session(request, code)
    if booking is None:
        return _to_lookup(request)
    if booking.status != BookingStatus.BOOKED:
        return redirect("appointments:booking_manage", code=booking.code)
    from core.qr import qr_svg

    actions.booking_pdf_prepare(booking=booking)  # the download below: stored, not rendered
    context = {
        "booking": booking,
        "materials": selectors.booking_materials(booking),
        "qr": qr_svg(booking.code, scale=5, title=_("Booking code %(code)s") % {"code": code}),
    }
    return render(request, "appointments/booking_done.html", context)


def booking_pdf(request: HttpRequest, code: str) -> HttpResponse:
    booking = _booking_in_session(request, code)
    if booking is None:
        return _to_lookup(request)
    from appointments.printouts import booking_pdf_stored

    response = HttpResponse(booking_pdf_stored(booking), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="booking-{booking.code}.pdf"'
    return response


def booking_ics(request: HttpRequest, code: str) -> HttpResponse:
    booking = _booking_in_session(request, code)
    if booking is None:
        return _to_lookup(request)
    from appointments.printouts import booking_ics as render_ics

    response = HttpResponse(render_ics(booking), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="booking-{booking.code}.ics"'
    return response

