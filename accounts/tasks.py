"""Celery tasks of accounts: thin shells that call actions."""

from celery import shared_task

from core.retention import retention_cutoff
from core.tasks import OUTSIDE_RETRY

from . import actions
from .lookup_guard import lookup_lock_purge_before


@shared_task
def audit_seal() -> int:
    """Every few seconds (config/celery.py): seal the committed audit entries, export heads."""
    return actions.audit_seal()


@shared_task
def retention_apply() -> dict:
    """Nightly (config/celery.py): audit entries past RETENTION["AUDIT_DAYS"] are purged through
    a sealed purge entry; expired verification codes go after PERSONAL_DATA_DAYS at most; the
    look-up guard's counts once a target was left alone for a day, its locks with the data."""
    return {
        "audit_entries_purged": actions.audit_purge_before(
            cutoff=retention_cutoff("AUDIT_DAYS")
        ),
        "verification_codes_purged": actions.verification_code_purge_before(
            cutoff=retention_cutoff("MESSAGE_DAYS")
        ),
        "lookup_locks_purged": lookup_lock_purge_before(
            cutoff=retention_cutoff("PERSONAL_DATA_DAYS")
        ),
    }


# Talks to the SMS gateway: bounded retries, backoff with jitter (as the booking messages).
@shared_task(**OUTSIDE_RETRY)
def lookup_lock_notify(lock_id: int) -> None:
    from .lookup_guard import lookup_lock_message_send

    lookup_lock_message_send(lock_id=lock_id)
