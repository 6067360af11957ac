"""The entries of changes to records: every action (and the admin, accounts/admin_audit.py) that
creates, changes or deletes an audited record writes its entry itself, in the transaction of
the change, through these few calls (re-exported by accounts.actions):

    before = audit_values(booking)           # the audited fields before the change
    booking.status = ...; booking.save(...)
    audit_changed(booking, before)           # one entry: the fields that changed, old and new

    audit_created(obj)   audit_deleted(obj)   audit_related(obj, "services", added=…, removed=…)

Nothing is captured behind the actions' backs (no model signals): a write an action makes
without one of these calls is not in the trail, and tests/test_audit_actions.py holds every
action to its entry. What is recorded of each model is the table AUDITED below: personal fields
half masked, ID numbers (ciphertext and keyed digest) never. Granting or taking a role or staff
standing adds a "roles changed" entry on the person, as auditors search for those.

Who: `actor` when the action knows it (granted_by, the admin's request.user); otherwise the
person signed in when the request being served began (AuditContextMiddleware), or nobody (a
resident without an account, the API, a task). The request's address and browser go with it.
Models of other apps are named by label here, never imported: accounts sits below them.
"""

import datetime as dt
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

from django.db import models

from .audit import audit_entry_new, audit_record
from .models import AuditAction, AuditEntry

# label -> which fields are recorded and which are masked.
AUDITED: dict[str, dict[str, Any]] = {
    # An explicit list: reverse one-to-one links (ticket, waiting entry, rescheduled_to) are not
    # fields of the row, and the encrypted ID never belongs in the trail.
    "appointments.Booking": {
        "include_fields": [
            "code",
            "status",
            "slot",
            "service",
            "office",
            "start",
            "name",
            "phone",
            "email",
            "user",
            "cancelled_at",
            "cancelled_by",
            "cancel_reason",
        ],
        "mask_fields": ["phone", "email", "name"],
    },
    "appointments.WaitingListEntry": {
        "exclude_fields": ["id_number_enc", "id_number_hmac"],
        "mask_fields": ["phone", "email", "name"],
    },
    "appointments.Schedule": {"m2m_fields": {"services", "bundles"}},
    "appointments.SchedulePeriod": {},
    "appointments.Closure": {},
    "appointments.Slot": {},
    "services.Office": {"m2m_fields": {"services"}},
    "services.Counter": {},
    "services.OpeningHours": {},
    "services.Service": {},
    "accounts.StaffRole": {},
    # last_login changes at every sign-in, which has its own entry.
    "accounts.User": {
        "exclude_fields": ["password", "last_login"],
        # A resident's username is their phone number or e-mail address.
        "mask_fields": ["username", "email", "phone"],
        "m2m_fields": {"groups", "user_permissions"},
    },
    "accounts.ApiClient": {"exclude_fields": ["token_hash"]},
    # A kiosk's device token, like an API client's, is a credential: never recorded.
    "queues.Kiosk": {"exclude_fields": ["token_hash", "last_seen_at"]},
}

# User fields whose change is a change of what the person may do.
_ROLE_FIELDS = {"is_staff", "is_superuser", "groups", "user_permissions"}

# Who is served: (request, the user signed in when it began), set by AuditContextMiddleware.
_request: ContextVar[Any] = ContextVar("audit_request", default=None)


class _FromRequest:
    def __repr__(self) -> str:
        return "FROM_REQUEST"


FROM_REQUEST: Any = _FromRequest()


class AuditContextMiddleware:
    """Puts the request being served where the entries find it: who, from which address, with
    which browser. Who was signed in when the request began: a sign-in's own changes are
    nobody's."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = request.user if request.user.is_authenticated else None
        token = _request.set((request, user))
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


# --- the calls -----------------------------------------------------------------------------------


def audited(model: type[models.Model] | models.Model) -> bool:
    return model._meta.label in AUDITED


def audit_values(obj: models.Model) -> dict[str, str]:
    """The audited fields of `obj` as the trail shows them (personal ones half masked). Taken
    before a change, it is the `before` of audit_changed."""
    options = _options(obj)
    masked = set(options.get("mask_fields", ()))
    return {f.name: _value(obj, f, f.name in masked) for f in _fields(type(obj), options)}


def audit_created(obj: models.Model, *, actor: Any = FROM_REQUEST, request: Any = None) -> None:
    changes = {k: ["None", v] for k, v in audit_values(obj).items() if v not in ("None", "")}
    _write(obj, AuditAction.CREATE, changes, actor, request)


def audit_created_entry(
    obj: models.Model, *, actor: Any = FROM_REQUEST, request: Any = None
) -> AuditEntry:
    """audit_created's entry, not yet inserted: the caller inserts it (core.rows) in the
    transaction of the change, e.g. in one statement with the change's outbox row. Only for a
    record whose creation makes one entry (not a user's or a staff role's)."""
    if obj._meta.label in ("accounts.User", "accounts.StaffRole"):
        raise ValueError(f"{obj._meta.label}: its creation may make more entries; audit_created")
    changes = {k: ["None", v] for k, v in audit_values(obj).items() if v not in ("None", "")}
    return audit_entry_new(action=AuditAction.CREATE, obj=obj, details={"changes": changes},
                           **_who(actor, request))  # fmt: skip


def audit_changed(
    obj: models.Model,
    before: dict[str, str],
    *,
    actor: Any = FROM_REQUEST,
    request: Any = None,
    also: dict[str, list[str]] | None = None,
) -> bool:
    """One entry with the fields that differ from `before` ("status changed" when the status
    did), or none when nothing did. `also`: changes the recorded fields cannot show (a secret
    replaced). Returns whether an entry was written."""
    after = audit_values(obj)
    changes = {k: [before[k], v] for k, v in after.items() if k in before and before[k] != v}
    changes |= also or {}
    if not changes:
        return False
    action = AuditAction.STATUS_CHANGE if "status" in changes else AuditAction.CHANGE
    _write(obj, action, changes, actor, request)
    return True


def audit_deleted(obj: models.Model, *, actor: Any = FROM_REQUEST, request: Any = None) -> None:
    """Call it before the delete: the entry names the record by its id."""
    changes = {k: [v, "None"] for k, v in audit_values(obj).items()}
    _write(obj, AuditAction.DELETE, changes, actor, request)


def audit_related(
    obj: models.Model,
    field: str,
    *,
    added: Iterable[models.Model] = (),
    removed: Iterable[models.Model] = (),
    actor: Any = FROM_REQUEST,
    request: Any = None,
) -> None:
    """Records linked to or unlinked from `obj` through its many-to-many `field` (the
    services of an office): one entry for those removed, one for those added."""
    if field not in _options(obj).get("m2m_fields", ()):
        raise ValueError(f"{obj._meta.label}.{field} is not an audited many-to-many field")
    for operation, objects in (("delete", removed), ("add", added)):
        names = [str(o) for o in objects]
        if names:
            changes = {field: {"type": "m2m", "operation": operation, "objects": names}}
            _write(obj, AuditAction.CHANGE, changes, actor, request)


# --- how -----------------------------------------------------------------------------------------


def _options(obj: models.Model | type[models.Model]) -> dict[str, Any]:
    try:
        return AUDITED[obj._meta.label]
    except KeyError:
        raise ValueError(f"{obj._meta.label} is not an audited model (accounts.audit_changes)")


def _fields(model, options: dict) -> list[models.Field]:
    include = options.get("include_fields")
    exclude = set(options.get("exclude_fields", ()))
    return [
        f
        for f in model._meta.concrete_fields
        if (include is None or f.name in include) and f.name not in exclude and not f.primary_key
    ]


def _value(instance, field: models.Field, masked: bool) -> str:
    value = field.value_from_object(instance)
    if isinstance(value, dt.datetime) and value.utcoffset() is not None:
        value = value.astimezone(dt.UTC)  # as read back from the database: equal times compare
    text = "None" if value is None else str(value)
    if masked and value not in (None, ""):
        half = len(text) // 2
        text = "*" * half + text[half:]
    return text


def _who(actor: Any, request: Any) -> dict[str, Any]:
    served, signed_in = _request.get() or (None, None)
    return {
        "actor": signed_in if actor is FROM_REQUEST else actor,
        "request": request if request is not None else served,
    }


def _write(obj, action: str, changes: dict, actor: Any, request: Any) -> None:
    common = _who(actor, request)
    audit_record(action=action, obj=obj, details={"changes": changes}, **common)
    label = obj._meta.label
    if label == "accounts.StaffRole":
        _role_changed(obj, action, common)
    elif label == "accounts.User" and _grants_changed(changes):
        audit_record(
            action=AuditAction.ROLE_CHANGE, obj=obj, details={"changes": changes}, **common
        )


def _grants_changed(changes: dict) -> bool:
    """Staff or superuser status given or taken, groups or permissions changed. A new resident
    (both flags False from the start) is not a role change."""
    for name in _ROLE_FIELDS & set(changes):
        change = changes[name]
        if isinstance(change, dict) or "True" in change:  # dict: an m2m add or remove
            return True
    return False


def _role_changed(role, action: str, common: dict) -> AuditEntry:
    return audit_record(
        action=AuditAction.ROLE_CHANGE,
        obj=role.user,
        office_id=role.office_id,
        details={
            "role": role.role,
            "office_id": role.office_id,
            "operation": {AuditAction.CREATE: "create", AuditAction.DELETE: "delete"}.get(
                action, "change"
            ),
        },
        **common,
    )
