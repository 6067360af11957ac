"""Kiosks: registration, token reset, heartbeat."""

import datetime as dt
import secrets

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.actions import audit_changed, audit_created, audit_values
from queues import selectors
from queues.models import Kiosk
from services.models import Office

# --- kiosks: a device token set up once by the office manager ----------------------------------


@transaction.atomic
def kiosk_create(
    *, office: Office, name: str, is_active: bool = True, token: str | None = None
) -> tuple[Kiosk, str]:
    """A new kiosk and its device token; only the token's hash is stored, so the set-up link
    can be shown once and never again. (`token` is given only by the demo loader.)"""
    token = token or secrets.token_urlsafe(32)
    kiosk = Kiosk.objects.create(
        office=office, name=name, is_active=is_active, token_hash=selectors.kiosk_token_hash(token)
    )
    audit_created(kiosk)
    return kiosk, token


@transaction.atomic
def kiosk_reset_token(*, kiosk: Kiosk) -> str:
    """A new set-up link (the device lost its cookie or was stolen); the old token stops working."""
    token = secrets.token_urlsafe(32)
    Kiosk.objects.filter(pk=kiosk.pk).update(token_hash=selectors.kiosk_token_hash(token))
    audit_changed(kiosk, audit_values(kiosk), also={"token": ["replaced", "new"]})
    return token


def kiosk_touch(*, kiosk: Kiosk, now: dt.datetime | None = None) -> None:
    """Record that the device is alive, at most once a minute (a kiosk page is not a write)."""
    now = now or timezone.now()
    stale = Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now - dt.timedelta(minutes=1))
    Kiosk.objects.filter(stale, pk=kiosk.pk).update(last_seen_at=now)
