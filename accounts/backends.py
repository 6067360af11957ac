"""Permissions from staff roles: `user.has_perm("appointments.view_booking")` is true when the
user holds a role whose entry in `accounts.constants.ROLE_PERMISSIONS` lists it. No Django groups
to keep in step. Which offices a permission covers is decided by the querysets
(`accounts.selectors.office_ids_with_perm`), not here: `has_perm` answers "may this user ever do
this", the scoped queryset answers "to which rows"."""

from .constants import permissions_for_roles
from .selectors import role_names_for

_CACHE = "_onewindow_role_perm_cache"


class RoleBackend:
    """Authenticates nobody, only answers permission questions. Listed before ModelBackend, so a
    permission a role grants is answered from the grants read once per request, without
    ModelBackend's two queries. Not a BaseBackend: without `get_user` it is never the backend
    a session signs in with (the test client's force_login takes the first that has one)."""

    def authenticate(self, request, **credentials):
        return None

    def get_all_permissions(self, user_obj, obj=None) -> frozenset[str]:
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return frozenset()
        if not hasattr(user_obj, _CACHE):
            setattr(user_obj, _CACHE, permissions_for_roles(role_names_for(user_obj)))
        return getattr(user_obj, _CACHE)

    def get_user_permissions(self, user_obj, obj=None) -> frozenset[str]:
        return frozenset()

    def get_group_permissions(self, user_obj, obj=None) -> frozenset[str]:
        return frozenset()

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        prefix = f"{app_label}."
        return any(perm.startswith(prefix) for perm in self.get_all_permissions(user_obj))
