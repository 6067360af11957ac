"""Staff members: roles per office, authenticators (TOTP), backup codes, second-factor checks."""

import base64
import math
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit_changes import (
    audit_changed,
    audit_created,
    audit_deleted,
    audit_values,
)
from accounts.errors import (
    OtpAlreadyEnrolled,
    OtpCodeWrong,
    OtpThrottled,
)

# Secret look-ups guarded per target (booking code + ID digits, mailbox reference + code).
from accounts.models import (
    Role,
    StaffRole,
    User,
)

if TYPE_CHECKING:  # services sits above accounts: a type, not an import at run time
    from services.models import Office


# --- staff: roles by post, second factor ---------------------------------------------------------
# Roles are granted and revoked only here: a role makes its holder staff (is_staff), the last
# role revoked makes them a plain account again. The audit trail records both: the role's own
# entry and a "roles changed" entry on the person (accounts/audit_changes.py).

BACKUP_CODE_COUNT = 10


def _staff_flag_sync(user: User, actor: User | None) -> None:
    wanted = user.is_superuser or StaffRole.objects.filter(user=user).exists()
    if user.is_staff != wanted:
        before = audit_values(user)
        user.is_staff = wanted
        user.save(update_fields=["is_staff"])
        audit_changed(user, before, actor=actor)


def _may(actor: User | None, perm: str) -> None:
    """`actor` None is the system itself (seed_demo, a management command)."""
    if actor is not None and not actor.has_perm(perm):
        raise PermissionDenied


@transaction.atomic
def staff_role_grant(
    *, user: User, role: str, office: "Office | None" = None, granted_by: User | None = None
) -> StaffRole:
    """Give `user` the role `role` at `office` (None: every office). Granting a role the user
    already holds changes nothing."""
    _may(granted_by, "accounts.add_staffrole")
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    grant = StaffRole.objects.filter(user=user, role=role, office=office).first()
    if grant is None:
        grant = StaffRole.objects.create(user=user, role=role, office=office)
        audit_created(grant, actor=granted_by)
    _staff_flag_sync(user, granted_by)
    return grant


@transaction.atomic
def staff_role_revoke(*, staff_role: StaffRole, revoked_by: User | None = None) -> None:
    _may(revoked_by, "accounts.delete_staffrole")
    user = staff_role.user
    audit_deleted(staff_role, actor=revoked_by)
    staff_role.delete()
    _staff_flag_sync(user, revoked_by)


def _throttle_wait(device: TOTPDevice | StaticDevice) -> int | None:
    """Seconds until `device` accepts another attempt (django-otp doubles the wait after each
    wrong code), or None when it accepts one now."""
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    locked_until = (info or {}).get("locked_until")
    if locked_until is None:
        return 1
    return max(1, math.ceil((locked_until - timezone.now()).total_seconds()))


def staff_totp_pending(*, user: User) -> TOTPDevice:
    """The authenticator being set up at first sign-in: one unconfirmed device, kept until a
    code from it is entered. Refused once an authenticator is confirmed: a second one could
    otherwise be added by anyone who knows the password."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise OtpAlreadyEnrolled()
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def staff_totp_confirm(*, user: User, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator with a code from it; returns the device and a fresh
    set of backup codes (shown once: only the codes' rows remain, never displayed again)."""
    token = _otp_normalise(token)
    with transaction.atomic():
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise OtpAlreadyEnrolled()
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None:
            raise OtpCodeWrong()
        wait = _throttle_wait(device)
        if wait is None and device.verify_token(token):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            return device, staff_backup_codes_replace(user=user)
    # Outside the transaction, so that django-otp's count of wrong codes is kept.
    raise OtpThrottled(seconds=wait) if wait is not None else OtpCodeWrong()


@transaction.atomic
def staff_backup_codes_replace(*, user: User) -> list[str]:
    """Ten new single-use backup codes; the old ones stop working."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="Backup codes", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _otp_normalise(token: str) -> str:
    return "".join(token.split()).replace("-", "").lower()


def staff_otp_verify(*, user: User, token: str) -> TOTPDevice | StaticDevice | None:
    """The second step of the staff sign-in: a 6-digit code from the authenticator app or one
    of the backup codes (used up by this). Returns the device that accepted it."""
    token = _otp_normalise(token)
    model = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
    waits = []
    with transaction.atomic():
        for device in model.objects.select_for_update().filter(user=user, confirmed=True):
            wait = _throttle_wait(device)
            if wait is not None:
                waits.append(wait)
            elif device.verify_token(token):
                return device
    raise OtpThrottled(seconds=min(waits)) if waits else OtpCodeWrong()


@transaction.atomic
def staff_member_create(
    *, username: str, password: str, first_name: str = "", last_name: str = "", email: str = ""
) -> User:
    """A staff account without a role yet (grant one with `staff_role_grant`)."""
    user = get_user_model()._default_manager.create_user(
        username=username,
        password=password,
        first_name=first_name,
        last_name=last_name,
        email=email,
    )
    audit_created(user)
    return user


@transaction.atomic
def staff_totp_install(*, user: User, secret_base32: str) -> TOTPDevice:
    """A confirmed authenticator with a known secret: for the demo staff only, whose secrets
    are published so that anyone can add them to an authenticator app."""
    key = base64.b32decode(secret_base32.upper() + "=" * (-len(secret_base32) % 8)).hex()
    return TOTPDevice.objects.create(user=user, name="Demo authenticator", key=key, confirmed=True)
