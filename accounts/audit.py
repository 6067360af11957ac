"""The audit trail's one writer: every entry, from every source, is appended here.

Each entry carries the SHA-256 of its content and of the previous entry's hash. Appends lock the
single `AuditHead` row inside the caller's transaction, so concurrent writers queue up and the
chain stays one straight line; an entry rolls back with the change it records.
"""

import ipaddress
import json
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from core.client_ip import client_ip
from core.crypto import pii_hmac
from core.idnumbers import normalize_id_number
from core.logging import mask_id_numbers_in_text as mask_text

from .models import AuditAction, AuditEntry, AuditHead

GENESIS = "0" * 64
_HEAD_PK = 1
# The PostgreSQL trigger lets a DELETE through only for rows up to this transaction-local
# setting (migration 0006): the sanctioned purge below sets it, nothing else does.
PURGE_SETTING = "onewindow.audit_purge_through"


# No savepoint when the caller has a transaction: an append that fails spoils the caller's
# change too (nothing is recorded without its entry), and two statements fewer per entry.
@transaction.atomic(savepoint=False)
def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | type[models.Model] | None = None,
    office_id: int | None = None,
    subject_id_number: str | None = None,
    request: Any = None,
    details: dict | None = None,
    subject_hmac: str = "",
    actor_username: str = "",
    object_label: str = "",
    ip: str | None = None,
) -> AuditEntry:
    """Append one entry. `obj` is the record concerned (or a model class for a list); its
    office and, for a resident's record, the keyed digest of the ID number are taken from it.
    ID numbers anywhere in `details` or the label are masked before they are stored."""
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}")
    user = actor if getattr(actor, "is_authenticated", False) else None
    entry = AuditEntry(
        actor=user,
        # Masked too: a resident may type an ID number where a username is asked for.
        actor_username=mask_text(user.get_username() if user else actor_username)[:150],
        action=action,
        office_id=office_id if office_id is not None else _office_of(obj),
        subject_hmac=subject_hmac or _subject_hmac(obj, subject_id_number),
        ip=_ip(request, ip),
        user_agent=request.headers.get("User-Agent", "")[:255] if request else "",
        details=_clean_details(details or {}),
        **_describe(obj, object_label),
    )
    seq, last_hash = _lock_head_for_append()
    entry.seq, entry.prev_hash = seq + 1, last_hash or GENESIS
    entry.timestamp = timezone.now()  # taken under the lock: time order is chain order
    entry.hash = entry.compute_hash()
    entry.save(force_insert=True)
    with connection.cursor() as cursor:
        cursor.execute(_HEAD_MOVE_SQL, [entry.seq, entry.hash, _HEAD_PK])
    return entry


def audit_export(
    *,
    actor: Any,
    what: str,
    count: int,
    request: Any = None,
    office_id: int | None = None,
    subject_id_number: str | None = None,
    filters: dict | None = None,
) -> AuditEntry:
    """Call this whenever personal data leaves the application (CSV, JSON download, print)."""
    return audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        office_id=office_id,
        subject_id_number=subject_id_number,
        request=request,
        object_label=what,
        details={"what": what, "count": count, "filters": filters or {}},
    )


def audit_purge_before(*, cutoff: Any) -> int:
    """Remove the entries written before `cutoff` (RETENTION["AUDIT_DAYS"] ago), oldest first,
    in batches of one transaction each. The chain stays verifiable: the head row keeps the
    number and hash of the last entry removed (the anchor the remaining chain starts from), and
    each batch appends a `purge` entry that records that anchor, so `verify_audit` accepts the
    shorter trail only if the chain itself vouches for where it now starts. django-auditlog's
    copies (`LogEntry`) of the same period go too."""
    first_kept = AuditEntry.objects.filter(timestamp__gte=cutoff).order_by("seq").first()
    # Time order is chain order; stopping before the first entry to keep guards against skew.
    through = first_kept.seq - 1 if first_kept else _last_seq()
    removed = 0
    while True:
        done = _purge_batch(through=through, cutoff=cutoff)
        removed += done
        if not done:
            break
    _auditlog_purge_before(cutoff)
    return removed


def _last_seq() -> int:
    # Never the whole trail: the newest entry stays, so the chain keeps a row to start from.
    last = AuditEntry.objects.order_by("-seq").only("seq").first()
    return last.seq - 1 if last else 0


@transaction.atomic
def _purge_batch(*, through: int, cutoff: Any) -> int:
    head = _lock_head()
    start = head.anchor_seq
    upto = min(through, start + settings.RETENTION["BATCH_SIZE"] * 10, head.seq - 1)
    last = AuditEntry.objects.filter(seq__gt=start, seq__lte=upto).order_by("-seq").first()
    if last is None:
        return 0
    table = AuditEntry._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, %s, true)", [PURGE_SETTING, str(last.seq)])
        cursor.execute(f"DELETE FROM {table} WHERE seq <= %s", [last.seq])  # noqa: S608
        removed = cursor.rowcount
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, '0', true)", [PURGE_SETTING])
    AuditHead.objects.filter(pk=head.pk).update(anchor_seq=last.seq, anchor_hash=last.hash)
    audit_record(
        actor=None,
        action=AuditAction.PURGE,
        obj=AuditEntry,
        details={
            "through_seq": last.seq,
            "through_hash": last.hash,
            "count": removed,
            "before": cutoff.isoformat(),
        },
    )
    return removed


def _auditlog_purge_before(cutoff: Any) -> int:
    from auditlog.models import LogEntry

    return LogEntry.objects.filter(timestamp__lt=cutoff).delete()[0]


# Every append reads and moves the head: plain SQL, as the ORM would spend more CPU building
# these two statements than the database spends running them. (SQLite has no FOR UPDATE; its
# writers are serialised by the database lock.)
_HEAD_LOCK_SQL = 'SELECT "seq", "hash" FROM "accounts_audithead" WHERE "id" = %s{for_update}'
_HEAD_MOVE_SQL = 'UPDATE "accounts_audithead" SET "seq" = %s, "hash" = %s WHERE "id" = %s'


def _lock_head_for_append() -> tuple[int, str]:
    """The last entry's number and hash, with the head row locked until the transaction ends."""
    for_update = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(_HEAD_LOCK_SQL.format(for_update=for_update), [_HEAD_PK])
        row = cursor.fetchone()
    if row is not None:
        return row[0], row[1]
    head = _lock_head()
    return head.seq, head.hash


def _lock_head() -> AuditHead:
    head = AuditHead.objects.select_for_update().filter(pk=_HEAD_PK).first()
    if head is not None:
        return head
    # First entry ever (or after a test flush): start from whatever the chain already holds.
    last = AuditEntry.objects.order_by("-seq").only("seq", "hash").first()
    try:
        with transaction.atomic():
            AuditHead.objects.create(
                pk=_HEAD_PK, seq=last.seq if last else 0, hash=last.hash if last else ""
            )
    except IntegrityError:
        pass  # another writer created it first; its lock is taken below
    return AuditHead.objects.select_for_update().get(pk=_HEAD_PK)


def _describe(obj: Any, label: str) -> dict[str, str]:
    if obj is None:
        return {"object_type": "", "object_id": "", "object_label": mask_text(label)[:200]}
    meta = obj._meta
    is_instance = isinstance(obj, models.Model)
    text = label or (str(obj) if is_instance else str(meta.verbose_name_plural))
    return {
        "object_type": meta.label_lower,
        "object_id": str(obj.pk) if is_instance and obj.pk is not None else "",
        "object_label": mask_text(text)[:200],
    }


def _office_of(obj: Any) -> int | None:
    if not isinstance(obj, models.Model):
        return None
    if obj._meta.label_lower == "services.office":
        return obj.pk
    return getattr(obj, "office_id", None)


def _subject_hmac(obj: Any, id_number: str | None) -> str:
    if id_number:
        return pii_hmac(normalize_id_number(id_number))
    # A resident's record keeps the same keyed digest: nothing needs decrypting.
    return getattr(obj, "id_number_hmac", "") if isinstance(obj, models.Model) else ""


def _ip(request: Any, fallback: str | None) -> str | None:
    value = client_ip(request) if request is not None else fallback
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def _clean_details(details: dict) -> dict:
    # Through JSON and back: the stored value is exactly what was hashed, on every database.
    return _mask(json.loads(json.dumps(details, cls=DjangoJSONEncoder)))


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {mask_text(k): _mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    if isinstance(value, float):
        return repr(value)  # jsonb may print 1e20 back as 100000000000000000000
    return value
