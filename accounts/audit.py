"""The audit trail's one writer: every entry, from every source, is appended here.

An entry is one INSERT in the caller's transaction: it commits or rolls back with the change it
records, and takes no lock any other writer waits for. Its number is the table's own sequence
(`id`); nothing is chained at this point. The sealer (accounts/audit_seal.py) hashes committed
entries in id order into signed batches a few seconds later.
"""

import ipaddress
import json
from collections.abc import Callable
from typing import Any, ParamSpec

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from core.client_ip import client_ip
from core.crypto import pii_hmac
from core.idnumbers import normalize_id_number
from core.logging import mask_id_numbers_in_text as mask_text
from core.rows import row_insert

from .models import AuditAction, AuditEntry

# Django's Choices.values builds its list at every call; this runs inside every audited change.
_ACTIONS = frozenset(AuditAction.values)
P = ParamSpec("P")


def audit_entry_new(
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
    """One entry, not yet inserted: audit_record inserts it; a caller that inserts it together
    with its own row, in one statement (core.rows), takes it from here. `obj` is the record
    concerned (or a model class for a list); its office and, for a resident's record, the keyed
    digest of the ID number are taken from it. ID numbers anywhere in `details` or the label are
    masked before they are stored."""
    if action not in _ACTIONS:
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


def _inserted(new: Callable[P, AuditEntry]) -> Callable[P, AuditEntry]:
    """`new`, its entry inserted: the function takes `new`'s arguments, checked as they are."""

    def record(*args: P.args, **kwargs: P.kwargs) -> AuditEntry:
        entry = new(*args, **kwargs)
        # One plain INSERT (core.rows): this runs inside every audited change.
        row_insert(entry)
        return entry

    return record


# audit_record(actor=…, action=…, obj=…, …): append one entry, with audit_entry_new's arguments
# (one signature for both). Inside a transaction the entry is part of it: an append that fails
# spoils the change too (nothing is recorded without its entry, nothing is done without it being
# recorded).
audit_record = _inserted(audit_entry_new)


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
