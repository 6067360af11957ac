"""Celery tasks of notifications: thin shells that call actions."""

from celery import shared_task

from core.retention import retention_cutoff

from . import actions


@shared_task
def retention_apply() -> dict:
    """Nightly (config/celery.py): outbox texts and addresses go after RETENTION["MESSAGE_DAYS"]."""
    return {
        "messages_anonymised": actions.message_anonymise_before(
            cutoff=retention_cutoff("MESSAGE_DAYS")
        )
    }
