"""Audit entries are purged after RETENTION["AUDIT_DAYS"] only through a sealed purge entry
(accounts.audit_seal.audit_purge_before): `verify_audit` still passes, and still catches any
other cut, and any purge entry that is not a legitimate one."""

import datetime as dt
import io
import json

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from accounts import tasks
from accounts.actions import audit_purge_before, audit_record, audit_seal
from accounts.models import AuditAction, AuditBatch, AuditEntry
from accounts.selectors.audit import audit_trail_verify

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="needs PostgreSQL (the append-only trigger)"
)
START = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)


def at(day: int):
    return time_machine.travel(START + dt.timedelta(days=day), tick=False)


def entries_on(days: list[int]) -> list[AuditEntry]:
    """One entry a day, each sealed that day: one batch per day."""
    made = []
    for day in days:
        with at(day):
            made.append(
                audit_record(
                    actor=None, action=AuditAction.SIGN_IN, object_label=f"day {day}",
                    details={"day": day},
                )
            )  # fmt: skip
            audit_seal(wait=0)
    return made


def kept_days() -> list[int]:
    entries = AuditEntry.objects.exclude(action=AuditAction.PURGE).order_by("id")
    return [e.details["day"] for e in entries]


def verify() -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("verify_audit", stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


def as_superuser(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # past the trigger
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_entries_older_than_the_period_go_through_a_sealed_purge_entry():
    made = entries_on([0, 10, 20, 400, 800])
    with at(1110):
        result = tasks.retention_apply()  # AUDIT_DAYS = 1095: days 0 and 10 are past it
    assert result["audit_entries_purged"] == 2
    assert kept_days() == [20, 400, 800]
    purge = AuditEntry.objects.get(action=AuditAction.PURGE)
    assert purge.details["through_id"] == made[1].pk and purge.details["through_batch"] == 2
    # The purge entry is itself sealed, and every batch stays: the chain of heads is whole.
    assert AuditBatch.objects.filter(first_id__lte=purge.pk, last_id__gte=purge.pk).exists()
    assert AuditBatch.objects.count() == 6
    ok, output = verify()
    assert ok and f"purged through entry {made[1].pk}" in output


def test_purging_again_is_idempotent_and_later_purges_go_further():
    entries_on([0, 10, 400])
    with at(1100):
        assert audit_purge_before(cutoff=START + dt.timedelta(days=5)) == 1
        assert audit_purge_before(cutoff=START + dt.timedelta(days=5)) == 0  # nothing more
    assert AuditEntry.objects.filter(action=AuditAction.PURGE).count() == 1
    with at(1600):
        assert audit_purge_before(cutoff=START + dt.timedelta(days=500)) == 2
    assert kept_days() == []
    assert audit_trail_verify().ok


def test_a_cut_off_inside_the_retention_period_is_refused():
    entries_on([0, 10])
    with at(100), pytest.raises(ValueError, match="kept"):
        audit_purge_before(cutoff=START + dt.timedelta(days=50))
    assert kept_days() == [0, 10]


def test_only_sealed_batches_are_purged():
    entries_on([0])
    with at(1):
        audit_record(actor=None, action=AuditAction.SIGN_IN, details={"day": 1})  # not sealed
    with at(2000):
        # Whole sealed batches only: the day-1 entry, not sealed when the purge was decided,
        # is sealed with the purge entry itself, and stays.
        removed = audit_purge_before(cutoff=START + dt.timedelta(days=500))
    assert removed == 1 and kept_days() == [1]
    assert audit_trail_verify().ok


def test_cutting_the_start_without_a_purge_is_detected():
    made = entries_on([0, 10, 20])
    as_superuser("DELETE FROM accounts_auditentry WHERE id = %s", [made[0].pk])
    report = audit_trail_verify()
    assert not report.ok and f"entry id={made[0].pk}" in report.where
    assert "missing" in report.reason


def test_a_purge_entry_forged_through_the_application_is_named():
    """Someone who can write entries (or INSERT rows) writes a purge of recent entries; the
    sealer seals it like any entry, and verify_audit names it."""
    made = entries_on([1000, 1001])
    with at(1002):
        forged = audit_record(
            actor=None, action=AuditAction.PURGE, obj=AuditEntry,
            details={"through_id": made[1].pk, "through_batch": 2,
                     "before": (START + dt.timedelta(days=1002)).isoformat()},
        )  # fmt: skip
        audit_seal(wait=0)
        assert audit_purge_before(cutoff=START - dt.timedelta(days=1000)) == 0  # not honoured
        assert kept_days() == [1000, 1001]
        as_superuser("DELETE FROM accounts_auditentry WHERE id <= %s", [made[1].pk])
        report = audit_trail_verify()
    assert not report.ok and f"entry id={forged.pk}" in report.where
    assert "younger than" in report.reason


def test_a_legitimate_purge_entry_edited_to_reach_further_is_named():
    made = entries_on([0, 10, 900])
    with at(1110):
        audit_purge_before(cutoff=START + dt.timedelta(days=15))
        purge = AuditEntry.objects.get(action=AuditAction.PURGE)
        details = {**purge.details, "through_id": made[2].pk, "through_batch": 3}
        as_superuser(
            "UPDATE accounts_auditentry SET details = %s WHERE id = %s",
            [json.dumps(details), purge.pk],
        )
        report = audit_trail_verify()
    assert not report.ok and f"entry id={purge.pk}" in report.where
    assert "changed" in report.reason


@on_postgres
def test_postgresql_deletes_only_what_a_sealed_legitimate_purge_covers():
    made = entries_on([0, 10, 1000])
    for sql, params in (
        ("DELETE FROM accounts_auditentry WHERE id = %s", [made[0].pk]),
        # The old way in: a session setting. It opens nothing now.
        ("SELECT set_config('onewindow.audit_purge_through', '999999', true)", []),
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, params)
            cursor.execute("DELETE FROM accounts_auditentry WHERE id = %s", [made[0].pk])
    with at(1120):
        # A purge entry that is not sealed yet opens nothing either.
        audit_record(
            actor=None, action=AuditAction.PURGE, obj=AuditEntry,
            details={"through_id": made[1].pk, "through_batch": 2,
                     "before": (START + dt.timedelta(days=15)).isoformat()},
        )  # fmt: skip
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM accounts_auditentry WHERE id = %s", [made[0].pk])
        audit_seal(wait=0)
        # Sealed, it opens exactly the batches it covers, not the newer one.
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM accounts_auditentry WHERE id = %s", [made[2].pk])
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM accounts_auditentry WHERE id <= %s", [made[1].pk])
    assert kept_days() == [1000]
    assert audit_trail_verify().ok


@on_postgres
def test_postgresql_refuses_a_purge_of_entries_younger_than_six_months():
    made = entries_on([0, 10])
    with at(20):
        audit_record(
            actor=None, action=AuditAction.PURGE, obj=AuditEntry,
            details={"through_id": made[0].pk, "through_batch": 1,
                     "before": (START + dt.timedelta(days=5)).isoformat()},
        )  # fmt: skip
        audit_seal(wait=0)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM accounts_auditentry WHERE id = %s", [made[0].pk])


def test_a_malformed_purge_entry_blocks_no_purge_and_is_named():
    made = entries_on([0, 10, 1000])
    with at(1050):
        junk = audit_record(
            actor=None, action=AuditAction.PURGE, obj=AuditEntry,
            details={"through_id": "all", "before": "yesterday"},
        )  # fmt: skip
        audit_seal(wait=0)
    with at(1120):
        assert audit_purge_before(cutoff=START + dt.timedelta(days=15)) == 2
    assert kept_days() == [1000]
    report = audit_trail_verify()
    assert not report.ok and f"entry id={junk.pk}" in report.where
    assert "malformed" in report.reason
    assert made[2].pk in set(AuditEntry.objects.values_list("id", flat=True))
