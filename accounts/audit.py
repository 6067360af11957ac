"""The audit trail's one writer: every entry, from every source, is appended here.

An entry is one INSERT in the caller's transaction: it commits or rolls back with the change it
records, and takes no lock any other writer waits for. Its number is the table's own sequence
(`id`); nothing is chained at this point. The sealer (accounts/audit_seal.py) hashes committed
entries in id order into signed batches a few seconds later.
"""

import ipaddress
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from core.client_ip import client_ip
from core.crypto import pii_hmac
from core.idnumbers import normalize_id_number
from core.logging import mask_id_numbers_in_text as mask_text
from core.rows import row_insert

from .models import AuditAction, AuditEntry


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
    ID numbers anywhere in `details` or the label are masked before they are stored. Inside a
    transaction the entry is part of it: an append that fails spoils the change too (nothing is
    recorded without its entry, nothing is done without it being recorded)."""
    # One plain INSERT (core.rows): this runs inside every audited change, bookings included.
    entry = audit_entry(
        actor=actor, action=action, obj=obj, office_id=office_id,
        subject_id_number=subject_id_number, request=request, details=details,
        subject_hmac=subject_hmac, actor_username=actor_username, object_label=object_label,
        ip=ip,
    )  # fmt: skip
    row_insert(entry)
    return entry


def audit_entry(
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
    """The entry audit_record appends, not saved yet: for a caller that inserts it in the same
    statement as the change it records (core.rows.rows_insert), inside that transaction."""
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}")
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry(
        timestamp=timezone.now(),
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
