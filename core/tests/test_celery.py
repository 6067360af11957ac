"""Celery reliability: tasks leave only through the outbox (core/outbox.py), and a task that keeps
killing its worker stops after CELERY_TASK_MAX_DELIVERIES deliveries (core/tasks.py). The same,
with a real worker process, in tests/test_worker_kill.py; a task sent from a rolled-back
transaction in tests/test_on_commit.py."""

import ast
from pathlib import Path

import pytest
from celery.exceptions import Reject
from django.conf import settings

from config.celery import app
from core.models import TaskDelivery
from core.tasks import ReliableTask, task_deliveries_prune

ROOT = Path(settings.BASE_DIR)
SKIP_DIRS = {".venv", "venv", "node_modules", "staticfiles", "media", ".git", "__pycache__"}


FROM_A_WORKER = {"is_eager": False, "called_directly": False}


def test_every_task_of_the_project_has_the_reliable_base_class():
    app.loader.import_default_modules()
    ours = [t for name, t in app.tasks.items() if not name.startswith("celery.")]
    assert len(ours) >= 10
    for task in ours:
        assert isinstance(task, ReliableTask), task.name
        assert task.acks_late and task.reject_on_worker_lost, task.name


def test_tasks_that_talk_to_the_outside_retry_a_bounded_number_of_times_with_backoff():
    app.loader.import_default_modules()
    for name in ("appointments.tasks.booking_notify", "appointments.tasks.waiting_notify",
                 "queues.tasks.queue_notify_near_front"):  # fmt: skip
        task = app.tasks[name]
        assert 0 < task.max_retries <= 5, name
        assert task.retry_backoff and task.retry_jitter and task.retry_backoff_max <= 600, name
    # Redis hands an unacknowledged task to another worker after the visibility timeout: it must
    # outlast the longest run plus the longest countdown a worker may hold.
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert timeout > settings.CELERY_TASK_TIME_LIMIT + 600


SENDERS = ("delay", "apply_async", "delay_on_commit", "apply_async_on_commit", "send_task")


def _enqueue_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in SENDERS
    ]


def test_every_task_is_sent_through_the_outbox():
    """No `.delay()`/`.apply_async()` (nor on_commit around them) outside core/outbox.py: a
    side effect is an outbox row written in its change's transaction (`outbox_enqueue`), or a
    broker down at commit time loses it for good."""
    sources = [
        p for p in ROOT.rglob("*.py")
        if not SKIP_DIRS & set(p.relative_to(ROOT).parts) and "tests" not in p.parts
        and p.parts[len(ROOT.parts)] not in ("bench", "e2e", "deploy")
    ]  # fmt: skip
    assert len(sources) > 50
    offenders = [hit for path in sources for hit in _enqueue_calls(path)]
    assert {hit.partition(":")[0] for hit in offenders} == {"core/outbox.py"}, offenders


def test_the_checker_finds_a_delay(tmp_path, monkeypatch):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from django.db import transaction\n"
        "def f(t):\n"
        "    t.delay(1)\n"
        "    transaction.on_commit(lambda: t.delay(2))\n"
    )
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert _enqueue_calls(bad) == ["bad.py:3", "bad.py:4"]


@pytest.mark.django_db
def test_a_task_delivered_once_too_often_is_refused_and_recorded_as_failed(settings):
    """Without a worker: the same task id handed over again and again, as Redis does after each
    worker death (the body of this harmless task stands in for the one that kills its worker)."""
    settings.CELERY_TASK_MAX_DELIVERIES = 3
    task_deliveries_prune.push_request(id="poison-1", retries=0, **FROM_A_WORKER)
    try:
        for delivery in (1, 2, 3):
            task_deliveries_prune()
            assert TaskDelivery.objects.get(task_id="poison-1").deliveries == delivery
        with pytest.raises(Reject) as refused:
            task_deliveries_prune()
    finally:
        task_deliveries_prune.pop_request()
    assert refused.value.requeue is False
    row = TaskDelivery.objects.get(task_id="poison-1")
    assert row.state == TaskDelivery.State.FAILED
    assert row.name == "core.tasks.task_deliveries_prune"
    assert "poison message" in row.error


@pytest.mark.django_db
def test_a_retry_is_counted_afresh(settings):
    settings.CELERY_TASK_MAX_DELIVERIES = 2
    for retries in (0, 1, 2):
        task_deliveries_prune.push_request(id="retried-1", retries=retries, **FROM_A_WORKER)
        try:
            task_deliveries_prune()
            task_deliveries_prune()
        finally:
            task_deliveries_prune.pop_request()
    row = TaskDelivery.objects.get(task_id="retried-1")
    assert (row.retries, row.deliveries, row.state) == (2, 2, TaskDelivery.State.RUNNING)
