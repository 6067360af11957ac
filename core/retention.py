"""Retention periods (settings.RETENTION) turned into cut-off times.

Each app that keeps personal data owns its `<entity>_anonymise_before(*, cutoff)` or
`<entity>_purge_before(*, cutoff)` actions and a `retention_apply` task that calls them with
`retention_cutoff(...)`; config/celery.py runs those tasks nightly. The actions are idempotent
and work in batches of RETENTION["BATCH_SIZE"] rows, each batch its own transaction, so a long
backlog never holds locks for long and a run cut short is finished by the next one.
"""

import datetime as dt
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone


def retention_cutoff(kind: str, *, now: dt.datetime | None = None) -> dt.datetime:
    """The moment before which records of `kind` (a key of settings.RETENTION, e.g.
    "PERSONAL_DATA_DAYS") are past their period."""
    days = settings.RETENTION[kind]
    if days <= 0:
        raise ValueError(f"RETENTION[{kind!r}] must be a positive number of days")
    return (now or timezone.now()) - dt.timedelta(days=days)


def batched_ids(queryset: QuerySet, *, batch_size: int | None = None) -> Iterator[list[int]]:
    """The primary keys of `queryset` in batches, read afresh for each batch: the caller changes
    each batch so that it leaves the queryset (that is what makes the loop end)."""
    size = batch_size or settings.RETENTION["BATCH_SIZE"]
    while True:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return
        yield ids


def apply_in_batches(queryset: QuerySet, change: Callable[[list[int]], int]) -> int:
    """Call `change(ids)` (an atomic action) on every batch of `queryset`; the total changed."""
    total = 0
    for ids in batched_ids(queryset):
        changed = change(ids)
        total += changed
        if changed == 0:
            break  # nothing left the queryset: stop rather than loop
    return total
