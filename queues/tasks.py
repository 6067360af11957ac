from celery import shared_task


@shared_task(acks_late=True, max_retries=3, autoretry_for=(OSError,), retry_backoff=True)
def queue_notify_near_front(office_id: int, service_id: int) -> int:
    from .messages import near_front_send

    return near_front_send(office_id=office_id, service_id=service_id)


@shared_task
def bookings_mark_no_shows() -> int:
    from appointments.actions import booking_mark_no_shows

    return booking_mark_no_shows()


@shared_task
def queue_service_level_check() -> int:
    from .actions import service_level_check

    return service_level_check()
