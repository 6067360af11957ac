"""Celery tasks of documents: thin shells that take ids and call actions."""

from celery import shared_task
from django.utils import timezone

# --- requests (notifications and the daily escalation) ------------------------------------------


@shared_task(acks_late=True, max_retries=5, default_retry_delay=30, autoretry_for=(OSError,),
             retry_backoff=True)
def request_notify(request_id: int, kind: str) -> None:
    from .actions.notify import request_message_send

    request_message_send(request_id=request_id, kind=kind)


@shared_task
def requests_escalate() -> int:
    """Daily (config/celery.py): requests near or past their time limit, to the managers."""
    from .actions.notify import requests_escalate as escalate

    return escalate()


@shared_task(acks_late=True, max_retries=5, autoretry_for=(OSError,), retry_backoff=True)
def requests_escalation_digest(office_id: int, request_ids: list[int]) -> int:
    from .actions.notify import escalation_digest_send

    return escalation_digest_send(
        office_id=office_id, request_ids=request_ids, today=timezone.localdate()
    )


# --- certificates (documents/actions/certificates.py) -------------------------------------------
# Exactly once even when retried, run twice or killed mid-way: the action stores the PDF with a
# conditional UPDATE and issues in the same transaction; a repeated run finds it done. Both are
# outbox rows written with the approval (core/outbox.py): a lost task is handed out again by
# the outbox relay, no repair job of its own.


@shared_task(acks_late=True, max_retries=8, default_retry_delay=20, retry_backoff=True,
             retry_backoff_max=600, autoretry_for=(OSError, ConnectionError, TimeoutError))
def certificate_generate(certificate_id: int) -> None:
    from .actions.certificates import certificate_generate_pdf

    certificate_generate_pdf(certificate_id=certificate_id)


@shared_task(acks_late=True, max_retries=5, default_retry_delay=30, retry_backoff=True,
             autoretry_for=(OSError,))
def certificate_notify(certificate_id: int) -> None:
    from .actions.certificates import certificate_notify as notify

    notify(certificate_id=certificate_id)


@shared_task
def retention_apply() -> dict:
    """Nightly (config/celery.py): closed requests purged DOCUMENT_DAYS after their last change."""
    from core.retention import retention_cutoff

    from .actions.retention import request_purge_before

    return {"requests_purged": request_purge_before(cutoff=retention_cutoff("DOCUMENT_DAYS"))}
