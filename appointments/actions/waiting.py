"""The waiting list: a full day can be waited for; a place that frees up is held for the first
person waiting, who gets a link valid for a limited time (first come, first served)."""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.actions import audit_changed, audit_created, audit_values
from core.codes import random_code
from core.crypto import encrypt_text, pii_hmac
from core.idnumbers import mask_id_number, validate_id_number
from services.models import Office, Service

from .. import selectors
from ..constants import BookingStatus, WaitStatus
from ..errors import AlreadyWaiting, OfferExpired, WaitingEntryNotFound
from ..models import Booking, Slot, WaitingListEntry
from .events import waiting_event

_SALT = "appointments.waiting-offer"
_MANAGE_SALT = "appointments.waiting-entry"
REFERENCE_LENGTH = 7


def waiting_join(
    *,
    office: Office,
    service: Service,
    day: dt.date,
    name: str,
    id_number: str,
    phone: str,
    email: str = "",
    language: str = "zh-hans",
    privacy_notice_version: str = "",
) -> WaitingListEntry:
    id_number = validate_id_number(id_number)
    try:
        with transaction.atomic():
            entry = WaitingListEntry.objects.create(
                # 31^7 ≈ 2.7e10 codes: a clash is as unlikely as for booking codes.
                reference="W" + random_code(REFERENCE_LENGTH),
                office=office,
                service=service,
                date=day,
                name=name.strip(),
                id_number_enc=encrypt_text(id_number),
                id_number_hmac=pii_hmac(id_number),
                id_masked=mask_id_number(id_number),
                phone=phone,
                email=email,
                language=language,
                privacy_notice_version=privacy_notice_version,
            )
            audit_created(entry)
            waiting_event(entry.pk, "joined")  # the confirmation SMS, sent once this commits
            return entry
    except IntegrityError:
        raise AlreadyWaiting()


def waiting_manage_token(entry: WaitingListEntry) -> str:
    """The resident's link to their place on the list: signed, so it cannot be guessed from the
    reference, and it names no ID number."""
    # No timestamp (Signer, not dumps): the page and the SMS give the same link.
    return signing.Signer(salt=_MANAGE_SALT).sign(entry.reference or "")


def waiting_entry_from_manage_token(token: str) -> WaitingListEntry:
    try:
        reference = signing.Signer(salt=_MANAGE_SALT).unsign(token)
    except signing.BadSignature:
        raise WaitingEntryNotFound()
    entry = (
        WaitingListEntry.objects.select_related("service", "office", "offered_slot")
        .filter(reference=reference, anonymised_at__isnull=True)
        .first()
    )
    if entry is None or not reference:
        raise WaitingEntryNotFound()
    return entry


@transaction.atomic
def waiting_leave(*, token: str, now: dt.datetime | None = None) -> WaitingListEntry:
    """The resident gives up their place on the list (or the place held for them, which passes
    to the next person). Leaving twice is harmless."""
    from .booking import slot_give_back_place

    now = now or timezone.now()
    entry = WaitingListEntry.objects.select_for_update().get(
        pk=waiting_entry_from_manage_token(token).pk
    )
    if entry.status not in (WaitStatus.WAITING, WaitStatus.OFFERED):
        return entry
    held_slot_id = entry.offered_slot_id if entry.status == WaitStatus.OFFERED else None
    before = audit_values(entry)
    entry.status = WaitStatus.CANCELLED
    entry.left_at = now
    entry.save(update_fields=["status", "left_at"])
    audit_changed(entry, before)
    if held_slot_id and not waiting_offer_place(slot_id=held_slot_id, now=now):
        slot_give_back_place(slot_id=held_slot_id)
    return entry


def waiting_offer_token(entry: WaitingListEntry) -> str:
    return signing.dumps({"e": entry.pk, "s": entry.offered_slot_id}, salt=_SALT)


def waiting_offer_place(*, slot_id: int, now: dt.datetime | None = None) -> bool:
    """Hold a freed place of `slot_id` for the first person waiting. False: nobody waits."""
    now = now or timezone.now()
    slot = Slot.objects.select_related("schedule").get(pk=slot_id)
    closes_at = selectors.slot_window(slot).closes_at
    if slot.is_closed or closes_at <= now:
        return False  # nobody could book it any more
    day = timezone.localtime(slot.start).date()
    # Somebody who booked the service meanwhile could not accept: the place goes to the next.
    booked_meanwhile = Booking.objects.filter(
        id_number_hmac=OuterRef("id_number_hmac"),
        service=OuterRef("service"),
        status=BookingStatus.BOOKED,
    )
    entry = (
        WaitingListEntry.objects.select_for_update(skip_locked=True)
        .filter(
            office_id=slot.office_id,
            service__in=slot.schedule.services.all(),
            date=day,
            status=WaitStatus.WAITING,
        )
        .exclude(Exists(booked_meanwhile))
        .order_by("created_at", "id")
        .first()
    )
    if entry is None:
        return False
    minutes = settings.BOOKING["WAITLIST_OFFER_MINUTES"]
    before = audit_values(entry)
    entry.status = WaitStatus.OFFERED
    entry.offered_slot = slot
    # Valid while the slot can still be booked, at most the configured time.
    entry.offer_expires_at = min(now + dt.timedelta(minutes=minutes), closes_at)
    entry.save(update_fields=["status", "offered_slot", "offer_expires_at"])
    audit_changed(entry, before)
    waiting_event(entry.pk, "offered")
    return True


def waiting_entry_from_token(token: str, *, now: dt.datetime | None = None) -> WaitingListEntry:
    now = now or timezone.now()
    try:
        data = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        raise OfferExpired()
    entry = (
        WaitingListEntry.objects.select_related("offered_slot", "service", "office")
        .filter(pk=data["e"], offered_slot_id=data["s"], status=WaitStatus.OFFERED)
        .first()
    )
    if entry is None or entry.offer_expires_at is None or entry.offer_expires_at <= now:
        raise OfferExpired()
    return entry


@transaction.atomic
def waiting_accept(*, token: str, now: dt.datetime | None = None) -> Booking:
    """Turn a held place into a booking for the person it was offered to."""
    from core.crypto import decrypt_text

    from .booking import booking_create

    now = now or timezone.now()
    entry = waiting_entry_from_token(token, now=now)
    entry = WaitingListEntry.objects.select_for_update().get(pk=entry.pk)
    expires, slot_id = entry.offer_expires_at, entry.offered_slot_id
    if entry.status != WaitStatus.OFFERED or expires is None or expires <= now or slot_id is None:
        raise OfferExpired()
    booking = booking_create(
        slot_id=slot_id,
        service=entry.service,
        name=entry.name,
        id_number=decrypt_text(entry.id_number_enc),
        phone=entry.phone,
        email=entry.email,
        language=entry.language,
        now=now,
        place_already_held=True,
        privacy_notice_version=entry.privacy_notice_version,
    )
    before = audit_values(entry)
    entry.status = WaitStatus.BOOKED
    entry.booking = booking
    entry.save(update_fields=["status", "booking"])
    audit_changed(entry, before)
    return booking


@transaction.atomic
def waiting_expire_offers(*, now: dt.datetime | None = None) -> int:
    """Offers not taken up in time pass to the next person, or the place returns to the pool."""
    from .booking import slot_give_back_place

    now = now or timezone.now()
    expired = list(
        WaitingListEntry.objects.select_for_update(skip_locked=True).filter(
            status=WaitStatus.OFFERED, offer_expires_at__lte=now
        )
    )
    for entry in expired:
        before = audit_values(entry)
        entry.status = WaitStatus.EXPIRED
        entry.save(update_fields=["status"])
        audit_changed(entry, before)
        slot_id = entry.offered_slot_id
        assert slot_id is not None  # an offer holds its slot
        if not waiting_offer_place(slot_id=slot_id, now=now):
            slot_give_back_place(slot_id=slot_id)
    return len(expired)
