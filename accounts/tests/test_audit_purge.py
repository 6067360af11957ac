"""Audit entries are purged after RETENTION["AUDIT_DAYS"] (accounts.audit.audit_purge_before)
without breaking the chain: `verify_audit` still passes, and still catches any other cut."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts import tasks
from accounts.actions import audit_purge_before, audit_record
from accounts.models import AuditAction, AuditEntry, AuditHead
from accounts.selectors_audit import audit_chain_verify

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="needs PostgreSQL (the append-only trigger)"
)
START = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)


def entries_on(days: list[int]) -> list[AuditEntry]:
    made = []
    for day in days:
        with time_machine.travel(START + dt.timedelta(days=day), tick=False):
            made.append(
                audit_record(
                    actor=None, action=AuditAction.SIGN_IN, object_label=f"day {day}",
                    details={"day": day},
                )
            )  # fmt: skip
    return made


def seqs() -> list[int]:
    return list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))


def raw_sql(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # past the trigger
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_entries_older_than_the_period_go_and_the_chain_still_verifies(settings):
    entries_on([0, 10, 20, 400, 800])
    with time_machine.travel(START + dt.timedelta(days=1110), tick=False):
        result = tasks.retention_apply()  # AUDIT_DAYS = 1095: days 0 and 10 are past it
    assert result["audit_entries_purged"] == 2
    kept = AuditEntry.objects.exclude(action=AuditAction.PURGE)
    assert sorted(e.details["day"] for e in kept) == [20, 400, 800]
    purge = AuditEntry.objects.get(action=AuditAction.PURGE)
    assert purge.details["through_seq"] == 2 and purge.details["count"] == 2
    head = AuditHead.objects.get()
    assert (head.anchor_seq, head.anchor_hash) == (2, purge.details["through_hash"])
    assert audit_chain_verify().ok
    call_command("verify_audit")  # exits 0


def test_purging_again_later_moves_the_anchor_and_is_idempotent():
    entries_on([0, 10, 400])
    with time_machine.travel(START + dt.timedelta(days=450), tick=False):
        assert audit_purge_before(cutoff=START + dt.timedelta(days=5)) == 1
        assert audit_purge_before(cutoff=START + dt.timedelta(days=5)) == 0  # nothing more
    assert AuditEntry.objects.filter(action=AuditAction.PURGE).count() == 1
    with time_machine.travel(START + dt.timedelta(days=1000), tick=False):
        # Everything is older than the cut-off, but the newest entry (the first purge's) stays.
        assert audit_purge_before(cutoff=START + dt.timedelta(days=460)) == 2
        assert audit_chain_verify().ok
        assert audit_purge_before(cutoff=START + dt.timedelta(days=460)) == 1  # now it goes
    left = list(AuditEntry.objects.order_by("seq"))
    assert {e.action for e in left} == {AuditAction.PURGE}
    assert [e.details["through_seq"] for e in left] == [3, 4]
    assert audit_chain_verify().ok


def test_the_newest_entry_is_never_purged():
    entries_on([0, 1])
    audit_purge_before(cutoff=START + dt.timedelta(days=30))
    assert [e.details.get("day") for e in AuditEntry.objects.order_by("seq")] == [1, None]
    assert audit_chain_verify().ok


def test_a_batch_is_one_purge_entry(settings):
    settings.RETENTION = {**settings.RETENTION, "BATCH_SIZE": 1}  # 10 entries a batch
    entries_on(list(range(25)))
    removed = audit_purge_before(cutoff=START + dt.timedelta(days=22))
    assert removed == 22
    assert AuditEntry.objects.filter(action=AuditAction.PURGE).count() == 3
    assert audit_chain_verify().ok


def test_cutting_the_start_without_the_purge_is_still_detected():
    made = entries_on([0, 10, 20])
    raw_sql("DELETE FROM accounts_auditentry WHERE id = %s", [made[0].pk])
    report = audit_chain_verify()
    assert not report.ok and "missing" in report.reason


def test_an_anchor_moved_behind_the_applications_back_is_detected():
    made = entries_on([0, 10, 20])
    raw_sql("DELETE FROM accounts_auditentry WHERE seq <= 1", [])
    AuditHead.objects.update(anchor_seq=1, anchor_hash=made[0].hash)  # no purge entry vouches
    report = audit_chain_verify()
    assert not report.ok and "without a purge" in report.reason


@on_postgres
def test_postgresql_refuses_deletes_outside_the_purge_and_allows_the_purge():
    made = entries_on([0, 10, 400])
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM accounts_auditentry WHERE id = %s", [made[0].pk])
    # The purge setting opens rows up to its number only, and only in its transaction.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT set_config('onewindow.audit_purge_through', '1', true)")
        cursor.execute("DELETE FROM accounts_auditentry WHERE seq <= 2")
    assert seqs() == [1, 2, 3]
    assert audit_purge_before(cutoff=START + dt.timedelta(days=100)) == 2
    assert audit_chain_verify().ok
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('onewindow.audit_purge_through', true)")
        assert cursor.fetchone()[0] in ("", "0")


def test_django_auditlog_copies_of_the_period_go_too(admin_user):
    from auditlog.models import LogEntry

    old = timezone.now() - dt.timedelta(days=2000)
    with time_machine.travel(old, tick=False):
        admin_user.first_name = "旧"
        admin_user.save()
    assert LogEntry.objects.filter(timestamp__lt=old + dt.timedelta(days=1)).exists()
    tasks.retention_apply()
    assert not LogEntry.objects.filter(timestamp__lt=old + dt.timedelta(days=1)).exists()
