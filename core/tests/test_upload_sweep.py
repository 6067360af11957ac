"""Stored uploads that no row names (their transaction rolled back, their process died) are
deleted by the nightly sweep once they are an hour old; a file in use, a younger file and
anything under PRIVATE_MEDIA_ROOT that store_private did not make are never touched. The
rolled-back uploads of real actions: documents/tests and feedback/tests (test_upload_sweep.py)."""

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.functional import empty

from config.celery import app
from core.tasks import private_orphans_sweep as sweep_task
from core.uploads import (
    CheckedUpload,
    private_file_fields,
    private_orphans_sweep,
    private_storage,
    store_private,
)

pytestmark = pytest.mark.django_db
LATER = dt.timedelta(hours=2)


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    private_storage._wrapped = empty
    yield tmp_path
    private_storage._wrapped = empty


def stored(folder: str = "mailbox") -> str:
    return store_private(
        CheckedUpload(kind="pdf", content=b"%PDF-1.7 test", original_name="a.pdf"), folder=folder
    )


def test_an_hour_old_file_no_row_names_is_deleted_and_a_younger_one_kept():
    old, fresh = stored(), stored("documents/12")
    now = timezone.now()
    assert private_orphans_sweep(now=now + dt.timedelta(minutes=30)) == 0
    assert private_storage.exists(old) and private_storage.exists(fresh)
    assert private_orphans_sweep(now=now + LATER) == 2
    assert not private_storage.exists(old) and not private_storage.exists(fresh)


def test_files_store_private_did_not_make_are_never_touched(private_root):
    (private_root / "signing").mkdir()
    key = private_root / "signing" / "qr-ed25519.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----")
    (private_root / "notes.pdf").write_bytes(b"%PDF-1.7")
    assert private_orphans_sweep(now=timezone.now() + dt.timedelta(days=30)) == 0
    assert key.exists() and (private_root / "notes.pdf").exists()


def test_no_private_root_yet_is_nothing_to_sweep(settings, private_root):
    settings.PRIVATE_MEDIA_ROOT = private_root / "not-made-yet"
    private_storage._wrapped = empty
    assert private_orphans_sweep() == 0


def test_the_fields_that_name_files_are_found_on_the_models():
    found = {f"{model._meta.label}.{name}" for model, name in private_file_fields()}
    assert {
        "documents.RequestMaterial.file",
        "documents.Certificate.pdf",
        "feedback.MailboxItem.attachment",
    } <= found


def test_the_sweep_runs_every_night_from_the_static_beat_schedule():
    entries = [e for e in app.conf.beat_schedule.values() if e["task"] == sweep_task.name]
    assert len(entries) == 1
    assert sweep_task.name == "core.tasks.private_orphans_sweep"
