"""Writes to user accounts and API clients."""

from accounts.audit import (  # noqa: F401  (the audit writer, for every app)
    audit_entry_new,
    audit_export,
    audit_record,
)
from accounts.audit_changes import (  # noqa: F401  (the entries of changes, for every app's actions)
    audit_changed,
    audit_created,
    audit_created_entry,
    audit_deleted,
    audit_related,
    audit_values,
    audited,
)
from accounts.audit_seal import audit_purge_before, audit_seal  # noqa: F401

# Secret look-ups guarded per target (booking code + ID digits, mailbox reference + code).
from accounts.lookup_guard import LookupLocked, Target, lookup_verify  # noqa: F401
from accounts.signals import (
    resident_deleting,  # noqa: F401
    resident_forgetting,  # noqa: F401
)

from .residents import (
    CODE_HOURLY_LIMIT,
    CODE_MAX_ATTEMPTS,
    CODE_RESEND_AFTER,
    CODE_TTL,
    _resident_create,
    contact_channel,
    contact_digest,
    resident_data_export,
    resident_delete,
    resident_id_number_bind,
    resident_password_reset,
    resident_reset_start,
    resident_signup_confirm,
    resident_signup_start,
    verification_code_purge_before,
    verification_code_use,
)
from .staff import (
    BACKUP_CODE_COUNT,
    staff_backup_codes_replace,
    staff_member_create,
    staff_otp_verify,
    staff_role_grant,
    staff_role_revoke,
    staff_totp_confirm,
    staff_totp_install,
    staff_totp_pending,
)
from .users import (
    api_client_create,
    api_client_touch,
    api_token_hash,
    user_ensure_superuser,
)

__all__ = [
    "CODE_TTL",
    "CODE_MAX_ATTEMPTS",
    "CODE_RESEND_AFTER",
    "CODE_HOURLY_LIMIT",
    "contact_channel",
    "contact_digest",
    "verification_code_use",
    "resident_signup_start",
    "resident_signup_confirm",
    "_resident_create",
    "resident_reset_start",
    "resident_password_reset",
    "resident_id_number_bind",
    "resident_data_export",
    "resident_delete",
    "verification_code_purge_before",
    "BACKUP_CODE_COUNT",
    "staff_role_grant",
    "staff_role_revoke",
    "staff_totp_pending",
    "staff_totp_confirm",
    "staff_backup_codes_replace",
    "staff_otp_verify",
    "staff_member_create",
    "staff_totp_install",
    "user_ensure_superuser",
    "api_token_hash",
    "api_client_create",
    "api_client_touch",
    "resident_deleting",
    "resident_forgetting",
    "audit_export",
    "audit_entry_new",
    "audit_record",
    "audit_changed",
    "audit_created",
    "audit_created_entry",
    "audit_deleted",
    "audit_related",
    "audit_values",
    "audited",
    "audit_purge_before",
    "audit_seal",
    "LookupLocked",
    "Target",
    "lookup_verify",
]
