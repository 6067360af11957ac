"""What the resident's booking pages share: the catalogue entries a page is about, the booking
codes this browser may see, the day picker."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments import selectors
from appointments.models import Booking, Slot
from core.ratelimit import address_hit
from services import selectors as catalogue
from services.models import Bundle, Office, Service

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
        request,
        "booking-lookup",
        limit=settings.LOOKUP_GUARD["PER_ADDRESS_LIMIT"],
        seconds=settings.LOOKUP_GUARD["PER_ADDRESS_SECONDS"],
    )


# --- the day picker, shared by booking and rescheduling ----------------------------------------


def _calendar(
    *,
    office: Office,
    service: Service,
    now: dt.datetime | None = None,
    bundle: Bundle | None = None,
) -> list:
    return selectors.calendar_days(
        office=office,
        service=service,
        first=timezone.localdate(),
        days=CALENDAR_DAYS,
        now=now or timezone.now(),
        bundle=bundle,
    )


def _parse_day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


def _picker_context(
    request: HttpRequest,
    *,
    service: Service,
    office: Office,
    booking: Booking | None = None,
    bundle: Bundle | None = None,
) -> dict:
    """The day picker; for a 一件事 visit (`bundle`, or a booking of one) the bundle's slots."""
    now = timezone.now()
    if bundle is None and booking is not None:
        bundle = booking.bundle
    days = _calendar(office=office, service=service, now=now, bundle=bundle)
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
            office=office,
            service=service,
            day=chosen.day,
            now=now,
            current=current,
            bundle=bundle,
        )
    return {
        "service": service,
        "office": office,
        "days": days,
        "chosen": chosen,
        "rows": rows,
        "today": timezone.localdate(),
        "booking": booking,
        "bundle": bundle,
    }


def _render_picker(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """The whole page, or for htmx (a day chosen) only the calendar and times: the partial
    defined in slot_choose.html, which the reschedule page includes too."""
    if request.htmx:
        return render(request, "appointments/slot_choose.html#picker", {**context, "swapped": True})
    return render(request, template, context)
