"""Writes to schedules and their periods (the admin and the demo loader use these)."""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from services.models import Office, Service

from ..models import Schedule, SchedulePeriod


@transaction.atomic
def schedule_upsert(
    *,
    office: Office,
    name: str,
    services: Iterable[Service],
    periods: Iterable[tuple[int, dt.time, dt.time]],
    slot_minutes: int = 30,
    capacity: int = 4,
    walkin_percent: int = 25,
) -> tuple[Schedule, bool]:
    """Create or align a schedule by (office, name); writes only what differs."""
    schedule, created = Schedule.objects.get_or_create(
        office=office,
        name=name,
        defaults={
            "slot_minutes": slot_minutes,
            "capacity": capacity,
            "walkin_percent": walkin_percent,
        },
    )
    wanted_services = {s.pk for s in services}
    if set(schedule.services.values_list("pk", flat=True)) != wanted_services:
        schedule.services.set(wanted_services)
    wanted = sorted(periods)
    current = sorted(schedule.periods.values_list("weekday", "start", "end"))
    if current != wanted:
        schedule.periods.all().delete()
        SchedulePeriod.objects.bulk_create(
            SchedulePeriod(schedule=schedule, weekday=w, start=s, end=e) for w, s, e in wanted
        )
    return schedule, created
