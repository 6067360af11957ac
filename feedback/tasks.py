"""Celery tasks of feedback: thin shells that take ids and call actions or senders."""

from celery import shared_task

RETRY = {"acks_late": True, "max_retries": 5, "autoretry_for": (OSError,), "retry_backoff": True}


@shared_task(**RETRY)
def invitation_send(invitation_id: int, token: str) -> int:
    from .messages import invitation_message_send

    return invitation_message_send(invitation_id=invitation_id, token=token)


@shared_task(**RETRY)
def resident_notify(kind: str, object_id: int, secret: str = "") -> int:
    from .messages import RESIDENT_SENDERS

    return RESIDENT_SENDERS[kind](object_id, secret)


@shared_task(**RETRY)
def staff_notify(kind: str, object_id: int) -> int:
    from .messages import STAFF_SENDERS

    return STAFF_SENDERS[kind](object_id)


@shared_task
def evaluations_invite_finished_tickets() -> int:
    from .actions import evaluation_invite_finished_tickets

    return evaluation_invite_finished_tickets()


@shared_task
def feedback_escalate_late() -> int:
    from .actions import case_escalate_late, mailbox_escalate_late

    return case_escalate_late() + mailbox_escalate_late()


@shared_task
def feedback_retention() -> dict:
    from .actions import feedback_retention_run

    return feedback_retention_run()
