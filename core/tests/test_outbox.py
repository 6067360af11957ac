"""The transactional outbox (core/outbox.py) in one process: rows written with their change,
handed out at least once, run once per hand-out, retried with back-off then failed, and seen by
the operator. A booking's confirmation run twice: tests/test_outbox_consumers.py; real worker
processes, a dead broker and a SIGKILL: tests/test_outbox_faults.py."""

import datetime as dt
import io
import json

import pytest
from celery import shared_task
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from core.models import OutboxMessage
from core.outbox import (
    NotInTransaction,
    backoff,
    outbox_enqueue,
    outbox_prune,
    outbox_relay,
    outbox_run,
)

pytestmark = pytest.mark.django_db
LATER = dt.timedelta(minutes=1)
RAN: list[str] = []


@shared_task(name="core.tests.test_outbox.records")
def records(word: str, secret: str = "") -> None:
    RAN.append(word + secret)


@shared_task(name="core.tests.test_outbox.fails")
def fails() -> None:
    raise OSError("gateway refused the holder 110101199003077777")


@pytest.fixture(autouse=True)
def _clean():
    RAN.clear()


def enqueue(task, *args, **kwargs) -> OutboxMessage | None:
    with transaction.atomic():
        return outbox_enqueue(task, *args, **kwargs)


@pytest.mark.django_db(transaction=True)
def test_a_side_effect_belongs_inside_its_change_s_transaction():
    with pytest.raises(NotInTransaction):
        outbox_enqueue(records, "x")
    assert not OutboxMessage.objects.exists() and RAN == []


def test_the_same_key_twice_keeps_one_row_and_the_change():
    with transaction.atomic():
        first = outbox_enqueue(records, "x", key="k")
        assert outbox_enqueue(records, "x", key="k") is None
    assert first is not None and OutboxMessage.objects.count() == 1


def test_after_the_commit_the_fast_path_runs_it_at_once_in_the_embedded_default(
    django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        row = enqueue(records, "now")
    row.refresh_from_db()
    assert RAN == ["now"] and (row.status, row.attempts) == ("done", 1)


def test_a_row_handed_out_twice_runs_once():
    row = enqueue(records, "once")
    assert [outbox_run(row_id=row.pk, attempts=0) for _ in range(2)] == ["done", "skipped"]
    assert outbox_relay(now=timezone.now() + LATER) == 0  # done: nothing due
    assert RAN == ["once"]


def test_a_worker_lost_on_every_attempt_ends_as_failed(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    row = enqueue(records, "x")
    OutboxMessage.objects.filter(pk=row.pk).update(
        status="running", attempts=2, locked_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert outbox_relay() == 0
    row.refresh_from_db()
    assert row.status == "failed" and "lost" in row.last_error and RAN == []


def test_failures_back_off_then_stop_as_failed_and_the_operator_sees_them(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    row = enqueue(fails)
    outcomes, waits = [], []
    for attempt in range(3):
        outcomes.append(outbox_run(row_id=row.pk, attempts=attempt))
        row.refresh_from_db()
        waits.append((row.available_at - timezone.now()).total_seconds())
        assert outbox_relay() == 0  # backing off: not due yet
        OutboxMessage.objects.filter(pk=row.pk).update(available_at=timezone.now())
    assert outcomes == ["retry", "retry", "failed"]
    assert 4 < waits[0] <= 10 and 9 < waits[1] <= 20  # 10 s then 20 s, with jitter
    assert row.status == "failed" and row.attempts == 3
    assert "110101" not in row.last_error and "OSError: gateway refused" in row.last_error
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("outbox_status", stdout=out)
    assert "failed 1" in out.getvalue() and f"failed #{row.pk} core.tests" in out.getvalue()


def test_backoff_doubles_up_to_its_ceiling(settings):
    settings.OUTBOX_BACKOFF_SECONDS, settings.OUTBOX_BACKOFF_MAX_SECONDS = 10, 600
    assert 5 <= backoff(1).total_seconds() <= 10
    assert 40 <= backoff(4).total_seconds() <= 80
    assert 300 <= backoff(12).total_seconds() <= 600


def test_secret_arguments_rest_encrypted_and_go_when_done():
    row = enqueue(records, "code:", secret_args=["428193"])
    assert "428193" not in row.secret_args + json.dumps(row.args)
    outbox_run(row_id=row.pk, attempts=0)
    row.refresh_from_db()
    assert RAN == ["code:428193"] and row.secret_args == ""


def test_the_operator_sees_a_late_outbox_in_status_and_readyz(client, settings):
    settings.OUTBOX_WARN_AGE_SECONDS = 60
    enqueue(records, "x")
    out = io.StringIO()
    call_command("outbox_status", stdout=out)  # fresh: all well
    assert "pending 1" in out.getvalue()
    assert "warnings" not in client.get("/readyz").json()
    OutboxMessage.objects.update(created_at=timezone.now() - dt.timedelta(minutes=5))
    response = client.get("/readyz")
    assert response.status_code == 200  # a warning, not a reason to leave the load balancer
    assert "300 s old" in response.json()["warnings"]["outbox"]
    with pytest.raises(CommandError):
        call_command("outbox_status", stdout=io.StringIO())


def test_done_rows_are_pruned_after_a_day_failed_ones_kept_longer():
    done, failed, pending = (enqueue(records, word) for word in "abc")
    OutboxMessage.objects.filter(pk=done.pk).update(status="done")
    OutboxMessage.objects.filter(pk=failed.pk).update(status="failed")
    assert outbox_prune(now=timezone.now() + dt.timedelta(hours=25)) == 1
    assert outbox_prune(now=timezone.now() + dt.timedelta(days=31)) == 1
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [pending.pk]
