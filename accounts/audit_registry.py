"""What feeds the audit trail automatically; `connect()` runs once from AccountsConfig.ready().

One record, `AuditEntry`, written once, in the transaction of the change (accounts/audit.py):
- changes to the models in TRACKED, wherever they are made (admin, actions, shell): the changed
  fields, old and new, with personal fields masked, as one entry in the same transaction;
- sign-ins, failed sign-ins, sign-outs, lockouts and lifted locks.
Who made a change comes from the request being served (`AuditContextMiddleware`) or from
`audit_actor()` in code that runs outside a request.
Models of other apps are looked up by label here, never imported: accounts sits below them.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from .audit import audit_record
from .models import AuditAction

# label -> which fields are recorded and which are masked. ID numbers exist only as
# ciphertext and HMAC: both are excluded.
TRACKED: dict[str, dict[str, Any]] = {
}

# User fields whose change is a change of what the person may do.
_ROLE_FIELDS = {"is_staff", "is_superuser", "groups", "user_permissions"}

# The request being served (AuditContextMiddleware) or the actor named by audit_actor().
from .audit_changes import _request  # noqa: E402  (set by its middleware)

_actor: ContextVar[Any] = ContextVar("audit_actor", default=None)
_disabled: ContextVar[bool] = ContextVar("audit_disabled", default=False)


@contextmanager
def audit_actor(user: Any) -> Iterator[None]:
    """Name who makes the changes inside the block (commands, tasks, tests)."""
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


@contextmanager
def audit_changes_off() -> Iterator[None]:
    """No change entries inside the block, for an action that writes its own entry."""
    token = _disabled.set(True)
    try:
        yield
    finally:
        _disabled.reset(token)


class AuditContextMiddleware:
    """Puts the request on the changes it makes: who, from which address, with which browser."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        # Who was signed in when the request began (as django-auditlog did): a sign-in's own
        # changes are nobody's, and a lock lifted by a successful sign-in is not a person's act.
        user = request.user if request.user.is_authenticated else None
        token = _request.set((request, user))
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def connect() -> None:
    for label, options in TRACKED.items():
        model = apps.get_model(label)
        uid = f"audit_{label}"
        pre_save.connect(_remember_old, sender=model, dispatch_uid=uid)
        post_save.connect(_saved, sender=model, dispatch_uid=uid)
        post_delete.connect(_deleted, sender=model, dispatch_uid=uid)
        for name in options.get("m2m_fields", ()):
            through = model._meta.get_field(name).remote_field.through
            m2m_changed.connect(_m2m_changed, sender=through, dispatch_uid=f"{uid}_{name}")


# --- changes -------------------------------------------------------------------------------------


def _options(model) -> dict | None:
    return TRACKED.get(model._meta.label)


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
    text = "None" if value is None else str(value)
    if masked and value not in (None, ""):
        half = len(text) // 2
        text = "*" * half + text[half:]
    return text


def _values(instance, options: dict, update_fields=None) -> dict[str, str]:
    masked = set(options.get("mask_fields", ()))
    return {
        f.name: _value(instance, f, f.name in masked)
        for f in _fields(type(instance), options)
        if update_fields is None or f.name in update_fields or f.attname in update_fields
    }


def _remember_old(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """Before an update, the stored values: one read, as the diff needs the old side."""
    if raw or _disabled.get() or instance._state.adding or instance.pk is None:
        return
    options = _options(sender)
    if update_fields is not None:
        names = {n for f in _fields(sender, options) for n in (f.name, f.attname)}
        if not names & set(update_fields):
            return  # e.g. last_login at each sign-in: nothing recorded, nothing to read
    old = sender._base_manager.filter(pk=instance.pk).first()
    instance._audit_old = _values(old, options, update_fields) if old else None


def _saved(sender, instance, created: bool, raw=False, update_fields=None, **kwargs) -> None:
    if raw or _disabled.get():
        return
    options = _options(sender)
    new = _values(instance, options, None if created else update_fields)
    if created:
        changes = {k: ["None", v] for k, v in new.items() if v not in ("None", "")}
        action = AuditAction.CREATE
    else:
        old = instance.__dict__.pop("_audit_old", None) or {}
        changes = {k: [old[k], v] for k, v in new.items() if k in old and old[k] != v}
        if not changes:
            return
        action = AuditAction.STATUS_CHANGE if "status" in changes else AuditAction.CHANGE
    _record(instance, action, changes)


def audit_created(instance) -> None:
    """The entry of a new tracked record inserted without save() (core.rows.row_insert, on the
    booking path): exactly the entry post_save would have written, written by the action."""
    _saved(type(instance), instance, created=True)


def _deleted(sender, instance, **kwargs) -> None:
    if _disabled.get():
        return
    changes = {k: [v, "None"] for k, v in _values(instance, _options(sender)).items()}
    _record(instance, AuditAction.DELETE, changes)


def _m2m_changed(sender, instance, action: str, reverse: bool, model, pk_set, **kwargs) -> None:
    if _disabled.get() or reverse or action not in ("post_add", "post_remove", "post_clear"):
        return
    options = _options(type(instance)) or {}
    name = next(
        (
            n
            for n in options.get("m2m_fields", ())
            if type(instance)._meta.get_field(n).remote_field.through is sender
        ),
        None,
    )
    if name is None:
        return
    objects = [str(o) for o in model._base_manager.filter(pk__in=pk_set or ())]
    operation = {"post_add": "add", "post_remove": "delete", "post_clear": "clear"}[action]
    changes = {name: {"type": "m2m", "operation": operation, "objects": objects}}
    _record(instance, AuditAction.CHANGE, changes)


def _record(instance, action: str, changes: dict) -> None:
    common = _who()
    audit_record(action=action, obj=instance, details={"changes": changes}, **common)
    label = type(instance)._meta.label
    if label == "accounts.StaffRole":
        _role_changed(instance, action, common)
    elif label == "accounts.User" and _grants_changed(changes):
        audit_record(
            action=AuditAction.ROLE_CHANGE, obj=instance, details={"changes": changes}, **common
        )


def _who() -> dict:
    request, user = _request.get() or (None, None)
    return {"actor": _actor.get() or user, "request": request}


def _grants_changed(changes: dict) -> bool:
    """Staff or superuser status given or taken, groups or permissions changed. A new resident
    (both flags False from the start) is not a role change."""
    for name in _ROLE_FIELDS & set(changes):
        change = changes[name]
        if isinstance(change, dict) or "True" in change:  # dict: an m2m add or remove
            return True
    return False


def _role_changed(role, action: str, common: dict) -> None:
    if role is None:
        return
    audit_record(
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
    actor = _who()["actor"]
    return actor if getattr(actor, "is_authenticated", False) else None
