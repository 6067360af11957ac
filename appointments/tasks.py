"""Celery tasks of appointments: thin shells that take ids and call actions."""

from celery import shared_task

from core.retention import retention_cutoff
from core.tasks import OUTSIDE_RETRY

from . import actions


# Talks to the SMS gateway and the mail server: bounded retries, backoff with jitter.
@shared_task(**OUTSIDE_RETRY)
def booking_notify(booking_id: int, kind: str) -> None:
    from .messages import booking_message_send

    booking_message_send(booking_id=booking_id, kind=kind)


@shared_task
def booking_pdf_prepare(booking_id: int) -> None:
    from .printouts import booking_pdf_store

    booking_pdf_store(booking_id=booking_id)


@shared_task(**OUTSIDE_RETRY)
def waiting_notify(entry_id: int, kind: str) -> None:
    from .messages import waiting_message_send

    waiting_message_send(entry_id=entry_id, kind=kind)


@shared_task
def slots_generate(days: int = 8) -> dict:
    return actions.slot_generate(days=days)


@shared_task
def slots_release_embargoed() -> int:
    return actions.slot_release_embargoed_places() + actions.waiting_expire_offers()


@shared_task
def bookings_send_reminders() -> int:
    from .messages import booking_reminders_send

    return booking_reminders_send()


@shared_task
def retention_apply() -> dict:
    """Nightly (config/celery.py): bookings and waiting-list entries anonymised, per-person
    daily counters dropped, PERSONAL_DATA_DAYS after the visit."""
    cutoff = retention_cutoff("PERSONAL_DATA_DAYS")
    return {
        "bookings_anonymised": actions.booking_anonymise_before(cutoff=cutoff),
        "waiting_entries_anonymised": actions.waiting_anonymise_before(cutoff=cutoff),
        "quotas_purged": actions.quota_purge_before(cutoff=cutoff),
    }
