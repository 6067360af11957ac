"""Celery tasks of accounts: thin shells that call actions."""

from celery import shared_task

from core.retention import retention_cutoff

from . import actions


@shared_task
def audit_seal() -> int:
    """Every few seconds (config/celery.py): seal the committed audit entries, export heads."""
    return actions.audit_seal()


@shared_task
def retention_apply() -> dict:
    """Nightly (config/celery.py): audit entries past RETENTION["AUDIT_DAYS"] are purged through
    a sealed purge entry; expired verification codes go after PERSONAL_DATA_DAYS at most."""
    return {
        "audit_entries_purged": actions.audit_purge_before(
            cutoff=retention_cutoff("AUDIT_DAYS")
        ),
        "verification_codes_purged": actions.verification_code_purge_before(
            cutoff=retention_cutoff("MESSAGE_DAYS")
        ),
    }
