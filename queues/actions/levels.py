"""Service levels: the waiting-time alerts of each office and service."""

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.outbox import outbox_enqueue
from queues.constants import (
    SERVICE_LEVEL_ALERT_EVERY_MINUTES,
)
from queues.models import ServiceLevel

# --- service levels ------------------------------------------------------------------------------


def _alert_row(office_id: int, service_id: int, target: int) -> ServiceLevel:
    """The service level a breach is stamped on: the service's own, else the office-wide one
    (made with the default target when the office has none, which changes no target)."""
    own = ServiceLevel.objects.filter(office_id=office_id, service_id=service_id).first()
    if own is not None:
        return own
    row, _created = ServiceLevel.objects.get_or_create(
        office_id=office_id, service=None, defaults={"target_minutes": target}
    )
    return row


@transaction.atomic
def service_level_check(*, now: dt.datetime | None = None) -> int:
    """Alert an office's managers when a service's longest wait passes its target; each service
    level alerts at most once per SERVICE_LEVEL_ALERT_EVERY_MINUTES (a conditional update, so two
    workers never both send). Returns how many breaches were reported."""
    from queues.selectors.console import service_level_breaches

    now = now or timezone.now()
    quiet_since = now - dt.timedelta(minutes=SERVICE_LEVEL_ALERT_EVERY_MINUTES)
    stamped: dict[int, bool] = {}
    due: dict[int, list] = {}
    for breach in service_level_breaches(now=now):
        row = _alert_row(breach.office_id, breach.service_id, breach.target)
        if row.pk not in stamped:
            stamped[row.pk] = bool(
                ServiceLevel.objects.filter(pk=row.pk)
                .filter(Q(alerted_at__isnull=True) | Q(alerted_at__lt=quiet_since))
                .update(alerted_at=now)
            )
        if stamped[row.pk]:
            due.setdefault(breach.office_id, []).append(breach)
    for office_id, breaches in due.items():
        outbox_enqueue("queues.tasks.service_level_alert", office_id, [
            {"service_id": b.service_id, "longest": b.longest, "target": b.target}
            for b in breaches
        ])  # fmt: skip
    return sum(len(breaches) for breaches in due.values())
