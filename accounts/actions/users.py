"""Superusers and API clients of integrating platforms."""

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit_changes import (
    audit_created,
)

# Secret look-ups guarded per target (booking code + ID digits, mailbox reference + code).
from accounts.models import (
    ApiClient,
)

if TYPE_CHECKING:  # services sits above accounts: a type, not an import at run time
    pass


@transaction.atomic
def user_ensure_superuser(*, username: str, email: str, password: str) -> bool:
    """Create a superuser unless the username is taken; never touch an existing account.

    Returns whether the user was created.
    """
    user_model = get_user_model()
    if user_model._default_manager.filter(username=username).exists():
        return False
    user = user_model._default_manager.create_superuser(
        username=username, email=email, password=password
    )
    audit_created(user, actor=None)
    return True


def api_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_client_create(*, name: str, rate: str = "") -> tuple[ApiClient, str]:
    """Create an API client; returns it with its token, which is shown this once and never
    stored (only its hash is)."""
    token = secrets.token_urlsafe(32)
    client = ApiClient(name=name.strip(), token_prefix=token[:8], token_hash=api_token_hash(token))
    if rate:
        client.rate = rate
    client.full_clean()
    client.save()
    audit_created(client)
    return client, token


def api_client_touch(*, client: ApiClient, now: dt.datetime | None = None) -> None:
    """Record use at most once a minute: a busy client must not write a row per request."""
    now = now or timezone.now()
    fresh = now - dt.timedelta(minutes=1)
    if client.last_used_at is not None and client.last_used_at >= fresh:
        return  # known from the row just read: no UPDATE on the hot path
    ApiClient.objects.filter(pk=client.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=fresh)
    ).update(last_used_at=now)
