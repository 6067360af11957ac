"""Writes to schedules and their periods (the admin and the demo loader use these)."""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from accounts.actions import audit_created, audit_deleted, audit_related
from services.models import Bundle, Office, Service

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
    bundles: Iterable[Bundle] = (),
) -> tuple[Schedule, bool]:
    """Create or align a schedule by (office, name); writes only what differs. `bundles`: the
    一件事 bundles whose one-visit bookings its slots take."""
    schedule, created = Schedule.objects.get_or_create(
        office=office,
        name=name,
        defaults={
            "slot_minutes": slot_minutes,
            "capacity": capacity,
            "walkin_percent": walkin_percent,
        },
    )
    if created:
        audit_created(schedule)
    wanted_services, current_services = set(services), set(schedule.services.all())
    if current_services != wanted_services:
        schedule.services.set(wanted_services)
        audit_related(schedule, "services", added=_by_pk(wanted_services - current_services),
                      removed=_by_pk(current_services - wanted_services))  # fmt: skip
    wanted_bundles, current_bundles = set(bundles), set(schedule.bundles.all())
    if current_bundles != wanted_bundles:
        schedule.bundles.set(wanted_bundles)
        audit_related(schedule, "bundles", added=_by_pk(wanted_bundles - current_bundles),
                      removed=_by_pk(current_bundles - wanted_bundles))  # fmt: skip
    wanted = sorted(periods)
    current = sorted(schedule.periods.values_list("weekday", "start", "end"))
    if current != wanted:
        for period in schedule.periods.all():
            audit_deleted(period)
        schedule.periods.all().delete()
        for period in SchedulePeriod.objects.bulk_create(
            SchedulePeriod(schedule=schedule, weekday=w, start=s, end=e) for w, s, e in wanted
        ):
            audit_created(period)
    return schedule, created


def _by_pk(objects: set) -> list:
    return sorted(objects, key=lambda o: o.pk)
