"""The transactional outbox: every side effect of a write (SMS and e-mail, a PDF, an offer, an
invitation, a digest) is a row of `core.OutboxMessage` written in the write's own transaction,
then carried out by a worker at least once.

    with transaction.atomic():
        booking = ...
        outbox_enqueue("appointments.tasks.booking_notify", booking.pk, "confirmed",
                       key=f"{booking.pk}:confirmed")

The task is named, not imported: actions schedule work here and never import their app's
tasks (tasks call actions; import-linter holds that line, pyproject.toml).

- The row commits or rolls back with the change: no side effect of a rolled-back write, no
  write without its side effect.
- Where Celery is eager (the embedded default, tests) a fast path runs the row right after the
  commit, as before. In production (OUTBOX_HAND_OVER_AFTER_COMMIT off) the request never talks
  to the broker: the relay hands the row out within its period (2 s). With the fast path on
  and the broker down, the hand-over fails quietly: the row stays pending.
- The relay (`outbox_relay`, beat every few seconds) hands every due row to the workers:
  pending rows past `available_at`, and rows whose worker died (lease expired). On PostgreSQL
  relays running at once skip each other's rows (FOR UPDATE SKIP LOCKED).
- The runner (`outbox_run`, in the worker) claims the row with a conditional UPDATE carrying
  the attempt number it was handed out for, so a row handed out twice runs once; it holds a
  lease of OUTBOX_LEASE_SECONDS, runs the Celery task named by the row in-process and marks the
  row done. A failure is retried with exponential back-off until OUTBOX_MAX_ATTEMPTS, then the
  row stops as failed (admin "Outbox entries", `manage.py outbox_status`, /readyz warnings).
- Consumers are idempotent anyway (a lease can expire under a slow worker): while a row runs,
  `outbox_current_key()` names it, and notifications.actions.message_send derives from it a
  dedupe key, so an SMS or e-mail goes out once however often its row runs.

Written here rather than taken from a library: see docs/deploy.md, "The outbox".
"""

import contextvars
import datetime as dt
import json
import logging
import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from .crypto import decrypt_text, encrypt_text
from .logging import mask_id_numbers_in_text
from .models import OutboxMessage
from .rows import row_insert

logger = logging.getLogger(__name__)
Status = OutboxMessage.Status
Dispatch = Callable[[int, int], None]

_current_key: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "outbox_key", default=None
)


class NotInTransaction(RuntimeError):
    """outbox_enqueue outside the atomic block of the change it belongs to."""


# --- writing: in the caller's transaction -----------------------------------------------------


def outbox_enqueue(
    task: Any, *args: Any, key: str = "", secret_args: Sequence[str] = ()
) -> OutboxMessage | None:
    """Record that `task(*args, *secret_args)` must run once this transaction commits. `task`
    is the Celery task's name ("appointments.tasks.booking_notify"; a task object is accepted).

    `key` (optional) makes the side effect unique: a second enqueue with the same task and key
    is ignored (None is returned). `secret_args` are stored encrypted and dropped when done."""
    row = outbox_row_new(task, *args, key=key, secret_args=secret_args)
    # One plain INSERT … ON CONFLICT DO NOTHING: a duplicate key changes nothing and needs no
    # savepoint to keep the change's transaction usable (this runs inside every booking).
    if not row_insert(row, ignore_conflict_on="key"):
        return None
    outbox_row_written(row)
    return row


def outbox_row_new(
    task: Any, *args: Any, key: str = "", secret_args: Sequence[str] = ()
) -> OutboxMessage:
    """outbox_enqueue's row, not yet inserted. The caller inserts it in the change's
    transaction (core.rows, with `ignore_conflict_on="key"`), then calls outbox_row_written if
    it was inserted: outbox_enqueue in two halves, for a row written in one statement with
    others."""
    if not transaction.get_connection().in_atomic_block:
        raise NotInTransaction("outbox_enqueue() belongs inside the change's transaction.atomic()")
    name = getattr(task, "name", task)
    hand_over = settings.OUTBOX_HAND_OVER_AFTER_COMMIT
    return OutboxMessage(
        task=name,
        key=f"{name}|{key}" if key else f"{name}|{uuid.uuid4().hex}",
        args=json.loads(json.dumps(list(args))),  # fails here, not in the worker
        secret_args=encrypt_text(json.dumps(list(secret_args))) if secret_args else "",
        # Handed over at commit: not due for the relay before the grace; else due at once.
        available_at=timezone.now() + (_seconds("OUTBOX_DISPATCH_GRACE_SECONDS") * hand_over),
    )


def outbox_row_written(row: OutboxMessage) -> None:
    """After outbox_row_new's row was inserted: the fast path's hand-over at commit, if on."""
    if settings.OUTBOX_HAND_OVER_AFTER_COMMIT:
        transaction.on_commit(partial(_hand_over, row.pk), robust=True)


def _hand_over(row_id: int) -> None:
    """The fast path, after commit: best effort, the relay catches whatever this misses."""
    try:
        _dispatch(row_id, 0)
    except Exception as exc:  # noqa: BLE001 - broker down or slow: the row waits for the relay
        logger.warning("outbox #%s left for the relay: %s", row_id, type(exc).__name__)


def _dispatch(row_id: int, attempts: int) -> None:
    """Send the row to the workers, failing within a second when the broker is unreachable
    (kombu's default would retry for about 6 s, inside the resident's request)."""
    outbox_deliver = _task("core.tasks.outbox_deliver")
    app = outbox_deliver.app
    if app.conf.task_always_eager:  # the embedded default: run it here and now
        outbox_deliver.apply_async((row_id, attempts))
        return
    with app.pool.acquire(block=True, timeout=1) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=1)
        outbox_deliver.apply_async((row_id, attempts), connection=conn, retry=False)


# --- the relay: beat, every few seconds --------------------------------------------------------


def outbox_relay(*, now: dt.datetime | None = None, dispatch: Dispatch | None = None) -> int:
    """Hand every due row to the workers; returns how many were handed out. A row handed out
    is not due again for OUTBOX_DISPATCH_GRACE_SECONDS, so a busy queue is not flooded."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(_due(now))
            .order_by("available_at")
            .values_list("pk", "attempts")[: settings.OUTBOX_RELAY_BATCH]
        )
        worn = {pk for pk, attempts in due if attempts >= settings.OUTBOX_MAX_ATTEMPTS}
        OutboxMessage.objects.filter(pk__in=worn).update(
            status=Status.FAILED, locked_until=None, updated_at=now,
            last_error=f"the worker was lost on each of {settings.OUTBOX_MAX_ATTEMPTS} attempts",
        )  # fmt: skip
        handed = [(pk, attempts) for pk, attempts in due if pk not in worn]
        OutboxMessage.objects.filter(pk__in=[pk for pk, _a in handed]).update(
            status=Status.PENDING, locked_until=None, updated_at=now,
            available_at=now + _seconds("OUTBOX_DISPATCH_GRACE_SECONDS"),
        )  # fmt: skip
    return _send(handed, dispatch or _dispatch)


def _due(now: dt.datetime) -> Q:
    return Q(status=Status.PENDING, available_at__lte=now) | Q(
        status=Status.RUNNING, locked_until__lt=now
    )


def _send(rows: list[tuple[int, int]], dispatch: Dispatch) -> int:
    for sent, (pk, attempts) in enumerate(rows):
        try:
            dispatch(pk, attempts)
        except Exception as exc:  # noqa: BLE001 - the broker is down: try again next run
            logger.warning("outbox relay stopped after %s rows: %s", sent, type(exc).__name__)
            return sent
    return len(rows)


# --- the runner: in the worker -----------------------------------------------------------------


def outbox_run(*, row_id: int, attempts: int) -> str:
    """Claim the row for the attempt it was handed out for, run its task, record the outcome.
    Returns "done", "retry", "failed" or "skipped" (done already, or claimed by another)."""
    now = timezone.now()
    claimed = (
        OutboxMessage.objects.filter(pk=row_id, attempts=attempts)
        .filter(Q(status=Status.PENDING) | Q(status=Status.RUNNING, locked_until__lt=now))
        .update(
            status=Status.RUNNING, attempts=attempts + 1, updated_at=now,
            locked_until=now + _seconds("OUTBOX_LEASE_SECONDS"),
        )  # fmt: skip
    )
    if not claimed:
        return "skipped"
    row = OutboxMessage.objects.get(pk=row_id)
    mine = OutboxMessage.objects.filter(pk=row_id, attempts=attempts + 1, status=Status.RUNNING)
    try:
        with _running(row.key):
            _task(row.task)(*row.args, *_secrets(row))
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        return _record_failure(mine, row, exc)
    mine.update(
        status=Status.DONE, locked_until=None, secret_args="", last_error="",
        updated_at=timezone.now(),
    )  # fmt: skip
    return "done"


def outbox_current_key() -> str | None:
    """The key of the outbox row whose task is running in this context, if any."""
    return _current_key.get()


@contextmanager
def _running(key: str) -> Iterator[None]:
    token = _current_key.set(key)
    try:
        yield
    finally:
        _current_key.reset(token)


def _task(name: str) -> Any:
    from celery import current_app

    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


def _secrets(row: OutboxMessage) -> list:
    return json.loads(decrypt_text(row.secret_args)) if row.secret_args else []


def _record_failure(mine: QuerySet, row: OutboxMessage, exc: Exception) -> str:
    error = mask_id_numbers_in_text(f"{type(exc).__name__}: {exc}")[:300]
    now = timezone.now()
    attempts = row.attempts
    if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        mine.update(status=Status.FAILED, locked_until=None, last_error=error, updated_at=now)
        logger.error("outbox #%s %s failed for good: %s", row.pk, row.task, type(exc).__name__)
        return "failed"
    mine.update(
        status=Status.PENDING, locked_until=None, last_error=error, updated_at=now,
        available_at=now + backoff(attempts),
    )  # fmt: skip
    logger.warning("outbox #%s %s attempt %s failed: %s", row.pk, row.task, attempts,
                   type(exc).__name__)  # fmt: skip
    return "retry"


def backoff(attempts: int) -> dt.timedelta:
    """After the n-th failed attempt: base × 2^(n-1), at most the maximum, with jitter (the
    upper half), so rows failing together do not come back at the same second."""
    ceiling = min(
        settings.OUTBOX_BACKOFF_SECONDS * 2 ** (attempts - 1), settings.OUTBOX_BACKOFF_MAX_SECONDS
    )
    return dt.timedelta(seconds=ceiling * random.uniform(0.5, 1.0))  # noqa: S311 - not secret


# --- upkeep and the operator's view -------------------------------------------------------------


def outbox_prune(*, now: dt.datetime | None = None) -> int:
    """Nightly: done rows after OUTBOX_KEEP_DONE_HOURS, failed after OUTBOX_KEEP_FAILED_DAYS."""
    now = now or timezone.now()
    old = Q(status=Status.DONE, updated_at__lt=now - _seconds("OUTBOX_KEEP_DONE_HOURS", 3600)) | Q(
        status=Status.FAILED, updated_at__lt=now - _seconds("OUTBOX_KEEP_FAILED_DAYS", 86400)
    )
    removed = 0
    while ids := list(OutboxMessage.objects.filter(old).values_list("pk", flat=True)[:1000]):
        removed += OutboxMessage.objects.filter(pk__in=ids).delete()[0]
    return removed


def outbox_summary(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """Counts by status and the age in seconds of the oldest unfinished row (pending or
    running, due or backing off), None when there is none."""
    now = now or timezone.now()
    counts = dict(
        OutboxMessage.objects.values_list("status").annotate(n=Count("pk")).values_list(
            "status", "n"
        )
    )
    unfinished = OutboxMessage.objects.filter(status__in=[Status.PENDING, Status.RUNNING])
    oldest = unfinished.aggregate(oldest=Min("created_at"))["oldest"]
    due = OutboxMessage.objects.filter(_due(now)).count()
    return {
        **{status: counts.get(status, 0) for status in Status.values},
        "due": due,
        "oldest_age": round((now - oldest).total_seconds()) if oldest else None,
    }


def _seconds(name: str, unit: int = 1) -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, name) * unit)
