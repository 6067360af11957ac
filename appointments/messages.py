"""What residents are told about their bookings and waiting-list places, by SMS and e-mail.

Called by the Celery tasks in tasks.py with ids. Each message is rendered from
templates/appointments/messages/<kind>_sms.txt and <kind>_email.txt (the subject is the e-mail
template's first line) in the resident's language. A message already sent for the same kind and
booking is not sent again, so a retried task repeats only what failed.
"""

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.links import site_reverse
from core.outbox import outbox_enqueue
from notifications.actions import DeliveryFailed, Outgoing, message_send
from notifications.models import Channel, Message, MessageStatus

from . import selectors
from .actions import booking_mark_reminded, waiting_manage_token, waiting_offer_token
from .constants import BookingStatus, CancelledBy, WaitStatus
from .models import Booking, WaitingListEntry
from .printouts import (
    booking_checkin_from,
    booking_day_label,
    booking_ics,
    booking_local_times,
    booking_manage_url,
    booking_pdf_stored,
)

logger = logging.getLogger(__name__)

BOOKING_KINDS = ("confirmed", "rescheduled", "cancelled", "cancelled_by_office", "reminder")
WAITING_KINDS = ("joined", "offered")
# The printouts go with the messages that lead to a visit; a cancellation carries the .ics that
# removes the calendar entry.
WITH_PRINTOUTS = ("confirmed", "reminder")


def _render(kind: str, context: dict) -> tuple[str, str, str]:
    """(sms text, e-mail subject, e-mail body) in the active language."""
    sms = " ".join(render_to_string(f"appointments/messages/{kind}_sms.txt", context).split())
    email = render_to_string(f"appointments/messages/{kind}_email.txt", context).strip()
    subject, _newline, body = email.partition("\n")
    return sms, subject.strip(), body.strip() + "\n"


def _local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _booking_context(booking: Booking) -> dict:
    start, end = booking_local_times(booking)
    day = booking_day_label(start)
    lang = booking.language
    return {
        "code": booking.code,
        "name": booking.name,
        "id_masked": booking.id_masked,
        "service": selectors.booking_title(booking),
        "office": booking.office.name,
        "address": booking.office.address,
        "phone": booking.office.phone,
        "day": day,
        "start_time": f"{start:%H:%M}",
        "times": f"{start:%H:%M}–{end:%H:%M}",
        "when": f"{day} {start:%H:%M}",
        "checkin": booking_checkin_from(start),
        "materials": [str(m.name) for m in selectors.booking_materials(booking)],
        "manage_url": booking_manage_url(booking),
        "rebook_url": site_reverse(
            "appointments:book_office", args=[booking.service.code], language=lang
        ),
        "rescheduled": booking.rescheduled_from_id is not None,
        "old_code": booking.rescheduled_from.code if booking.rescheduled_from_id else "",
        "reason": _cancel_reason(booking, start.date()),
    }


def _cancel_reason(booking: Booking, day: dt.date) -> str:
    if booking.cancelled_by != CancelledBy.OFFICE:
        return booking.cancel_reason
    closure = selectors.closure_for(office=booking.office, service=booking.service, day=day)
    return closure.reason if closure is not None else booking.cancel_reason


def _booking_attachments(booking: Booking, kind: str) -> list[tuple[str, bytes, str]]:
    files = [(f"booking-{booking.code}.ics", booking_ics(booking), "text/calendar")]
    if kind in WITH_PRINTOUTS:
        files.insert(
            0, (f"booking-{booking.code}.pdf", booking_pdf_stored(booking), "application/pdf")
        )
    return files


def _already_sent(*, channel: str, kind: str, ref: str) -> bool:
    return Message.objects.filter(
        channel=channel, kind=kind, ref=ref, status=MessageStatus.SENT
    ).exists()


def _send_all(outgoing: list[Outgoing], *, kind: str, ref: str) -> list[Message]:
    """Send each message not yet sent; raise DeliveryFailed (the task retries) if one failed."""
    sent = []
    for item in outgoing:
        if not item.to or _already_sent(channel=item.channel, kind=kind, ref=ref):
            continue
        sent.append(
            message_send(
                channel=item.channel,
                to=item.to,
                subject=item.subject,
                body=item.body,
                kind=kind,
                ref=ref,
                attachments=item.attachments(),
            )
        )
    failed = [m.channel for m in sent if m.status == MessageStatus.FAILED]
    if failed:
        raise DeliveryFailed(f"{kind} {ref}: {', '.join(failed)} not delivered")
    return sent


def booking_message_send(*, booking_id: int, kind: str) -> list[Message]:
    """Tell the resident about a booking: SMS always, e-mail when an address was given."""
    if kind not in BOOKING_KINDS:
        raise ValueError(f"unknown booking message {kind!r}")
    kind = "confirmed" if kind == "rescheduled" else kind  # the new booking's confirmation
    booking = Booking.objects.select_related("service", "office", "slot", "rescheduled_from").get(
        pk=booking_id
    )
    if kind in WITH_PRINTOUTS and booking.status != BookingStatus.BOOKED:
        return []  # cancelled before this went out: the cancellation message says it all
    with translation.override(booking.language), timezone.override(_local_zone()):
        sms, subject, body = _render(kind, _booking_context(booking))
    return _send_all(
        [
            Outgoing(Channel.SMS, booking.phone, "", sms),
            Outgoing(
                Channel.EMAIL,
                booking.email,
                subject,
                body,
                lambda: _booking_attachments(booking, kind),
            ),
        ],
        kind=kind,
        ref=booking.code,
    )


def _offer_context(entry: WaitingListEntry) -> dict:
    zone = _local_zone()
    slot = entry.offered_slot
    start = timezone.localtime(slot.start, zone)
    end = timezone.localtime(slot.end, zone)
    expires = timezone.localtime(entry.offer_expires_at, zone)
    day = booking_day_label(start)
    expires_day = "" if expires.date() == start.date() else booking_day_label(expires) + " "
    token = waiting_offer_token(entry)
    return {
        "name": entry.name,
        "service": entry.service.name,
        "office": entry.office.name,
        "address": entry.office.address,
        "day": day,
        "start_time": f"{start:%H:%M}",
        "times": f"{start:%H:%M}–{end:%H:%M}",
        "when": f"{day} {start:%H:%M}",
        "expires": f"{expires_day}{expires:%H:%M}",
        "offer_url": site_reverse(
            "appointments:offer_accept", args=[token], language=entry.language
        ),
    }


def _joined_context(entry: WaitingListEntry) -> dict:
    return {
        "name": entry.name,
        "reference": entry.reference,
        "position": selectors.waiting_position(entry),
        "service": entry.service.name,
        "office": entry.office.name,
        "day": booking_day_label(entry.date),
        "manage_url": site_reverse(
            "appointments:waiting_manage", args=[waiting_manage_token(entry)],
            language=entry.language,
        ),
    }


def waiting_message_send(*, entry_id: int, kind: str) -> list[Message]:
    """Confirm a place on the list ("joined", with the reference, the position and the link to
    leave), or offer a freed place with a link valid until it expires ("offered")."""
    if kind not in WAITING_KINDS:
        raise ValueError(f"unknown waiting-list message {kind!r}")
    entry = WaitingListEntry.objects.select_related("service", "office", "offered_slot").get(
        pk=entry_id
    )
    if kind == "joined":
        if entry.status != WaitStatus.WAITING:
            return []  # left or already offered a place before this went out
        make_context, ref = _joined_context, f"wait-{entry.pk}-joined"
    elif entry.status != WaitStatus.OFFERED or entry.offered_slot is None:
        return []  # taken, expired or withdrawn before this went out
    else:
        make_context, ref = _offer_context, f"wait-{entry.pk}-{entry.offered_slot_id}"
    with translation.override(entry.language), timezone.override(_local_zone()):
        sms, subject, body = _render(kind, make_context(entry))
    return _send_all(
        [
            Outgoing(Channel.SMS, entry.phone, "", sms),
            Outgoing(Channel.EMAIL, entry.email, subject, body),
        ],
        kind=kind,
        ref=ref,
    )


def booking_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Remind everyone booked for tomorrow (local date), once each: the conditional update in
    booking_mark_reminded decides who sends, so runs that overlap never remind twice."""
    now = now or timezone.now()
    zone = _local_zone()
    tomorrow = timezone.localtime(now, zone).date() + dt.timedelta(days=1)
    first = dt.datetime.combine(tomorrow, dt.time.min, tzinfo=zone)
    due = Booking.objects.filter(
        status=BookingStatus.BOOKED,
        start__gte=first,
        start__lt=first + dt.timedelta(days=1),
        reminder_sent_at__isnull=True,
    ).values_list("pk", flat=True)
    reminded = 0
    for booking_id in list(due):
        with transaction.atomic():  # the mark and its outbox row commit together
            if not booking_mark_reminded(booking_id=booking_id, now=now):
                continue  # another run got there first
            outbox_enqueue(
                "appointments.tasks.booking_notify",
                booking_id,
                "reminder",
                key=f"{booking_id}:reminder",
            )
        reminded += 1
    return reminded
