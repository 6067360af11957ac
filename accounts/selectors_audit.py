"""Reading the audit trail: the auditors' search and the chain check of `manage.py verify_audit`."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from .audit import GENESIS
from .models import AuditEntry, AuditHead


def audit_entry_list(
    *,
    username: str = "",
    office_id: int | None = None,
    office_ids: set[int] | None = None,
    subject_hmac: str = "",
    action: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEntry]:
    """Newest first. Dates are local days, both ends included. `office_ids` is the reader's
    scope (None: every office, and the entries of no office such as sign-ins)."""
    entries = AuditEntry.objects.all()
    if office_ids is not None:
        entries = entries.filter(office_id__in=office_ids)
    if username:
        entries = entries.filter(actor_username__iexact=username)
    if office_id is not None:
        entries = entries.filter(office_id=office_id)
    if subject_hmac:
        entries = entries.filter(subject_hmac=subject_hmac)
    if action:
        entries = entries.filter(action=action)
    if date_from:
        entries = entries.filter(timestamp__gte=_day_start(date_from))
    if date_to:
        entries = entries.filter(timestamp__lt=_day_start(date_to + dt.timedelta(days=1)))
    return entries.order_by("-seq")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass
class ChainReport:
    count: int
    broken: AuditEntry | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


def audit_chain_verify() -> ChainReport:
    """Recompute the chain from the first entry; stop at the first entry that does not fit."""
    count, previous = 0, None
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        expected_prev = previous.hash if previous else GENESIS
        if entry.seq != count + 1 or entry.prev_hash != expected_prev:
            return ChainReport(count, entry, "an entry before this one is missing or was changed")
        if entry.compute_hash() != entry.hash:
            return ChainReport(count, entry, "this entry was changed after it was written")
        count, previous = count + 1, entry
    head = AuditHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, "")
    if (head_seq, head_hash or GENESIS) != (count, previous.hash if previous else GENESIS):
        return ChainReport(count, previous, "entries after this one are missing")
    return ChainReport(count)
