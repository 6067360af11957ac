"""Retention of bookings and waiting lists (settings.RETENTION, docs/deploy.md "Retention").

PERSONAL_DATA_DAYS after the visit, a booking keeps what the statistics need (office, service,
slot, times, status, channel, language) and loses who it was: name, ID number (ciphertext,
keyed digest and mask), phone, e-mail, the account link and the free-text reason. The digest
becomes `anon:<id>`, which matches nobody and keeps the one-active-booking index satisfied.
The stored confirmation PDFs of the bookings are deleted with the personal data.
Idempotent: `anonymised_at` marks what is done. Each batch is one transaction with one audit
entry; a resident's data export and account deletion no longer find an anonymised booking.
"""

import datetime as dt

from django.db import transaction
from django.db.models import CharField, Model, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from accounts.actions import audit_record
from accounts.models import AuditAction
from core.printstore import printouts_delete
from core.retention import apply_in_batches

from ..constants import BOOKING_PDF_FOLDER
from ..models import Booking, PersonQuota, WaitingListEntry

# Stored data, not an interface text (like ANONYMOUS_NAME in accounts.py).
ANONYMISED_NAME = "已匿名"


def booking_anonymise_before(*, cutoff: dt.datetime) -> int:
    """Anonymise every booking whose slot started before `cutoff`; the number anonymised."""
    due = Booking.objects.filter(start__lt=cutoff, anonymised_at__isnull=True)
    return apply_in_batches(due, lambda ids: _bookings_anonymise(ids=ids, cutoff=cutoff))


@transaction.atomic
def _bookings_anonymise(*, ids: list[int], cutoff: dt.datetime) -> int:
    done = Booking.objects.filter(pk__in=ids, anonymised_at__isnull=True).update(
        name=ANONYMISED_NAME,
        id_number_enc="",
        id_number_hmac=Concat(Value("anon:"), Cast("pk", CharField())),
        id_masked="",
        phone="",
        email="",
        user=None,
        cancel_reason="",
        anonymised_at=timezone.now(),
    )
    _audit(Booking, done, cutoff)
    booking_printouts_delete(ids=ids)
    return done


def booking_printouts_delete(*, ids: list[int]) -> None:
    """The stored confirmation PDFs (core/printstore.py) show the name and the masked ID
    number: they go with the personal data, once the transaction that clears it commits."""
    codes = list(Booking.objects.filter(pk__in=ids).values_list("code", flat=True))
    folders = [BOOKING_PDF_FOLDER.format(code=code) for code in codes]
    transaction.on_commit(lambda: printouts_delete(folders=folders))


def waiting_anonymise_before(*, cutoff: dt.datetime) -> int:
    """Anonymise the waiting-list entries for days before `cutoff` (local date)."""
    day = timezone.localtime(cutoff).date()
    due = WaitingListEntry.objects.filter(date__lt=day, anonymised_at__isnull=True)
    return apply_in_batches(due, lambda ids: _waiting_anonymise(ids=ids, cutoff=cutoff))


@transaction.atomic
def _waiting_anonymise(*, ids: list[int], cutoff: dt.datetime) -> int:
    done = WaitingListEntry.objects.filter(pk__in=ids, anonymised_at__isnull=True).update(
        name=ANONYMISED_NAME,
        id_number_enc="",
        id_number_hmac=Concat(Value("anon:"), Cast("pk", CharField())),
        id_masked="",
        phone="",
        email="",
        anonymised_at=timezone.now(),
    )
    _audit(WaitingListEntry, done, cutoff)
    return done


@transaction.atomic
def quota_purge_before(*, cutoff: dt.datetime) -> int:
    """Drop the per-person daily counters (keyed digests of ID numbers) of past days."""
    day = timezone.localtime(cutoff).date()
    done, _by_model = PersonQuota.objects.filter(date__lt=day).delete()
    if done:
        audit_record(
            actor=None,
            action=AuditAction.PURGE,
            obj=PersonQuota,
            details={"count": done, "before": cutoff.isoformat()},
        )
    return done


def _audit(model: type[Model], count: int, cutoff: dt.datetime) -> None:
    if count:
        audit_record(
            actor=None,
            action=AuditAction.ANONYMISE,
            obj=model,
            details={"count": count, "before": cutoff.isoformat()},
        )
