"""The base class of every Celery task of OneWindow (config/celery.py sets it as `task_cls`).

Workers acknowledge a task only when it has finished (`acks_late`) and put it back when their
process dies under it (`reject_on_worker_lost`), so a crash loses nothing. The price is that a
task which kills its worker every time would go round for ever: `ReliableTask` counts the
deliveries of each task (per retry) in `core.TaskDelivery` before running it, and refuses the
one delivery too many, recording the task as failed. Tasks must therefore be idempotent (they
take ids and call actions that check state): a redelivered task may find its work half done.
"""

import datetime as dt
import logging
from typing import Any

from celery import Task, shared_task
from celery.exceptions import Reject
from django.conf import settings
from django.db import IntegrityError, transaction

from .logging import mask_id_numbers_in_text
from .models import TaskDelivery

logger = logging.getLogger(__name__)

# Tasks that talk to the outside (SMS gateway, mail server): bounded retries, exponential
# backoff (1 s, 2 s, 4 s … at most 10 minutes) with full jitter so that a gateway coming back is
# not hit by every retry at the same second. OSError covers connection errors and
# notifications.actions.DeliveryFailed.
OUTSIDE_RETRY = {
    "autoretry_for": (OSError,),
    "max_retries": 5,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
}

try:  # Celery's Django task adds delay_on_commit(); keep it when it is there.
    from celery.contrib.django.task import DjangoTask as _Base
except ImportError:  # pragma: no cover - older Celery
    _Base = Task


class PoisonMessage(Exception):
    """A task's worker died under it CELERY_TASK_MAX_DELIVERIES times."""


class ReliableTask(_Base):
    acks_late = True
    reject_on_worker_lost = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        request = self.request
        if request.is_eager or not request.id or request.called_directly:
            return super().__call__(*args, **kwargs)
        deliveries = _count_delivery(request.id, self.name, request.retries or 0)
        limit = settings.CELERY_TASK_MAX_DELIVERIES
        if deliveries > limit:
            reason = f"poison message: delivered {deliveries} times, the worker died {limit}"
            _record_failure(request.id, reason)
            logger.error("task %s[%s] refused: %s", self.name, request.id, reason)
            raise Reject(PoisonMessage(reason), requeue=False)
        return super().__call__(*args, **kwargs)

    def on_success(self, retval: Any, task_id: str, args: Any, kwargs: Any) -> None:
        if not self.request.is_eager:
            TaskDelivery.objects.filter(task_id=task_id).delete()
        super().on_success(retval, task_id, args, kwargs)

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        if not self.request.is_eager:
            _record_failure(task_id, f"{type(exc).__name__}: {exc}")
        super().on_failure(exc, task_id, args, kwargs, einfo)


def _count_delivery(task_id: str, name: str, retries: int) -> int:
    """One more delivery of this task at this retry, committed before the task body runs."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                row, created = TaskDelivery.objects.select_for_update().get_or_create(
                    task_id=task_id, defaults={"name": name[:255], "retries": retries}
                )
        except IntegrityError:  # the same task delivered twice at once: the other made the row
            row, created = TaskDelivery.objects.select_for_update().get(task_id=task_id), False
        if not created and row.retries != retries:
            row.retries, row.deliveries = retries, 0  # a retry is a new message, counted anew
        row.deliveries += 1
        row.state = TaskDelivery.State.RUNNING
        row.save(update_fields=["retries", "deliveries", "state", "last_seen"])
        return row.deliveries


def _record_failure(task_id: str, error: str) -> None:
    TaskDelivery.objects.filter(task_id=task_id).update(
        state=TaskDelivery.State.FAILED, error=mask_id_numbers_in_text(error)[:300]
    )


def _prune_deliveries(*, days: int = 30) -> int:
    from django.utils import timezone

    old = timezone.now() - dt.timedelta(days=days)
    return TaskDelivery.objects.filter(last_seen__lt=old).delete()[0]


@shared_task
def task_deliveries_prune() -> int:
    return _prune_deliveries()


@shared_task
def private_orphans_sweep() -> int:
    """Uploads left behind by a rolled-back transaction or a crash (core/uploads.py)."""
    from .uploads import private_orphans_sweep as sweep

    return sweep()


# --- the transactional outbox (core/outbox.py) -------------------------------------------------


@shared_task
def outbox_deliver(row_id: int, attempts: int) -> str:
    """Run one outbox row, handed out for its attempt number `attempts` (the fast path after
    commit or the relay): a second hand-over of the same attempt finds it claimed."""
    from .outbox import outbox_run

    return outbox_run(row_id=row_id, attempts=attempts)


@shared_task(ignore_result=True)
def outbox_relay() -> int:
    """Every few seconds (config/celery.py): due rows to the workers, lost ones again."""
    from .outbox import outbox_relay as relay

    return relay()


@shared_task
def outbox_prune() -> int:
    """Nightly (config/celery.py): done rows after a day, failed ones after 30 days."""
    from .outbox import outbox_prune as prune

    return prune()
