"""Actions name the task an outbox row runs (`outbox_enqueue("app.tasks.name", …)`) instead of
importing their app's tasks (tasks call actions, never the other way: pyproject.toml's
import-linter contracts). A misspelt name would only fail in the worker, after the commit: every
name written in the sources must be a registered Celery task."""

import re
from pathlib import Path

from celery import current_app

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".venv", "tests", "e2e", "bench", "node_modules", "staticfiles"}
NAMED = re.compile(r'outbox_enqueue\(\s*"([\w.]+)"')


def named_tasks() -> dict[str, str]:
    found = {}
    for path in ROOT.rglob("*.py"):
        if SKIP & set(path.relative_to(ROOT).parts):
            continue
        for match in NAMED.finditer(path.read_text(encoding="utf-8")):
            found[match.group(1)] = path.relative_to(ROOT).as_posix()
    return found


def test_every_task_an_action_names_for_the_outbox_is_registered():
    current_app.loader.import_default_modules()
    names = named_tasks()
    assert "appointments.tasks.booking_notify" in names  # the scan reads the sources
    unknown = {name: where for name, where in names.items() if name not in current_app.tasks}
    assert unknown == {}
