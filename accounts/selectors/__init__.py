"""Who may see what: the one place where office scoping is decided. Pages, the admin and the
API all narrow their querysets through `scope_to_offices`."""

from accounts.signals import resident_data_requested  # noqa: F401

from .scoping import (  # noqa: F401
    AnyUser,
    export_time,
    office_ids_for,
    office_ids_with_perm,
    resident_data,
    resident_get_by_contact,
    resident_verified_contacts,
    role_names_for,
    scope_to_offices,
    staff_list_for_office,
    staff_may_sign_in,
    staff_roles_for_home,
    staff_totp_confirmed,
    user_has_role,
    user_is_resident,
    user_roles,
)
