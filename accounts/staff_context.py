"""A signed-in staff member's standing, read once and kept in the shared cache per session.

Every staff request used to ask the database the same questions again: which roles at which
offices (three to five statements: the role backend, then each office-scoped queryset) and
whether the session's second-factor device still exists, is confirmed and belongs to the user
(django-otp loads the device on every request). For a clerk pressing a console key every few
seconds those were most of the request's work. `StaffOTPMiddleware` answers both from one
cache read (one Redis MGET in production, the same as the session's own read with
accounts/session_store.py) and asks the database only when the entry is missing
or stale.

What is kept, under the session's key: the user's id, the grants `(role, office id)` and the
persistent id of the device found confirmed for that user. The user row itself is still read
on every request by Django (deactivation and password changes keep taking effect at once).

Invalidation, so that a revoked role takes effect **on the clerk's next request**: each user
has a generation token in the cache (no expiry); an entry is used only if it carries the
current token. Any saved or deleted staff role or OTP device (through the actions, the admin or
the shell) replaces the user's token once the transaction commits, which makes every session's
entry of that user stale at once. The token is read before the database, so a request racing
a revocation can only store an entry under the old token, never a stale entry under the new
one. An entry also expires after ENTRY_SECONDS: a bound if the token were lost (a cache
restart or eviction) or a change bypassed the ORM (raw SQL).

Only sessions that have passed the second factor use it; anyone else goes through django-otp
unchanged.
"""

import secrets
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

from .session_store import remember_user

ENTRY_SECONDS = 300
GRANTS_ATTR = "_staff_grants"  # [(role, office id or None)] on the request's user object


@dataclass(frozen=True)
class StaffContext:
    user_id: int
    grants: tuple[tuple[str, int | None], ...]
    device: str  # the persistent id of the confirmed device of this user in the session


def _generation_key(user_id: int) -> str:
    return f"staff-ctx-gen:{user_id}"


def _entry_key(session_key: str) -> str:
    return f"staff-ctx:{session_key}"


def standing_keys(session_key: str, user_id: int) -> list[str]:
    """The cache keys of a session's standing: the user's generation token, then the entry."""
    return [_generation_key(user_id), _entry_key(session_key)]


def _read_standing(request, user_id: int, session_key: str) -> dict:
    """The standing's keys as found in the cache: fetched with the session when its store
    could (accounts/session_store.py), else read now."""
    prefetched = getattr(request.session, "prefetched", None)
    if prefetched is not None and prefetched[0] == user_id:
        return prefetched[1]
    remember_user(session_key, user_id)  # the next read of this session brings them along
    return cache.get_many(standing_keys(session_key, user_id))


def staff_context_invalidate(user_id: int) -> None:
    """Make every cached standing of `user_id` stale once the current transaction commits."""

    def replace() -> None:
        cache.set(_generation_key(user_id), secrets.token_hex(8), None)

    transaction.on_commit(replace)


def _grants_from_database(user) -> tuple[tuple[str, int | None], ...]:
    from .selectors import user_roles

    rows = user_roles(user).order_by("role", "office_id").values_list("role", "office_id")
    return tuple(rows)


def user_grants(user) -> tuple[tuple[str, int | None], ...] | None:
    """The grants the middleware put on this request's user, or None (ask the database)."""
    return getattr(user, GRANTS_ATTR, None)


class StaffOTPMiddleware(OTPMiddleware):
    """django-otp's middleware, with the device check and the staff grants read from the cache
    for a session past the second factor (see the module's docstring)."""

    def _verify_user_sync(self, request, user):
        self._init_user_fields(user)
        persistent_id = (
            request.session.get(DEVICE_ID_SESSION_KEY) if user.is_authenticated else None
        )
        session_key = request.session.session_key
        if not persistent_id or not session_key:
            return super()._verify_user_sync(request, user)
        generation_key, entry_key = _generation_key(user.pk), _entry_key(session_key)
        found = _read_standing(request, user.pk, session_key)
        generation = found.get(generation_key)
        if generation is None:
            generation = secrets.token_hex(8)
            cache.add(generation_key, generation, None)
            generation = cache.get(generation_key, generation)
        entry = found.get(entry_key)
        if entry is not None and entry[0] == generation:
            context: StaffContext = entry[1]
            if context.user_id == user.pk and context.device == persistent_id:
                setattr(user, GRANTS_ATTR, context.grants)
                user.otp_device = SimpleLazyObject(
                    lambda: self._device_from_persistent_id(persistent_id)
                )
                return user
        super()._verify_user_sync(request, user)
        if user.otp_device is not None:
            grants = _grants_from_database(user)
            setattr(user, GRANTS_ATTR, grants)
            context = StaffContext(user.pk, grants, persistent_id)
            cache.set(entry_key, (generation, context), ENTRY_SECONDS)
        return user


def _changed(sender, instance, **kwargs) -> None:
    if getattr(instance, "user_id", None) is not None:
        staff_context_invalidate(instance.user_id)


def connect() -> None:
    """Invalidate on any change of a staff role or an OTP device, whoever makes it."""
    from django.apps import apps

    from .models import StaffRole

    models = [StaffRole] + [m for m in apps.get_models() if issubclass(m, Device)]
    for model in models:
        uid = f"staff_context_{model._meta.label_lower}"
        post_save.connect(_changed, sender=model, dispatch_uid=uid)
        post_delete.connect(_changed, sender=model, dispatch_uid=uid)
