"""Celery tasks of accounts: thin shells that call actions."""

from celery import shared_task

from core.retention import retention_cutoff

from . import actions


@shared_task
def retention_apply() -> dict:
    """Nightly (config/celery.py): audit entries past RETENTION["AUDIT_DAYS"] are purged, the
    chain kept verifiable; expired verification codes go after PERSONAL_DATA_DAYS at most."""
    return {
        "audit_entries_purged": actions.audit_purge_before(
            cutoff=retention_cutoff("AUDIT_DAYS")
        ),
        "verification_codes_purged": actions.verification_code_purge_before(
            cutoff=retention_cutoff("MESSAGE_DAYS")
        ),
    }
