"""Reading the audit trail: the auditors' search, the published heads and the check of
`manage.py verify_audit`."""

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db.models import QuerySet
from django.utils import timezone

from accounts.audit_seal import (
    GENESIS,
    exported_heads,
    head_statement,
    purge_entries,
    purge_problem,
    retention_days,
)
from accounts.models import AuditBatch, AuditEntry
from core.signing import statement_valid


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
    return entries.order_by("-id")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_heads_page(*, after: int = 0, limit: int = 100) -> tuple[list[dict], dict | None]:
    """(the signed heads numbered after `after`, at most `limit`; the latest head)."""
    heads = [b.published() for b in AuditBatch.objects.filter(number__gt=after)[:limit]]
    latest = AuditBatch.objects.order_by("-number").first()
    return heads, latest.published() if latest else None


# --- verify_audit --------------------------------------------------------------------------------


class Broken(Exception):
    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where, self.reason = where, reason


@dataclass
class TrailReport:
    entries: int = 0  # sealed entries checked
    batches: int = 0
    unsealed: int = 0
    exported: int = 0
    purged_through: int = 0
    where: str = ""  # "entry id=N (batch #B)" or "batch #B" or "the export file"
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


def audit_trail_verify(
    *, export: Path | None = None, known_heads: Sequence[tuple[int, str]] = ()
) -> TrailReport:
    """Check every sealed batch (its head, its signature, the chain of heads, each entry against
    its leaf), that only a legitimate sealed purge removed entries, the export file of heads
    against the database, and any head an auditor holds. Stops at the first problem."""
    report = TrailReport()
    try:
        report.purged_through = _legitimate_purges()
        last = _verify_batches(report)
        report.unsealed = AuditEntry.objects.filter(id__gt=last.last_id if last else 0).count()
        _verify_export(report, export)
        for number, head in known_heads:
            _verify_known_head(number, head)
    except Broken as broken:
        report.where, report.reason = broken.where, broken.reason
    return report


def _legitimate_purges() -> int:
    """The highest entry number removed by a legitimate purge; a purge entry that is sealed but
    not legitimate (too young a cut-off, a range it cannot cover) is itself the problem."""
    through = 0
    for entry, batch in purge_entries():
        leaf = dict(batch.leaf_pairs()).get(entry.pk)
        if leaf != entry.leaf_hash():
            raise Broken(_entry(entry.pk, batch), "this purge entry was changed after sealing")
        problem = purge_problem(entry, batch, days=retention_days())
        if problem:
            raise Broken(_entry(entry.pk, batch), problem)
        through = max(through, int(entry.details["through_id"]))
    return through


def _entry(pk: int, batch: AuditBatch) -> str:
    return f"entry id={pk} (batch #{batch.number})"


def _verify_batches(report: TrailReport) -> AuditBatch | None:
    previous = None
    for batch in AuditBatch.objects.order_by("number").iterator(chunk_size=100):
        _verify_batch_itself(batch, previous)
        _verify_batch_entries(batch, report.purged_through)
        report.batches += 1
        report.entries += batch.count
        previous = batch
    return previous


def _verify_batch_itself(batch: AuditBatch, previous: AuditBatch | None) -> None:
    where = f"batch #{batch.number}"
    expected = (previous.number + 1, previous.last_id + 1, previous.head) if previous else (
        1, 1, GENESIS
    )
    if (batch.number, batch.first_id, batch.prev_head) != expected:
        raise Broken(where, "the batch before this one is missing or was changed")
    if batch.compute_head() != batch.head:
        raise Broken(where, "this batch was changed after it was sealed")
    if hashlib.sha256(batch.leaves.encode()).hexdigest() != batch.root:
        raise Broken(where, "the list of this batch's entries was changed")
    if not statement_valid(
        head_statement(batch.head), kid=batch.key_id, signature=batch.signature
    ):
        raise Broken(where, "the signature of this batch's head is not the issuer's")
    leaves = batch.leaf_pairs()
    ids = [pk for pk, _digest in leaves]
    if len(leaves) != batch.count or ids != sorted(set(ids)) or (
        ids and (ids[0] < batch.first_id or ids[-1] != batch.last_id)
    ):
        raise Broken(where, "the list of this batch's entries does not match its head")


def _verify_batch_entries(batch: AuditBatch, purged_through: int) -> None:
    stored = {
        e.pk: e
        for e in AuditEntry.objects.filter(id__gte=batch.first_id, id__lte=batch.last_id)
    }
    for pk, digest in batch.leaf_pairs():
        entry = stored.pop(pk, None)
        if entry is None:
            if pk <= purged_through:
                continue
            raise Broken(_entry(pk, batch), "this entry is missing")
        if entry.leaf_hash() != digest:
            raise Broken(_entry(pk, batch), "this entry was changed after it was sealed")
    if stored:
        raise Broken(_entry(min(stored), batch), "this entry was inserted after sealing")


def _verify_export(report: TrailReport, export: Path | None) -> None:
    heads = exported_heads(export)
    by_number = {b.number: b for b in AuditBatch.objects.filter(
        number__in=[h.get("number") for h in heads]
    )}
    previous = GENESIS
    for position, line in enumerate(heads, start=1):
        number = line.get("number")
        where = f"batch #{number} (line {position} of the export)"
        if number != position or line.get("prev_head") != previous:
            raise Broken(where, "the export file was cut or rewritten here")
        if not statement_valid(
            head_statement(line.get("head", "")),
            kid=line.get("key_id", ""),
            signature=line.get("signature", ""),
        ):
            raise Broken(where, "the signature of this exported head is not the issuer's")
        batch = by_number.get(number)
        if batch is None:
            raise Broken(where, "this batch is in the export but missing from the database")
        if batch.published() != line:
            raise Broken(where, "this batch differs from its exported head")
        previous = line["head"]
    report.exported = len(heads)
    if report.batches and not heads and export is None:
        raise Broken("the export file", "the export of heads is missing or empty")


def _verify_known_head(number: int, head: str) -> None:
    batch = AuditBatch.objects.filter(number=number).first()
    if batch is None or batch.head != head:
        raise Broken(f"batch #{number}", "the head an auditor holds is not in the trail")
