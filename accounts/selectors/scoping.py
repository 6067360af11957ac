"""Who may see what: the one place where office scoping is decided. Pages, the admin and the
API all narrow their querysets through `scope_to_offices`."""

import datetime as dt
from typing import Any, cast

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import ResidentProfile, Role, StaffRole, User
from accounts.signals import resident_data_requested
from accounts.staff_context import user_grants

# Whoever `request.user` is: a selector that scopes reads to the reader takes it as it comes.
AnyUser = User | AnonymousUser


def user_roles(user: User) -> QuerySet[StaffRole]:
    return StaffRole.objects.filter(user=user, user__is_active=True)


def office_ids_for(user: User, *roles: str) -> set[int] | None:
    """The ids of the offices where `user` holds one of `roles` (any role if none given);
    None means every office (a bureau-wide role or a superuser)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return None
    cached = user_grants(user)
    if cached is not None:  # read once for this request (accounts/staff_context.py)
        offices = [office for role, office in cached if not roles or role in roles]
        return None if None in offices else set(cast(list[int], offices))  # None ruled out
    grants = user_roles(user)
    if roles:
        grants = grants.filter(role__in=roles)
    if grants.filter(office__isnull=True).exists():
        return None
    return set(grants.values_list("office_id", flat=True))


def scope_to_offices(
    queryset: QuerySet, user: User, *roles: str, field: str = "office"
) -> QuerySet:
    """Narrow `queryset` to rows whose `field` (an office foreign key path) is one of the user's
    offices for `roles`. A row of another office is then simply not found (404), by URL too."""
    ids = office_ids_for(user, *roles)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": ids})


def user_has_role(user: User, role: str, *, office_id: int | None = None) -> bool:
    ids = office_ids_for(user, role)
    if ids is None:
        return True
    return bool(ids) if office_id is None else office_id in ids


def staff_list_for_office(office_id: int) -> QuerySet[User]:
    return User.objects.filter(
        Q(staff_roles__office_id=office_id) | Q(staff_roles__office__isnull=True), is_active=True
    ).distinct()


__all__ = [
    "Role",
    "office_ids_for",
    "scope_to_offices",
    "user_has_role",
    "user_roles",
    "staff_list_for_office",
    "user_is_resident",
    "resident_get_by_contact",
    "resident_data",
]


# --- residents -----------------------------------------------------------------------------------


def user_is_resident(user: AnyUser) -> bool:
    """An active account with a resident profile and no staff standing. The resident pages
    refuse anyone else: staff sign in with a second factor, which these pages do not ask for."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_staff or user.is_superuser:
        return False
    return (
        ResidentProfile.objects.filter(user=user).exists()
        and not StaffRole.objects.filter(user=user).exists()
    )


def resident_get_by_contact(destination: str) -> User | None:
    """The active resident whose verified mobile number or e-mail is `destination`."""
    field = "verified_email" if "@" in destination else "verified_phone"
    profile = (
        ResidentProfile.objects.select_related("user")
        .filter(**{field: destination}, user__is_active=True)
        .first()
    )
    return profile.user if profile else None


def resident_verified_contacts(user: User) -> tuple[str, str]:
    """(mobile number, e-mail address) the resident proved they hold, "" for one they have not:
    rows other apps keep with them (walk-in tickets, mailbox messages) are the resident's."""
    found = ResidentProfile.objects.filter(user=user).values_list(
        "verified_phone", "verified_email"
    )
    return found.first() or ("", "")


def export_time(value: dt.datetime | None) -> str | None:
    """A date and time as the resident's data export writes it: local time, ISO 8601."""
    return timezone.localtime(value).isoformat() if value else None


def resident_data(user: User) -> dict:
    """Everything OneWindow holds about a resident, as JSON-ready data. The apps above accounts
    add their sections (bookings…) through `resident_data_requested` (see accounts/signals.py).

    ID numbers appear masked only, the resident's own included: the file is meant to be kept
    and shared by its owner, and a booking made for a family member carries their number."""
    profile = ResidentProfile.objects.get(user=user)
    data: dict[str, Any] = {
        "format": "onewindow-resident-data/1",
        "account": {
            "mobile_number": profile.verified_phone,
            "email": profile.verified_email,
            "id_number_masked": profile.id_masked,
            "language": profile.language,
            "created_at": profile.created_at.isoformat(),
            "privacy_notice_agreed": profile.privacy_notice_version,
            "last_sign_in": user.last_login.isoformat() if user.last_login else None,
        },
    }
    responses = resident_data_requested.send(
        sender=ResidentProfile, user=user, id_number_hmac=profile.id_number_hmac
    )
    for _receiver, sections in responses:
        data.update(cast(dict[str, Any], sections or {}))
    return data


# --- staff: roles, permissions, second factor -----------------------------------------------------


def role_names_for(user: User) -> frozenset[str]:
    """The roles `user` holds at any office (what `RoleBackend` turns into permissions)."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = user_grants(user)
    if cached is not None:
        return frozenset(role for role, _office in cached)
    return frozenset(user_roles(user).values_list("role", flat=True))


def office_ids_with_perm(user: User, *perms: str) -> set[int] | None:
    """The offices where `user` holds a role granting one of `perms` (accounts/constants.py);
    None means every office. An admin page, a view or an API endpoint that needs `perms` shows
    rows of these offices only."""
    from accounts.constants import roles_with_permission

    roles = {role for perm in perms for role in roles_with_permission(perm)}
    if not roles:  # no role grants it: only a superuser goes through
        return None if user.is_active and user.is_superuser else set()
    return office_ids_for(user, *roles)


def staff_roles_for_home(user: User) -> QuerySet[StaffRole]:
    return user_roles(user).select_related("office").order_by("role", "office__code")


def staff_may_sign_in(user: User) -> bool:
    """Staff sign in at /staff/: an active account with a role (which sets is_staff) or a
    superuser. Residents have their own sign-in."""
    return user.is_active and (user.is_staff or user.is_superuser)


def staff_totp_confirmed(user: User) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()
