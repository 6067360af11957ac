"""core.rows' UPDATE beside its INSERTs (rows_insert's `updates`): what save(update_fields=…)
writes, in the same statement on PostgreSQL, and nothing at all when the row is gone."""

import datetime as dt

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from core.models import OutboxMessage
from core.rows import rows_insert

pytestmark = pytest.mark.django_db


def _row(key: str, **fields) -> OutboxMessage:
    return OutboxMessage.objects.create(
        task="core.tasks.noop", key=key, available_at=timezone.now(), **fields
    )


def test_the_named_fields_are_saved_and_the_rows_inserted():
    row = _row("changed", last_error="kept as it was in the database")
    row.status, row.attempts = OutboxMessage.Status.RUNNING, 2
    row.last_error = "not among the saved fields"
    new = OutboxMessage(task="core.tasks.noop", key="new", available_at=timezone.now())
    with transaction.atomic():
        assert rows_insert((new, "key"), updates=[(row, ["status", "attempts", "updated_at"])])
    saved = OutboxMessage.objects.get(pk=row.pk)
    assert (saved.status, saved.attempts) == ("running", 2)
    assert saved.last_error == "kept as it was in the database"
    assert timezone.now() - saved.updated_at < dt.timedelta(seconds=5)  # auto_now, as save()
    assert OutboxMessage.objects.get(pk=new.pk).key == "new"


def test_a_row_gone_raises_and_nothing_is_written():
    row = _row("gone")
    OutboxMessage.objects.filter(pk=row.pk).delete()
    row.status = OutboxMessage.Status.DONE
    new = OutboxMessage(task="core.tasks.noop", key="not-written", available_at=timezone.now())
    with pytest.raises(DatabaseError), transaction.atomic():
        rows_insert((new, "key"), updates=[(row, ["status"])])
    assert not OutboxMessage.objects.filter(key="not-written").exists()
