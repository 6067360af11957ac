"""Celery tasks of notifications: thin shells that call actions."""

from celery import shared_task

from core.retention import retention_cutoff

from . import actions


@shared_task
def message_send_later(channel: str, kind: str, to: str, subject: str, body: str) -> None:
    """One message from an outbox row (accounts: sign-up and reset codes). The address and the
    text travel as encrypted outbox arguments."""
    message = actions.message_send(channel=channel, to=to, subject=subject, body=body, kind=kind)
    if message.status == "failed":
        raise actions.DeliveryFailed(f"{kind}: {channel} not delivered")


@shared_task
def retention_apply() -> dict:
    """Nightly (config/celery.py): outbox texts and addresses go after RETENTION["MESSAGE_DAYS"]."""
    return {
        "messages_anonymised": actions.message_anonymise_before(
            cutoff=retention_cutoff("MESSAGE_DAYS")
        )
    }
