"""Who may see what: the one place where office scoping is decided. Pages, the admin and the
API all narrow their querysets through `scope_to_offices`."""

from django.db.models import Q, QuerySet

from .models import Role, StaffRole, User


def user_roles(user: User) -> QuerySet[StaffRole]:
    return StaffRole.objects.filter(user=user, user__is_active=True)


def office_ids_for(user: User, *roles: str) -> set[int] | None:
    """The ids of the offices where `user` holds one of `roles` (any role if none given);
    None means every office (a bureau-wide role or a superuser)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return None
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
]
