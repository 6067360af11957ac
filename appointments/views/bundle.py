"""一件事 booked as one visit: bundle → office → day and time → details → the same confirmation
as any booking (one code, one PDF, one ticket at check-in). Only the bundle's own slots are
offered: long enough for every part, at an office with a counter serving them all."""

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from appointments import selectors
from appointments.forms import BookingDetailsForm
from appointments.views._common import SLOT_ERRORS, _picker_context, _render_picker
from appointments.views.account import booking_form_initial
from appointments.views.booking import _booking_submit
from services import selectors as catalogue
from services.models import Bundle, Office, Service


def _bundle_or_404(code: str) -> tuple[Bundle, list[Service]]:
    try:
        bundle = catalogue.bundle_list_public().get(code=code)
    except Bundle.DoesNotExist:
        raise Http404 from None
    parts = catalogue.bundle_parts(bundle)
    if not parts:
        raise Http404
    return bundle, parts


def _office_or_404(bundle: Bundle, code: str) -> Office:
    office = selectors.office_list_bookable_for_bundle(bundle=bundle).filter(code=code).first()
    if office is None:
        raise Http404
    return office


def _bundle_context(bundle: Bundle, parts: list[Service]) -> dict:
    return {"bundle": bundle, "parts": parts, "minutes": selectors.bundle_minutes(parts)}


def bundle_office_choose(request: HttpRequest, bundle_code: str) -> HttpResponse:
    bundle, parts = _bundle_or_404(bundle_code)
    offices = selectors.office_list_bookable_for_bundle(bundle=bundle).select_related("district")
    context = {**_bundle_context(bundle, parts), "offices": offices, "service": parts[0]}
    return render(request, "appointments/bundle_office_choose.html", context)


def bundle_slot_choose(request: HttpRequest, bundle_code: str, office_code: str) -> HttpResponse:
    bundle, parts = _bundle_or_404(bundle_code)
    office = _office_or_404(bundle, office_code)
    context = _picker_context(request, service=parts[0], office=office, bundle=bundle)
    context.update(_bundle_context(bundle, parts))
    return _render_picker(request, "appointments/slot_choose.html", context)


@require_http_methods(["GET", "POST"])
def bundle_booking_create(
    request: HttpRequest, bundle_code: str, office_code: str, slot_id: int
) -> HttpResponse:
    bundle, parts = _bundle_or_404(bundle_code)
    office = _office_or_404(bundle, office_code)
    slot = selectors.bundle_slot_get_bookable(slot_id=slot_id, office=office, bundle=bundle)
    if slot is None:
        raise Http404
    error = error_code = None
    if request.method == "POST":
        form = BookingDetailsForm(request.POST)
        if form.is_valid():
            outcome = _booking_submit(request, form.cleaned_data, slot, parts[0], bundle=bundle)
            if isinstance(outcome, HttpResponse):
                return outcome
            error_code, error = outcome
            data = request.POST.copy()
            data["token"] = str(uuid.uuid4())  # a refused attempt's retry is a new attempt
            form = BookingDetailsForm(data)
    else:
        form = BookingDetailsForm(initial=booking_form_initial(request))
        problem = selectors.slot_refusal(slot, parts[0], now=timezone.now(), count_full=True)
        if problem is not None:
            error_code, error = problem.code, str(problem)
    context = {
        **_bundle_context(bundle, parts),
        "service": parts[0],
        "office": office,
        "slot": slot,
        "form": form,
        "error": error,
        "slot_error": error_code in SLOT_ERRORS or (error_code or "").startswith("bundle_"),
        "duplicate": error_code == "duplicate",
        "day": timezone.localtime(slot.start).date(),
    }
    status = 409 if error and request.method == "POST" else 200
    return render(request, "appointments/booking_create.html", context, status=status)

