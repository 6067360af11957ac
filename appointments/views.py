"""The resident's booking pages: service → office → day and time → details → confirmation, and
finding, moving and cancelling a booking. No account is needed: a booking is shown only to the
browser session that made (or looked up) it, never to someone who merely has its URL.

Every page works without JavaScript; htmx only swaps the day's times in place."""

import datetime as dt
import hashlib
import uuid

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.client_ip import client_ip
from core.crypto import pii_hmac
from core.errors import DomainError
from core.idempotency import IdempotencyKeyReused, idempotent_run, request_fingerprint
from core.ratelimit import address_hit
from services import selectors as catalogue
from services.models import Office, Service

from . import actions, selectors
from .constants import BookingStatus, WaitStatus
from .forms import (
    BookingDetailsForm,
    BookingLookupForm,
    OfficeFilterForm,
    ServiceSearchForm,
    WaitingJoinForm,
)
from .models import Booking, Slot
from .views_account import booking_form_initial, signed_in_resident

SESSION_KEY = "my_bookings"
SESSION_MAX = 20
CALENDAR_DAYS = 14
# Refusals about the chosen time: the form is pointless, the resident picks another time.
SLOT_ERRORS = {"slot_full", "slot_unavailable", "closed", "outside_window", "not_yet_open"}


# --- helpers: the catalogue entries a booking page is about ------------------------------------


def _service_or_404(code: str) -> Service:
    try:
        service = catalogue.service_get_public(code=code)
    except Service.DoesNotExist:
        raise Http404
    if not service.bookable_at_counter:
        raise Http404
    return service


def _office_or_none(service: Service, code: str) -> Office | None:
    return selectors.office_list_bookable(service=service).filter(code=code).first()


def _slot_or_404(*, slot_id: int, office: Office, service: Service) -> Slot:
    slot = selectors.slot_get_bookable(slot_id=slot_id, office=office, service=service)
    if slot is None:
        raise Http404
    return slot


# --- helpers: the session holds the codes this browser may see ---------------------------------


def _remember(request: HttpRequest, code: str) -> None:
    codes = [c for c in request.session.get(SESSION_KEY, []) if c != code]
    request.session[SESSION_KEY] = (codes + [code])[-SESSION_MAX:]


def _booking_in_session(request: HttpRequest, code: str) -> Booking | None:
    if code not in request.session.get(SESSION_KEY, []):
        return None
    return selectors.booking_get_by_code(code=code)


def _to_lookup(request: HttpRequest) -> HttpResponse:
    messages.info(
        request,
        _("To see a booking, enter its code and the last 4 characters of the ID number."),
    )
    return redirect("appointments:booking_lookup")


def _lookup_allowed(request: HttpRequest) -> bool:
    """A limited number of look-ups per address in a fixed window: a second guard behind the
    per-booking lock, high enough for many residents behind one carrier (NAT) address."""
    return address_hit(
        request, "booking-lookup", limit=settings.LOOKUP_GUARD["PER_ADDRESS_LIMIT"],
        seconds=settings.LOOKUP_GUARD["PER_ADDRESS_SECONDS"],
    )


# --- the day picker, shared by booking and rescheduling ----------------------------------------


def _calendar(*, office: Office, service: Service, now: dt.datetime | None = None) -> list:
    return selectors.calendar_days(
        office=office, service=service, first=timezone.localdate(), days=CALENDAR_DAYS,
        now=now or timezone.now(),
    )


def _parse_day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


def _picker_context(
    request: HttpRequest, *, service: Service, office: Office, booking: Booking | None = None
) -> dict:
    now = timezone.now()
    days = _calendar(office=office, service=service, now=now)
    wanted = _parse_day(request.GET.get("date"))
    chosen = next((d for d in days if d.day == wanted), None)
    if chosen is None and wanted is None:
        # Moving a booking starts from its own day; a new booking from the first open day.
        own = timezone.localtime(booking.start).date() if booking else None
        chosen = next((d for d in days if d.day == own and d.state in ("open", "full")), None)
        chosen = chosen or next((d for d in days if d.state == "open"), None)
    rows = []
    if chosen is not None and chosen.state in ("open", "full"):
        current = booking.slot_id if booking else None
        rows = selectors.slot_rows_for_day(
            office=office, service=service, day=chosen.day, now=now, current=current
        )
    return {
        "service": service,
        "office": office,
        "days": days,
        "chosen": chosen,
        "rows": rows,
        "today": timezone.localdate(),
        "booking": booking,
    }


def _render_picker(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """The whole page, or for htmx (a day chosen) only the calendar and times: the partial
    defined in slot_choose.html, which the reschedule page includes too."""
    if request.htmx:
        return render(request, "appointments/slot_choose.html#picker", {**context, "swapped": True})
    return render(request, template, context)


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


def _booking_submit(request: HttpRequest, data: dict, slot: Slot, service: Service):
    """Book once per form token: a double submit gets the first answer."""
    fingerprint = request_fingerprint(
        {
            "slot": slot.pk,
            "service": service.pk,
            "name": data["name"],
            "id": pii_hmac(data["id_number"]),
            "phone": data["phone"],
            "email": data["email"],
        }
    )

    def run() -> tuple[int, dict]:
        booking = actions.booking_create(
            slot_id=slot.pk,
            service=service,
            name=data["name"],
            id_number=data["id_number"],
            phone=data["phone"],
            email=data["email"],
            language=request.LANGUAGE_CODE,
            user=signed_in_resident(request),
            privacy_notice_version=data["notice_version"],
        )
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

    context = {
        "booking": booking,
        "materials": booking.service.materials.order_by("position", "id"),
        "qr": qr_svg(booking.code, scale=5, title=_("Booking code %(code)s") % {"code": code}),
    }
    return render(request, "appointments/booking_done.html", context)


def booking_pdf(request: HttpRequest, code: str) -> HttpResponse:
    booking = _booking_in_session(request, code)
    if booking is None:
        return _to_lookup(request)
    from .printouts import booking_pdf as render_pdf

    response = HttpResponse(render_pdf(booking), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="booking-{booking.code}.pdf"'
    return response


def booking_ics(request: HttpRequest, code: str) -> HttpResponse:
    booking = _booking_in_session(request, code)
    if booking is None:
        return _to_lookup(request)
    from .printouts import booking_ics as render_ics

    response = HttpResponse(render_ics(booking), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="booking-{booking.code}.ics"'
    return response


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
                    code=form.cleaned_data["code"], id_last4=form.cleaned_data["id_last4"],
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
        slot = _slot_or_404(slot_id=int(slot_id), office=booking.office, service=booking.service)
    except ValueError:
        raise Http404
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


# --- waiting list ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def waiting_join(request: HttpRequest, service_code: str, office_code: str) -> HttpResponse:
    service = _service_or_404(service_code)
    office = _office_or_none(service, office_code)
    if office is None:
        raise Http404
    day = _full_day(request, service, office)
    if day is None:
        return redirect(
            "appointments:book_time", service_code=service.code, office_code=office.code
        )
    form = WaitingJoinForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            entry = actions.waiting_join(
                office=office,
                service=service,
                day=day,
                language=request.LANGUAGE_CODE,
                privacy_notice_version=form.cleaned_data["notice_version"],
                **{k: form.cleaned_data[k] for k in ("name", "id_number", "phone", "email")},
            )
        except DomainError as refusal:
            error = str(refusal)
        else:
            token = actions.waiting_manage_token(entry)
            return redirect("appointments:waiting_manage", token=token)
    context = {"service": service, "office": office, "day": day, "form": form, "error": error}
    return render(request, "appointments/waiting_join.html", context, status=409 if error else 200)


def _full_day(request: HttpRequest, service: Service, office: Office) -> dt.date | None:
    """The requested day if it is in the calendar and fully booked (else no waiting list)."""
    wanted = _parse_day(request.GET.get("date"))
    if wanted is None:
        return None
    days = _calendar(office=office, service=service)
    return wanted if any(d.day == wanted and d.state == "full" for d in days) else None


@require_http_methods(["GET", "POST"])
def waiting_manage(request: HttpRequest, token: str) -> HttpResponse:
    """The resident's place on the list, reached from the confirmation or its SMS: reference,
    position, and a button to leave (POST, so a link preview never takes anyone off)."""
    try:
        if request.method == "POST":
            actions.waiting_leave(token=token)
            return redirect("appointments:waiting_manage", token=token)
        entry = actions.waiting_entry_from_manage_token(token)
    except DomainError as refusal:
        context = {"error": str(refusal)}
        return render(request, "appointments/waiting_done.html", context, status=refusal.status)
    context = {"entry": entry, "position": selectors.waiting_position(entry)}
    if entry.status == WaitStatus.OFFERED:
        context["offer_token"] = actions.waiting_offer_token(entry)
    return render(request, "appointments/waiting_done.html", context)


@require_http_methods(["GET", "POST"])
def offer_accept(request: HttpRequest, token: str) -> HttpResponse:
    error = entry = None
    status = 200
    if request.method == "POST":

        def run() -> tuple[int, dict]:
            return 201, {"code": actions.waiting_accept(token=token).code}

        # Keyed by the offer itself: a double tap on "Accept" shows the same booking.
        key = hashlib.sha256(token.encode()).hexdigest()
        outcome = idempotent_run(scope="waiting-offer", key=key, fingerprint=key, run=run)
        if outcome.status == 201:
            _remember(request, outcome.body["code"])
            return redirect("appointments:booking_done", code=outcome.body["code"])
        error, status = outcome.body.get("detail"), outcome.status
    else:
        try:
            entry = actions.waiting_entry_from_token(token)
        except DomainError as refusal:
            error, status = str(refusal), refusal.status
    context = {"entry": entry, "error": error}
    return render(request, "appointments/offer_accept.html", context, status=status)
