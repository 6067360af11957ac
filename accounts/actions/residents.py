"""Residents' accounts: verification codes, sign-up, password reset, binding an ID number, data
export and deletion."""

import datetime as dt
import hmac
import secrets
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import identify_hasher
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.audit import (
    audit_record,
)
from accounts.audit_changes import (
    audit_created,
)
from accounts.errors import (
    CodeDead,
    CodeExpired,
    CodeLimitReached,
    CodeTooSoon,
    CodeWrong,
    ContactTaken,
    IdNumberMismatch,
    NotAResident,
)

# Secret look-ups guarded per target (booking code + ID digits, mailbox reference + code).
from accounts.models import (
    AuditAction,
    CodePurpose,
    ResidentProfile,
    User,
    VerificationCode,
)
from accounts.selectors import resident_data, resident_get_by_contact
from accounts.signals import resident_deleting, resident_forgetting
from core.crypto import pii_hmac
from core.idnumbers import mask_id_number, validate_id_number
from core.links import site_reverse
from notifications.actions import message_enqueue

if TYPE_CHECKING:  # services sits above accounts: a type, not an import at run time
    pass


# --- residents -----------------------------------------------------------------------------------
# A resident's username is the mobile number or e-mail address they signed up with, so that
# `authenticate(username=…)` (and django-axes, which counts failures per username) needs nothing
# special. The account stays inactive until a code sent there is entered.

CODE_TTL = dt.timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5
CODE_RESEND_AFTER = dt.timedelta(seconds=60)
CODE_HOURLY_LIMIT = 5


def contact_channel(destination: str) -> str:
    return "email" if "@" in destination else "sms"


def contact_digest(destination: str) -> str:
    return pii_hmac("contact:" + destination)


def _code_digest(destination_hmac: str, code: str) -> str:
    return pii_hmac(f"code:{destination_hmac}:{code}")


def _code_row_new(*, purpose: str, destination: str, now: dt.datetime, usable: bool) -> str:
    """Store a new code (replacing any unused one) and return it. An unusable row (`usable`
    False: no account to sign up or reset) counts towards the limits like a real one and no
    code can match it, so the pages behave the same whether or not an account exists."""
    digest = contact_digest(destination)
    recent = VerificationCode.objects.filter(
        destination_hmac=digest, created_at__gt=now - dt.timedelta(hours=1)
    )
    if recent.filter(created_at__gt=now - CODE_RESEND_AFTER).exists():
        raise CodeTooSoon()
    if recent.count() >= CODE_HOURLY_LIMIT:
        raise CodeLimitReached()
    VerificationCode.objects.filter(
        destination_hmac=digest, purpose=purpose, used_at__isnull=True
    ).update(used_at=now)
    code = f"{secrets.randbelow(10**6):06d}"
    VerificationCode.objects.create(
        purpose=purpose,
        destination_hmac=digest,
        code_hash=_code_digest(digest, code) if usable else secrets.token_hex(32),
        created_at=now,
        expires_at=now + CODE_TTL,
    )
    return code


def _resident_message(*, destination: str, kind: str, language: str, **params: str) -> None:
    """Send after commit: a rolled-back request must not leave a code in someone's inbox."""
    texts = {
        "resident_signup_code": _(
            "Your OneWindow sign-up code is %(code)s. It is valid for 10 minutes. Never give it "
            "to anyone, police staff included."
        ),
        "resident_reset_code": _(
            "Your OneWindow password reset code is %(code)s. It is valid for 10 minutes. Never "
            "give it to anyone, police staff included."
        ),
        "resident_exists": _(
            "Someone tried to create a OneWindow account with this address, but you already "
            "have one. Sign in at %(url)s or reset your password there. If it was not you, "
            "ignore this message."
        ),
    }
    with translation.override(language):
        body = str(texts[kind]) % params
        subject = str(_("Your OneWindow account"))

    message_enqueue(
        channel=contact_channel(destination), to=destination, subject=subject, body=body,
        kind=kind,
    )  # fmt: skip


def _signin_url(language: str) -> str:
    return site_reverse("account:signin", language=language)


def verification_code_use(
    *, purpose: str, destination: str, code: str, now: dt.datetime | None = None
) -> None:
    """Accept the latest code sent to `destination` for `purpose`, once, or raise.

    Not one transaction on purpose: a wrong attempt is counted by its own UPDATE, which must stay
    counted although the caller then raises (a rollback would give a guesser endless tries)."""
    now = now or timezone.now()
    digest = contact_digest(destination)
    row = (
        VerificationCode.objects.filter(
            purpose=purpose, destination_hmac=digest, used_at__isnull=True
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if row is None or row.expires_at <= now:
        raise CodeExpired()
    if row.attempts >= CODE_MAX_ATTEMPTS:
        raise CodeDead()
    if not hmac.compare_digest(row.code_hash, _code_digest(digest, code.strip())):
        counted = VerificationCode.objects.filter(pk=row.pk, attempts__lt=CODE_MAX_ATTEMPTS).update(
            attempts=F("attempts") + 1
        )
        left = CODE_MAX_ATTEMPTS - row.attempts - 1
        if not counted or left <= 0:
            raise CodeDead()
        raise CodeWrong(left=left)
    # Conditional: of two requests racing with the right code, one wins.
    used = VerificationCode.objects.filter(
        pk=row.pk, used_at__isnull=True, attempts__lt=CODE_MAX_ATTEMPTS
    ).update(used_at=now)
    if not used:
        raise CodeExpired()


@transaction.atomic
def resident_signup_start(
    *, destination: str, language: str = "zh-hans", now: dt.datetime | None = None
) -> None:
    """Send a sign-up code to `destination`. If the address already has an account its owner is
    told so instead, and the caller sees no difference (no probing who has an account).

    No account row exists before the code is entered: the account is created by
    `resident_signup_confirm` with the password chosen in the same browser session, so someone
    who types another person's number can neither block it nor slip their own password in."""
    now = now or timezone.now()
    taken = _contact_taken(destination)
    code = _code_row_new(
        purpose=CodePurpose.SIGNUP, destination=destination, now=now, usable=not taken
    )
    if taken:
        url = _signin_url(language)
        _resident_message(
            destination=destination, kind="resident_exists", language=language, url=url
        )
        return
    _resident_message(
        destination=destination, kind="resident_signup_code", language=language, code=code
    )


def _contact_taken(destination: str) -> bool:
    field = "verified_email" if contact_channel(destination) == "email" else "verified_phone"
    return (
        get_user_model()._default_manager.filter(username=destination).exists()
        or ResidentProfile.objects.filter(**{field: destination}).exists()
    )


def resident_signup_confirm(
    *,
    destination: str,
    code: str,
    password_hash: str,
    language: str = "zh-hans",
    privacy_notice_version: str = "",
    now: dt.datetime | None = None,
) -> User:
    """Check the code, then create the active account with the password chosen when the code
    was asked for (`password_hash`, from `make_password`) and the privacy notice agreed to then;
    returns the user to sign in."""
    identify_hasher(password_hash)  # a hash, never a raw password
    verification_code_use(purpose=CodePurpose.SIGNUP, destination=destination, code=code, now=now)
    return _resident_create(
        destination=destination, password_hash=password_hash, language=language,
        privacy_notice_version=privacy_notice_version,
    )  # fmt: skip


@transaction.atomic
def _resident_create(
    *, destination: str, password_hash: str, language: str, privacy_notice_version: str = ""
) -> User:
    email = contact_channel(destination) == "email"
    user = get_user_model()(
        username=destination,
        email=destination if email else "",
        phone="" if email else destination,
        password=password_hash,
    )
    profile = ResidentProfile(
        verified_email=destination if email else "",
        verified_phone="" if email else destination,
        language=language,
        privacy_notice_version=privacy_notice_version,
    )
    try:
        with transaction.atomic():
            user.save()
            profile.user = user
            profile.save()
    except IntegrityError:
        raise ContactTaken()
    audit_created(user)
    return user


@transaction.atomic
def resident_reset_start(
    *, destination: str, language: str = "zh-hans", now: dt.datetime | None = None
) -> None:
    """Send a password reset code if `destination` belongs to a resident; say nothing if not."""
    now = now or timezone.now()
    user = resident_get_by_contact(destination)
    code = _code_row_new(
        purpose=CodePurpose.RESET, destination=destination, now=now, usable=user is not None
    )
    if user is not None:
        _resident_message(
            destination=destination, kind="resident_reset_code", language=language, code=code
        )


def resident_password_reset(
    *, destination: str, code: str, password: str, now: dt.datetime | None = None
) -> User:
    """Check the code, then set the new password (which also ends the other sessions)."""
    verification_code_use(purpose=CodePurpose.RESET, destination=destination, code=code, now=now)
    with transaction.atomic():
        user = resident_get_by_contact(destination)
        if user is None:
            raise CodeExpired()
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def resident_id_number_bind(*, user: User, id_number: str) -> ResidentProfile:
    """Link the resident's ID number (digest and mask only) on the first attached booking; a
    later one must be for the same number."""
    number = validate_id_number(id_number)
    digest = pii_hmac(number)
    try:
        profile = ResidentProfile.objects.select_for_update().get(user=user)
    except ResidentProfile.DoesNotExist:
        raise NotAResident()
    if profile.id_number_hmac:
        if not hmac.compare_digest(profile.id_number_hmac, digest):
            raise IdNumberMismatch()
        return profile
    profile.id_number_hmac = digest
    profile.id_masked = mask_id_number(number)
    profile.save(update_fields=["id_number_hmac", "id_masked"])
    return profile


def resident_data_export(*, user: User, ip: str | None = None) -> dict:
    """The resident's own data for download; personal data leaving the application is
    audited (with the account's ID number digest, so auditors find it by the number)."""
    data = resident_data(user)
    profile = ResidentProfile.objects.get(user=user)
    audit_record(
        actor=user,
        action=AuditAction.EXPORT,
        obj=profile,
        ip=ip,
        object_label="resident data",
        details={"what": "resident data", "count": len(data.get("bookings", []))},
    )
    return data


@transaction.atomic
def resident_delete(*, user: User, ip: str | None = None) -> None:
    """Delete a resident's account. Records the law requires to be kept (bookings) stay, made
    anonymous by their own app through `accounts.signals.resident_deleting`; a receiver that
    fails rolls the whole deletion back. The deletion is recorded once, by the audit entry here,
    which repeats none of the account's details."""
    try:
        profile = ResidentProfile.objects.select_for_update().get(user=user)
    except ResidentProfile.DoesNotExist:
        raise NotAResident()
    whose = {"sender": ResidentProfile, "user": user, "id_number_hmac": profile.id_number_hmac}
    answers = resident_deleting.send(**whose) + resident_forgetting.send(**whose)
    answered = cast(list[tuple[Any, Any]], answers)  # the receivers' counts
    anonymised = sum(n for _receiver, n in answered if isinstance(n, int))
    audit_record(
        actor=user,
        action=AuditAction.DELETE,
        obj=profile,
        ip=ip,
        object_label="resident account",
        details={"records_anonymised": anonymised},
    )
    contacts = {user.username, profile.verified_phone, profile.verified_email} - {""}
    VerificationCode.objects.filter(
        destination_hmac__in=[contact_digest(c) for c in contacts]
    ).delete()
    user.delete()  # the profile goes with it; foreign keys to the user are SET_NULL


@transaction.atomic
def verification_code_purge_before(*, cutoff: dt.datetime) -> int:
    """Drop sign-up and reset codes (keyed digests of phone numbers and addresses) that
    expired before `cutoff`: they are of no use once expired."""
    done = VerificationCode.objects.filter(expires_at__lt=cutoff).delete()[0]
    if done:
        audit_record(
            actor=None,
            action=AuditAction.PURGE,
            obj=VerificationCode,
            details={"count": done, "before": cutoff.isoformat()},
        )
    return done
