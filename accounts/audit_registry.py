"""What feeds the audit trail automatically; `connect()` runs once from AccountsConfig.ready().

Two records exist side by side, on purpose:
- django-auditlog's `LogEntry` keeps the field-level diff of every change to the registered
  models, wherever it is made (admin, actions, shell), and gives the admin its per-record history.
  It is an ordinary table that a superuser can prune, and it knows nothing of views or sign-ins.
- `AuditEntry` is the legal record: append-only, hash-chained, with views, sign-ins, exports and
  role changes as well. Every new `LogEntry` is copied into it (`_bridge`), so the chain covers
  every change too and `verify_audit` vouches for all of it.
Models of other apps are looked up by label here, never imported: accounts sits below them.
"""

from contextvars import ContextVar
from typing import Any

from django.apps import apps
from django.contrib.auth import signals as auth_signals
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from .audit import audit_record
from .models import AuditAction

# label -> auditlog options. ID numbers exist only as ciphertext and HMAC: both are excluded.
TRACKED: dict[str, dict[str, Any]] = {
    # An explicit list: reverse one-to-one links (ticket, waiting entry, rescheduled_to) would
    # cost a query each on every booking, and the encrypted ID never belongs in the trail.
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
        "mask_fields": ["phone", "email"],
    },
    "appointments.Schedule": {"m2m_fields": {"services"}},
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
}

# auditlog's LogEntry.Action values (create, update, delete, access).
_ACTIONS = {
    0: AuditAction.CREATE,
    1: AuditAction.CHANGE,
    2: AuditAction.DELETE,
    3: AuditAction.VIEW,
}

# User fields whose change is a change of what the person may do.
_ROLE_FIELDS = {"is_staff", "is_superuser", "groups", "user_permissions"}

# auditlog's pre_log hands over the instance; its LogEntry only keeps type and pk.
_current_instance: ContextVar[Any] = ContextVar("audit_current_instance", default=None)


def connect() -> None:
    from auditlog.models import LogEntry
    from auditlog.registry import auditlog
    from auditlog.signals import pre_log

    for label, options in TRACKED.items():
        auditlog.register(apps.get_model(label), **options)
    pre_log.connect(_remember_instance, dispatch_uid="audit_remember_instance")
    post_save.connect(_bridge, sender=LogEntry, dispatch_uid="audit_bridge")
    auth_signals.user_logged_in.connect(_signed_in, dispatch_uid="audit_signed_in")
    auth_signals.user_login_failed.connect(_sign_in_failed, dispatch_uid="audit_sign_in_failed")
    auth_signals.user_logged_out.connect(_signed_out, dispatch_uid="audit_signed_out")
    _connect_axes()


def _remember_instance(sender, instance, **kwargs) -> None:
    _current_instance.set(instance)  # returns None: never vetoes the log


def _bridge(sender, instance, created: bool, **kwargs) -> None:
    """Append after the change commits, in a short transaction of its own: appends are
    serialised on the chain head, and holding that lock for the whole of a booking's
    transaction would queue every booking in the city behind one another."""
    if not created:
        return
    model = instance.content_type.model_class()
    obj = _instance_of(instance, model)  # now: the remembered instance is this change's
    transaction.on_commit(lambda: _bridge_append(instance, model, obj), robust=True)


@transaction.atomic
def _bridge_append(instance, model, obj) -> None:
    action = _ACTIONS[instance.action]
    changes = _own_fields(model, instance.changes_dict or {})
    if action == AuditAction.CHANGE and "status" in changes:
        action = AuditAction.STATUS_CHANGE
    common = {"actor": instance.actor, "ip": instance.remote_addr}
    audit_record(
        action=action,
        obj=obj,
        object_label=instance.object_repr,
        details={"changes": changes, "log_entry": instance.pk},
        **common,
    )
    label = model._meta.label if model is not None else ""
    if label == "accounts.StaffRole":
        _role_changed(obj, action, common)
    elif label == "accounts.User" and _grants_changed(changes):
        details = {"changes": changes}
        audit_record(action=AuditAction.ROLE_CHANGE, obj=obj, details=details, **common)


def _grants_changed(changes: dict) -> bool:
    """Staff or superuser status given or taken, groups or permissions changed. A new resident
    (both flags False from the start) is not a role change."""
    for name in _ROLE_FIELDS & set(changes):
        change = changes[name]
        if isinstance(change, dict) or "True" in change:  # dict: an m2m add or remove
            return True
    return False


def _own_fields(model, changes: dict) -> dict:
    """auditlog also lists reverse relations ("bookings": [None, "Booking.None"]): noise."""
    if model is None:
        return changes
    own = {f.name for f in model._meta.concrete_fields} | {f.name for f in model._meta.many_to_many}
    return {name: change for name, change in changes.items() if name in own}


def _instance_of(log_entry, model) -> Any:
    remembered = _current_instance.get()
    # object_pk is still the raw pk (an int) on the LogEntry just created.
    if type(remembered) is model and str(remembered.pk) == str(log_entry.object_pk):
        return remembered
    if model is None:
        return None
    # m2m changes send no pre_log; the record still exists.
    return model._base_manager.filter(pk=log_entry.object_pk).first()


def _role_changed(role, action: str, common: dict) -> None:
    if role is None:
        return
    audit_record(
        action=AuditAction.ROLE_CHANGE,
        obj=role.user,
        office_id=role.office_id,
        details={"role": role.role, "office_id": role.office_id, "operation": action},
        **common,
    )


def _signed_in(sender, request, user, **kwargs) -> None:
    audit_record(actor=user, action=AuditAction.SIGN_IN, obj=user, request=request)


def _sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django has already replaced the password; keep the name that was tried, nothing else.
    from django.contrib.auth import get_user_model

    tried = str(credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username", ""))
    audit_record(
        actor=None,
        actor_username=tried,
        action=AuditAction.SIGN_IN_FAILED,
        request=request,
        details={"username": tried[:150]},
    )


def _signed_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit_record(actor=user, action=AuditAction.SIGN_OUT, obj=user, request=request)


def _connect_axes() -> None:
    """django-axes is optional here: its lockouts and lifted locks are recorded when present."""
    if not apps.is_installed("axes"):
        return
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="audit_locked_out")
    post_delete.connect(
        _lock_lifted, sender=apps.get_model("axes", "AccessAttempt"), dispatch_uid="audit_unlock"
    )


def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    audit_record(
        actor=None,
        actor_username=str(username or ""),
        action=AuditAction.LOCKOUT,
        request=request,
        ip=ip_address,
        details={"username": str(username or "")[:150], "ip_address": ip_address},
    )


def _lock_lifted(sender, instance, **kwargs) -> None:
    # Attempts also expire or are cleared by a successful sign-in; only a person lifting the
    # lock (a system administrator in the admin) is worth an entry.
    actor = _request_actor()
    if actor is None:
        return
    audit_record(
        actor=actor,
        action=AuditAction.LOCKOUT_LIFTED,
        object_label=str(instance.username or ""),
        details={"username": instance.username, "ip_address": instance.ip_address},
    )


def _request_actor() -> Any:
    from auditlog.context import auditlog_value

    try:
        return auditlog_value.get().get("actor")
    except LookupError:
        return None
