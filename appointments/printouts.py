"""The booking's printouts: the confirmation PDF and the .ics calendar file.

The PDF is bilingual: every label and sentence in the booking's language, with the other language
as a subtitle underneath (for a booking made in Chinese: "预约确认单 / Appointment confirmation").
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, ngettext
from icalendar import Alarm, Calendar, Event

from core.i18n import bilingual
from core.links import site_reverse
from core.pdf import pdf_layout_version, render_to_pdf
from core.printstore import printout_stored, printout_version
from core.qr import qr_png_data_uri

from . import selectors
from .constants import BOOKING_PDF_FOLDER, BookingStatus
from .models import Booking

ARRIVAL_MINUTES = 30  # residents may check in this long before their time


def booking_manage_url(booking: Booking) -> str:
    return site_reverse("appointments:booking_lookup", language=booking.language)


def booking_local_times(booking: Booking) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(settings.TIME_ZONE)
    return timezone.localtime(booking.start, zone), timezone.localtime(booking.slot.end, zone)


def booking_day_label(start: dt.datetime) -> str:
    """The local date with its weekday, in the active language."""
    # Translators: a date with its weekday, e.g. "Tuesday, June 4, 2030" / "2030年6月4日 星期二"
    return gettext("%(weekday)s, %(date)s") % {
        "weekday": formats.date_format(start, "l"),
        "date": formats.date_format(start, "DATE_FORMAT"),
    }


def booking_checkin_from(start: dt.datetime) -> str:
    return (start - dt.timedelta(minutes=ARRIVAL_MINUTES)).strftime("%H:%M")


def _material_texts(material) -> dict:
    needs = []
    if material.original_required:
        needs.append(gettext("Original"))
    if material.copies:
        needs.append(
            ngettext("%(n)s photocopy", "%(n)s photocopies", material.copies)
            % {"n": material.copies}
        )
    if material.is_optional:
        needs.append(gettext("Only if it applies to you"))
    return {"name": material.name, "note": material.note, "needs": needs}


def _texts(booking: Booking, start: dt.datetime, materials: list) -> dict:
    checkin = booking_checkin_from(start)
    return {
        "authority": gettext("Xingcheng Public Security Bureau"),
        "brand": gettext("OneWindow"),
        "title": gettext("Appointment confirmation"),
        "code": gettext("Booking code"),
        "scan": gettext("Show or scan this code at the kiosk"),
        "status": str(booking.get_status_display()),
        "appointment": gettext("Appointment details"),
        "service": gettext("Service"),
        "date": gettext("Date"),
        "time": gettext("Time"),
        "office": gettext("Office"),
        "address": gettext("Address"),
        "phone": gettext("Phone"),
        "applicant": gettext("Applicant"),
        "name": gettext("Name"),
        "id_number": gettext("ID number"),
        "bring": gettext("What to bring"),
        "document": gettext("Document"),
        "needs": gettext("Required"),
        "nothing": gettext("Only your ID card."),
        "notes": gettext("Please note"),
        "arrive": gettext(
            "Check in from %(time)s, up to %(minutes)s minutes before your time, at the kiosk "
            "or the reception desk."
        )
        % {"time": checkin, "minutes": ARRIVAL_MINUTES},
        "identity": gettext(
            "Bring the original ID card of the person named above: the booking belongs to this "
            "ID number and cannot be passed on."
        ),
        "manage": gettext(
            "To reschedule or cancel, go to the address below and enter the booking code and "
            "the last 4 characters of the ID number."
        ),
        "footer": gettext(
            "Issued by OneWindow on %(when)s. Keep this confirmation until your visit."
        )
        % {"when": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
        "service_name": selectors.booking_title(booking),
        "office_name": booking.office.name,
        "office_address": booking.office.address,
        "office_transit": booking.office.transit,
        "day": booking_day_label(start),
        "materials": [_material_texts(m) for m in materials],
    }


PDF_TEMPLATE, PDF_STYLESHEETS = "appointments/booking_pdf.html", ("css/pdf.css",)


def _pdf_context(booking: Booking) -> dict:
    """What the confirmation shows, but the QR code (made from the code when rendering)."""
    start, end = booking_local_times(booking)
    materials = selectors.booking_materials(booking)
    with timezone.override(ZoneInfo(settings.TIME_ZONE)):
        texts = bilingual(lambda: _texts(booking, start, materials), language=booking.language)
    return {
        "booking": booking,
        "t": texts,
        "lang": "zh-Hans" if booking.language.lower().startswith("zh") else booking.language,
        "code_spaced": f"{booking.code[:4]} {booking.code[4:]}",
        "times": f"{start:%H:%M}–{end:%H:%M}",
        "is_active": booking.status == BookingStatus.BOOKED,
        "is_cancelled": booking.status == BookingStatus.CANCELLED,
        "manage_url": booking_manage_url(booking),
    }


def _pdf_render(booking: Booking, context: dict) -> bytes:
    with timezone.override(ZoneInfo(settings.TIME_ZONE)):
        return render_to_pdf(
            PDF_TEMPLATE,
            {**context, "qr": qr_png_data_uri(booking.code, scale=1)},
            language=booking.language,
            stylesheets=PDF_STYLESHEETS,
        )


def booking_pdf(booking: Booking) -> bytes:
    """The confirmation to print or keep on the phone: one A4 page, rendered now."""
    return _pdf_render(booking, _pdf_context(booking))


def booking_pdf_stored(booking: Booking) -> bytes:
    """The confirmation as `booking_pdf` makes it, from the copy stored when it was last made
    for the booking as it is now (core/printstore.py), else rendered and stored. Rendered for
    the confirmation e-mail, it is a file read when the resident downloads it. The version
    covers everything the page shows but the moment it was issued (its footer)."""
    context = _pdf_context(booking)
    texts = {key: value for key, value in context["t"].items() if key != "footer"}
    shown = (booking.code, booking.name, booking.id_masked, booking.office.phone)
    version = printout_version(
        pdf_layout_version(PDF_TEMPLATE, PDF_STYLESHEETS),
        shown,
        sorted(texts.items()),
        sorted((k, v) for k, v in context.items() if k not in ("booking", "t")),
    )
    return printout_stored(
        folder=BOOKING_PDF_FOLDER.format(code=booking.code),
        version=version,
        render=lambda: _pdf_render(booking, context),
    )


def booking_pdf_store(*, booking_id: int) -> None:
    """Render and store the confirmation of the booking as it is now, unless a copy is stored
    (actions.booking_pdf_prepare). A booking gone or no longer booked needs none."""
    booking = (
        Booking.objects.select_related("service", "office", "slot")
        .filter(pk=booking_id, status=BookingStatus.BOOKED)
        .first()
    )
    if booking is not None:
        booking_pdf_stored(booking)


def booking_ics(booking: Booking) -> bytes:
    """A calendar entry; for a cancelled booking, the cancellation of that entry (same UID)."""
    cancelled = booking.status == BookingStatus.CANCELLED
    with translation.override(booking.language):
        summary = selectors.booking_title(booking)
        location = f"{booking.office.name}, {booking.office.address}"
        description = gettext("Booking code: %(code)s") % {"code": booking.code}
        bring = [m.name for m in selectors.booking_materials(booking)]
        bring = bring or [gettext("Only your ID card.")]
        description += "\n\n" + gettext("What to bring") + ":\n- " + "\n- ".join(bring)
        description += "\n\n" + booking_manage_url(booking)
        reminder = gettext("Tomorrow: %(service)s at %(office)s") % {
            "service": summary,
            "office": booking.office.name,
        }

    calendar = Calendar()
    calendar.add("prodid", "-//OneWindow//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"{booking.code}@onewindow")
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", booking.start.astimezone(dt.UTC))
    event.add("dtend", booking.slot.end.astimezone(dt.UTC))
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("sequence", 1 if cancelled else 0)
    if not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", reminder)
        alarm.add("trigger", dt.timedelta(days=-1))
        event.add_component(alarm)
    calendar.add_component(event)
    return calendar.to_ical()
