"""Sign-ins, failed sign-ins, sign-outs and lockouts in the audit trail. These come from Django's
and django-axes' authentication signals, sent by code that is not ours (the login views, axes'
backend), not from model signals: every change of a record is written by its action
(accounts/audit_changes.py). Connected once from AccountsConfig.ready()."""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth import signals as auth_signals

from .audit import audit_record
from .models import AuditAction


def connect() -> None:
    auth_signals.user_logged_in.connect(_signed_in, dispatch_uid="audit_signed_in")
    auth_signals.user_login_failed.connect(_sign_in_failed, dispatch_uid="audit_sign_in_failed")
    auth_signals.user_logged_out.connect(_signed_out, dispatch_uid="audit_signed_out")
    if apps.is_installed("axes"):  # optional: its lockouts are recorded when present
        from axes.signals import user_locked_out

        user_locked_out.connect(_locked_out, dispatch_uid="audit_locked_out")


def _signed_in(sender, request, user, **kwargs) -> None:
    audit_record(actor=user, action=AuditAction.SIGN_IN, obj=user, request=request)


def _sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django has already replaced the password; keep the name that was tried, nothing else.
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


def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    audit_record(
        actor=None,
        actor_username=str(username or ""),
        action=AuditAction.LOCKOUT,
        request=request,
        ip=ip_address,
        details={"username": str(username or "")[:150], "ip_address": ip_address},
    )
