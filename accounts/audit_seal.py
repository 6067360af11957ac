"""Sealing the audit trail: signed batches, their export, and the one way entries are removed.

- `audit_seal` (Celery beat every few seconds, `manage.py seal_audit`) takes the committed
  entries after the last batch, in id order, up to a safe horizon, in batches of
  AUDIT_SEAL["BATCH"]. Each batch lists its entries' numbers and hashes; its head hashes that
  list with the previous batch's head and is signed with the issuer's Ed25519 key.
- The safe horizon: entry numbers come from a sequence, so a transaction may hold number 100
  uncommitted while 101 is committed. On PostgreSQL the sealer reads the sequence's last value,
  then the transactions holding the entry table open for writing (`pg_locks`: an INSERT takes
  its lock before it draws a number), and waits (AUDIT_SEAL["WAIT_SECONDS"] at most) until those
  have ended: every number up to that last value is then committed or never will be. If they
  have not ended, it seals nothing this time. On SQLite writers hold the database lock from
  their first insert to their commit: numbers are committed in order.
- `audit_heads_export` appends every head not yet in AUDIT_HEAD_EXPORT_DIR/audit-heads.jsonl.
- `audit_purge_before` (retention): a `purge` entry "through entry N, before T" is written and
  sealed first; only then are the entries up to N deleted, and on PostgreSQL the trigger lets
  a DELETE through only for rows that such a sealed purge entry covers (migration 0007).
"""

import fcntl
import hashlib
import json
import logging
import os
import time
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.signing import sign_statement

from .audit import audit_record
from .models import AuditAction, AuditBatch, AuditEntry

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
EXPORT_FILE = "audit-heads.jsonl"
# Below this age nothing is purged, whatever RETENTION says: the Cybersecurity Law's six months.
# The PostgreSQL trigger holds the same floor (migration 0007).
PURGE_FLOOR = timedelta(days=180)


def head_statement(head: str) -> bytes:
    """The bytes the issuer signs for a batch head."""
    return f"onewindow-audit-head/1:{head}".encode()


# --- sealing ---------------------------------------------------------------------------------


def audit_seal(*, wait: float | None = None) -> int:
    """Seal what can be sealed; returns the number of entries sealed. Then export the heads."""
    horizon = seal_horizon(wait=settings.AUDIT_SEAL["WAIT_SECONDS"] if wait is None else wait)
    sealed = 0
    while horizon:
        done = _seal_batch(horizon=horizon)
        if not done:
            break
        sealed += done
    audit_heads_export()
    return sealed


def seal_horizon(*, wait: float) -> int:
    """The highest entry number below which no entry can still appear (0: none yet)."""
    if connection.vendor != "postgresql":
        return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    table = AuditEntry._meta.db_table
    with connection.cursor() as cursor:
        sequence = _sequence_name(cursor, table)  # a name from the catalogue
        cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608
        last_value, is_called = cursor.fetchone()
        # Read after the sequence: whoever drew a number up to last_value holds this lock
        # until it commits or rolls back. pg_locks lists the whole server's: a database copied
        # from the same template has the table under the same number, so only this one's count.
        cursor.execute(
            "SELECT coalesce(array_agg(DISTINCT virtualtransaction), '{}') FROM pg_locks"
            " WHERE locktype = 'relation' AND relation = %s::regclass"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()",
            [table],
        )
        writers = cursor.fetchone()[0]
        if not _writers_ended(cursor, writers, wait):
            return 0
    return last_value if is_called else 0


def _sequence_name(cursor, table: str) -> str:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    return cursor.fetchone()[0]


def _writers_ended(cursor, writers: list[str], wait: float) -> bool:
    deadline = time.monotonic() + wait
    while writers:
        cursor.execute(
            "SELECT coalesce(array_agg(virtualxid), '{}') FROM pg_locks"
            " WHERE locktype = 'virtualxid' AND virtualxid = ANY(%s) AND granted",
            [writers],
        )
        writers = cursor.fetchone()[0]
        if writers and time.monotonic() >= deadline:
            logger.info("audit sealing postponed: %d transactions still writing", len(writers))
            return False
        if writers:
            time.sleep(0.02)
    return True


@transaction.atomic
def _seal_batch(*, horizon: int) -> int:
    last = AuditBatch.objects.select_for_update().order_by("-number").first()
    after = last.last_id if last else 0
    entries = list(
        AuditEntry.objects.filter(id__gt=after, id__lte=horizon).order_by("id")[
            : settings.AUDIT_SEAL["BATCH"]
        ]
    )
    if not entries:
        return 0
    leaves = "\n".join(f"{e.pk} {e.leaf_hash()}" for e in entries)
    batch = AuditBatch(
        number=last.number + 1 if last else 1,
        first_id=after + 1,
        last_id=entries[-1].pk,
        count=len(entries),
        newest_at=max(e.timestamp for e in entries),
        leaves=leaves,
        root=hashlib.sha256(leaves.encode()).hexdigest(),
        prev_head=last.head if last else GENESIS,
        sealed_at=timezone.now(),
    )
    batch.head = batch.compute_head()
    batch.key_id, batch.signature = sign_statement(head_statement(batch.head))
    try:
        with transaction.atomic():
            batch.save(force_insert=True)
    except IntegrityError:
        return 0  # another sealer took this number first (the first batch has no row to lock)
    return len(entries)


# --- the export outside the database -----------------------------------------------------------


def export_path() -> Path:
    return Path(settings.AUDIT_HEAD_EXPORT_DIR) / EXPORT_FILE


def audit_heads_export() -> int:
    """Append to the export file every batch head it does not hold yet, in order; returns how
    many. Append-only by construction (O_APPEND, never rewritten) and under a file lock, so two
    sealers never interleave; a head missing after a crash is appended at the next run."""
    path = export_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
    with os.fdopen(fd, "r+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        exported, head = _last_exported(handle)
        if exported and not AuditBatch.objects.filter(number=exported, head=head).exists():
            # The database lost batches the file holds (a restore, or a rewrite): the file is
            # the evidence, never appended to past it. verify_audit names the batch.
            logger.error("the audit export holds batch #%d that the database lacks", exported)
            return 0
        batches = AuditBatch.objects.filter(number__gt=exported).order_by("number")
        lines = [json.dumps(b.published(), sort_keys=True) + "\n" for b in batches]
        if lines:
            handle.write("".join(lines).encode())
            handle.flush()
            os.fsync(handle.fileno())
    return len(lines)


def _last_exported(handle) -> tuple[int, str]:
    size = handle.seek(0, os.SEEK_END)
    if not size:
        return 0, ""
    handle.seek(max(0, size - 8192))
    tail = handle.read().decode(errors="replace").strip().splitlines()
    last = json.loads(tail[-1]) if tail else {}
    return int(last.get("number", 0)), str(last.get("head", ""))


def exported_heads(path: Path | None = None) -> list[dict]:
    path = path or export_path()
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# --- retention ---------------------------------------------------------------------------------


def audit_purge_before(*, cutoff: datetime) -> int:
    """Remove the sealed batches' entries written before `cutoff` (RETENTION["AUDIT_DAYS"] ago),
    whole batches at a time; returns how many entries went. A `purge` entry records the cut and
    is sealed before a single row goes; the batches themselves stay, so the chain of heads is
    whole and `verify_audit` accepts the missing entries only below a legitimate purge."""
    days = retention_days()
    if cutoff > timezone.now() - timedelta(days=days):
        raise ValueError(f"audit entries are kept {days} days")
    removed = _purge_delete()
    through = _purge_candidate(cutoff)
    if through is not None:
        _purge_record(through, cutoff)
        audit_seal()
        removed += _purge_delete()
    return removed


def _purge_candidate(cutoff: datetime) -> AuditBatch | None:
    """The last batch of the oldest run of batches whose every entry is older than `cutoff`,
    if it goes further than what is purged already."""
    done = purge_through()
    stop = AuditBatch.objects.filter(newest_at__gte=cutoff).order_by("number").first()
    batches = AuditBatch.objects.filter(last_id__gt=done)
    if stop is not None:
        batches = batches.filter(number__lt=stop.number)
    return batches.order_by("-number").first()


@transaction.atomic
def _purge_record(through: AuditBatch, cutoff: datetime) -> None:
    audit_record(
        actor=None,
        action=AuditAction.PURGE,
        obj=AuditEntry,
        details={
            "through_id": through.last_id,
            "through_batch": through.number,
            "before": cutoff.isoformat(),
        },
    )


def purge_entries() -> list[tuple[AuditEntry, AuditBatch]]:
    """The retention purges of the trail that are sealed, each with the batch sealing it."""
    found = []
    purges = AuditEntry.objects.filter(
        action=AuditAction.PURGE, object_type=AuditEntry._meta.label_lower
    ).order_by("id")
    for entry in purges:
        batch = AuditBatch.objects.filter(first_id__lte=entry.pk, last_id__gte=entry.pk).first()
        if batch is not None:
            found.append((entry, batch))
    return found


def retention_days() -> int:
    return max(settings.RETENTION["AUDIT_DAYS"], PURGE_FLOOR.days)


def purge_problem(entry: AuditEntry, sealed_by: AuditBatch, *, days: int) -> str:
    """Why this purge entry is not a legitimate retention purge ("" when it is)."""
    try:
        through_id = int(entry.details["through_id"])
        before = datetime.fromisoformat(entry.details["before"])
    except (KeyError, TypeError, ValueError):
        return "this purge entry is malformed"
    if before.tzinfo is None:
        return "this purge entry is malformed"
    if before > sealed_by.sealed_at - timedelta(days=days):
        return f"this purge removes entries younger than {days} days"
    through = AuditBatch.objects.filter(last_id=through_id).first()
    if through is None or through.number >= sealed_by.number:
        return "this purge does not end at an earlier sealed batch"
    if AuditBatch.objects.filter(number__lte=through.number, newest_at__gte=before).exists():
        return "this purge covers entries written after its cut-off"
    return ""


def purge_through() -> int:
    """The highest entry number a legitimate sealed purge covers (0: none)."""
    days = retention_days()
    legit = [
        int(entry.details["through_id"])
        for entry, batch in purge_entries()
        if not purge_problem(entry, batch, days=days)
    ]
    return max(legit, default=0)


def _purge_delete() -> int:
    through = purge_through()
    table = AuditEntry._meta.db_table
    removed = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table}"  # noqa: S608
                " WHERE id <= %s ORDER BY id LIMIT %s)",
                [through, settings.RETENTION["BATCH_SIZE"] * 10],
            )
            done = cursor.rowcount
        removed += done
        if not done:
            return removed
