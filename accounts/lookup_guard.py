"""Guessing stopped at the target, not at the address.

A secret look-up (a booking's code + the ID number's last 4, a mailbox message's reference +
follow-up code) is guarded per target: each wrong answer for an existing target is counted and
audited; after LOOKUP_GUARD["FAILURE_LIMIT"] wrong answers in LOOKUP_GUARD["WINDOW_HOURS"] the
target is locked for look-ups from everyone, whatever their address, and its holder gets an SMS
with a link that unlocks it (proof of holding the phone the booking or message was made with). A
clerk at the counter can unlock it too, after checking the holder's ID (staff page
/staff/unlock/). Both unlocks are audited.

Per-address limits stay in front as a second guard, set high enough that residents sharing one
carrier-grade NAT address are not locked out together (core/ratelimit.py, core/client_ip.py).

The apps call `lookup_verify` with what they found; the writes commit on their own, before the
caller raises its not-found error.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import decrypt_text, encrypt_text
from core.errors import DomainError

from .audit import audit_record
from .models import AuditAction, LookupLock

KINDS = {"booking": _("booking"), "mailbox": _("message to the director's mailbox")}
_TOKEN_SALT = "accounts.lookup_guard.unlock"
_TOKEN_MAX_AGE = dt.timedelta(days=7)


class LookupLocked(DomainError):
    code = "lookup_locked"
    status = 423
    message = _(
        "Too many wrong answers were given for this reference, so it is locked for everyone. "
        "Its holder has been sent an SMS with a link to unlock it; a clerk at the counter can "
        "unlock it too, after checking the holder's ID."
    )


class UnlockLinkInvalid(DomainError):
    code = "unlock_link_invalid"
    status = 400
    message = _("This unlock link is not valid any more. Ask a clerk at the counter.")


@dataclass(frozen=True)
class Target:
    """What a look-up found by its public part (code, reference), before the secret is checked."""

    kind: str
    key: str
    obj: models.Model
    phone: str = ""
    language: str = ""
    office_id: int | None = None


def lookup_verify(*, target: Target | None, matches: bool, ip: str | None = None) -> None:
    """Refuse a locked target whatever the answer; count a wrong answer. The caller raises its
    own not-found error when `matches` is False (also when nothing was found: no target)."""
    if target is None:
        return
    lock = LookupLock.objects.filter(kind=target.kind, target=target.key).first()
    if lock is not None and lock.locked_at is not None:
        raise LookupLocked()
    if not matches:
        _failure_record(target=target, ip=ip)
    elif lock is not None and lock.failures:
        LookupLock.objects.filter(pk=lock.pk, locked_at__isnull=True).update(
            failures=[], updated_at=timezone.now()
        )


@transaction.atomic
def _failure_record(*, target: Target, ip: str | None) -> LookupLock:
    LookupLock.objects.get_or_create(kind=target.kind, target=target.key)
    lock = LookupLock.objects.select_for_update().get(kind=target.kind, target=target.key)
    now = timezone.now()
    since = now - dt.timedelta(hours=settings.LOOKUP_GUARD["WINDOW_HOURS"])
    recent = [t for t in lock.failures if dt.datetime.fromisoformat(t) > since]
    lock.failures = recent + [now.isoformat()]
    limit = settings.LOOKUP_GUARD["FAILURE_LIMIT"]
    details = {"kind": target.kind, "failures": len(lock.failures), "limit": limit}
    audit_record(actor=None, action=AuditAction.LOOKUP_FAILED, obj=target.obj, ip=ip,
                 details=details)
    if len(lock.failures) >= limit and lock.locked_at is None:
        lock.locked_at = now
        lock.office_id = target.office_id
        lock.phone_encrypted = encrypt_text(target.phone) if target.phone else ""
        lock.language = target.language
        audit_record(actor=None, action=AuditAction.LOOKUP_LOCKED, obj=target.obj, ip=ip,
                     details=details)
    lock.save()
    if lock.locked_at == now:
        _lock_event(lock)
    return lock


def _lock_event(lock: LookupLock) -> None:
    """Tell the holder once the lock is committed: an outbox row in the lock's transaction (the
    path of every other message), one per lock."""
    from core.outbox import outbox_enqueue

    stamp = int(lock.locked_at.timestamp())
    outbox_enqueue("accounts.tasks.lookup_lock_notify", lock.pk, key=f"{lock.pk}:{stamp}")


# --- unlocking: the holder's own phone (signed link) or a clerk at the counter -----------------


def unlock_token(lock: LookupLock) -> str:
    """Good for this lock only: a later lock of the same target has another time."""
    return signing.dumps({"l": lock.pk, "t": lock.locked_at.isoformat()}, salt=_TOKEN_SALT,
                         compress=True)


def lookup_lock_from_token(token: str) -> LookupLock:
    try:
        data = signing.loads(token, salt=_TOKEN_SALT, max_age=_TOKEN_MAX_AGE)
    except signing.BadSignature:
        raise UnlockLinkInvalid() from None
    lock = LookupLock.objects.filter(pk=data.get("l"), locked_at__isnull=False).first()
    if lock is None or lock.locked_at.isoformat() != data.get("t"):
        raise UnlockLinkInvalid()
    return lock


@transaction.atomic
def lookup_unlock(*, lock: LookupLock, actor: Any = None, via: str, ip: str | None = None) -> None:
    """Lift the lock and forget the wrong answers; `via` is "sms_link" or "counter"."""
    updated = LookupLock.objects.filter(pk=lock.pk, locked_at__isnull=False).update(
        locked_at=None, failures=[], phone_encrypted="", updated_at=timezone.now()
    )
    if updated:
        audit_record(
            actor=actor, action=AuditAction.LOCKOUT_LIFTED, office_id=lock.office_id, ip=ip,
            object_label=f"{lock.kind} {lock.target}",
            details={"kind": lock.kind, "reference": lock.target, "via": via},
        )


def lookup_lock_purge_before(*, cutoff: dt.datetime) -> int:
    """Nightly: counts of targets left alone for a whole window, and locks older than `cutoff`
    (the personal-data period: the booking or message itself is anonymised by then)."""
    quiet = timezone.now() - dt.timedelta(hours=settings.LOOKUP_GUARD["WINDOW_HOURS"])
    stale = LookupLock.objects.filter(
        models.Q(locked_at__isnull=True, updated_at__lt=quiet) | models.Q(locked_at__lt=cutoff)
    )
    return stale.delete()[0]


def lookup_lock_get_locked(*, kind: str, key: str) -> LookupLock | None:
    return LookupLock.objects.filter(kind=kind, target=key, locked_at__isnull=False).first()


def lookup_lock_message_send(*, lock_id: int):
    """The SMS to the holder of a locked target, in their language, with the unlock link."""
    from django.utils import translation

    from core.links import site_reverse
    from notifications.actions import message_send
    from notifications.models import Channel

    lock = LookupLock.objects.filter(pk=lock_id, locked_at__isnull=False).first()
    if lock is None or not lock.phone_encrypted:
        return None  # unlocked before this went out, or nobody to tell
    language = lock.language or settings.LANGUAGE_CODE
    with translation.override(language):
        url = site_reverse("unlock:link", language=language, args=[unlock_token(lock)])
        body = str(_(
            "OneWindow: wrong codes were entered %(n)s times for your %(what)s %(ref)s, so it is "
            "locked. To unlock it open %(url)s or ask at the counter with your ID."
        )) % {
            "n": settings.LOOKUP_GUARD["FAILURE_LIMIT"], "what": KINDS.get(lock.kind, lock.kind),
            "ref": lock.target, "url": url,
        }
    return message_send(
        channel=Channel.SMS, to=decrypt_text(lock.phone_encrypted), body=body,
        kind="lookup_locked", ref=f"lock-{lock.pk}-{int(lock.locked_at.timestamp())}",
    )
