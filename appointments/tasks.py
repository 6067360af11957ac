"""Celery tasks of appointments: thin shells that take ids and call actions."""

from celery import shared_task

from . import actions


@shared_task(
    acks_late=True,
    max_retries=5,
    default_retry_delay=30,
    autoretry_for=(OSError,),
    retry_backoff=True,
)
def booking_notify(booking_id: int, kind: str) -> None:
    from .messages import booking_message_send

    booking_message_send(booking_id=booking_id, kind=kind)


@shared_task(acks_late=True, max_retries=5, autoretry_for=(OSError,), retry_backoff=True)
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
