from celery import shared_task

from core.retention import retention_cutoff
from core.tasks import OUTSIDE_RETRY


@shared_task(**{**OUTSIDE_RETRY, "max_retries": 3})  # "you are next" is stale after minutes
def queue_notify_near_front(office_id: int, service_id: int) -> int:
    from .messages import near_front_send

    return near_front_send(office_id=office_id, service_id=service_id)


@shared_task
def service_level_alert(office_id: int, breaches: list[dict]) -> int:
    """E-mail to the office's managers (an outbox row written by service_level_check)."""
    from types import SimpleNamespace

    from .messages import service_level_alert_send

    return service_level_alert_send(
        office_id=office_id, breaches=[SimpleNamespace(**b) for b in breaches]
    )


@shared_task
def bookings_mark_no_shows() -> int:
    from appointments.actions import booking_mark_no_shows

    return booking_mark_no_shows()


@shared_task
def tickets_close_unfinished() -> int:
    """After midnight (config/celery.py): the tickets of earlier days still open close as not
    finished."""
    from django.utils import timezone

    from .actions import ticket_close_before

    return ticket_close_before(day=timezone.localdate())


@shared_task
def queue_service_level_check() -> int:
    from .actions import service_level_check

    return service_level_check()


@shared_task
def retention_apply() -> dict:
    """Nightly (config/celery.py): tickets lose their phone number PERSONAL_DATA_DAYS after
    the visit."""
    from .actions import ticket_anonymise_before

    return {
        "tickets_anonymised": ticket_anonymise_before(cutoff=retention_cutoff("PERSONAL_DATA_DAYS"))
    }
