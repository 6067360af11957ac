"""Reading the audit trail: the auditors' search and the chain check of `manage.py verify_audit`."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from .audit import GENESIS
from .models import AuditAction, AuditEntry, AuditHead


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
    """Recompute the chain from the first entry; stop at the first entry that does not fit.
    After a retention purge the chain starts from the head's anchor (the last entry removed),
    which the newest `purge` entry, itself part of the chain, must vouch for."""
    head = AuditHead.objects.filter(pk=1).first()
    anchor_seq, anchor_hash = (head.anchor_seq, head.anchor_hash) if head else (0, "")
    seq, count, previous_hash, previous = anchor_seq, 0, anchor_hash or GENESIS, None
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        if entry.seq != seq + 1 or entry.prev_hash != previous_hash:
            return ChainReport(count, entry, "an entry before this one is missing or was changed")
        if entry.compute_hash() != entry.hash:
            return ChainReport(count, entry, "this entry was changed after it was written")
        seq, count, previous_hash, previous = entry.seq, count + 1, entry.hash, entry
    head_seq, head_hash = (head.seq, head.hash) if head else (0, "")
    if (head_seq, head_hash or GENESIS) != (seq, previous_hash):
        return ChainReport(count, previous, "entries after this one are missing")
    if anchor_seq and not _purge_vouches_for(anchor_seq, anchor_hash):
        return ChainReport(count, None, "the start of the trail was removed without a purge")
    return ChainReport(count)


def _purge_vouches_for(anchor_seq: int, anchor_hash: str) -> bool:
    purge = AuditEntry.objects.filter(action=AuditAction.PURGE).order_by("-seq").first()
    details = purge.details if purge else {}
    return details.get("through_seq") == anchor_seq and details.get("through_hash") == anchor_hash
