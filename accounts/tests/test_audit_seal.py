"""The sealed audit trail (issue 13, item 2): entries written once and unchained, sealed in signed
batches by the sealer, heads published and exported, and every tamper found by verify_audit."""

import base64
import hashlib
import io
import json
import random
import threading
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from accounts.actions import audit_record, audit_seal
from accounts.audit_seal import export_path, exported_heads, head_statement
from accounts.models import AuditAction, AuditBatch, AuditEntry
from appointments.actions import booking_create
from appointments.tests.factories import SlotFactory
from core.tests.factories import id_number

on_postgres = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="needs PostgreSQL (triggers, concurrent writers)"
)


def some_entries(n: int) -> list[AuditEntry]:
    return [audit_record(actor=None, action=AuditAction.VIEW, details={"n": i}) for i in range(n)]


def seal() -> int:
    return audit_seal(wait=0)


def verify(*args: str) -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out)
    except CommandError as error:
        assert error.returncode == 1
        return False, out.getvalue()
    return True, out.getvalue()


def as_superuser(*statements: tuple[str, list]) -> None:
    """What a database administrator can do with SQL: on PostgreSQL past every trigger
    (session_replication_role needs a superuser, as `postgres` is), on SQLite as it is."""
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE wants no pending checks
            cursor.execute("SET session_replication_role = replica")
        for sql, params in statements:
            cursor.execute(sql, params)
        if postgres:
            cursor.execute("SET session_replication_role = DEFAULT")


@pytest.fixture
def sealed(db, settings):
    """Seven entries sealed in batches of three: #1 = 1-3, #2 = 4-6, #3 = 7."""
    settings.AUDIT_SEAL = {**settings.AUDIT_SEAL, "BATCH": 3}
    made = some_entries(7)
    assert seal() == 7
    return made


# --- writing and sealing -----------------------------------------------------------------------


def test_an_entry_is_one_insert_in_the_callers_transaction_and_rolls_back_with_it(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=None, action=AuditAction.VIEW, details={"n": 1})
        raise RuntimeError("the change fails")
    assert not AuditEntry.objects.exists()

    slot = SlotFactory()
    with transaction.atomic():
        booking = booking_create(
            slot_id=slot.pk, service=slot.schedule.services.first(), name="张三",
            id_number=id_number(3), phone="13800138000",
        )  # fmt: skip
        # Already there, inside the booking's transaction: nothing waits for a commit.
        [entry] = AuditEntry.objects.filter(object_type="appointments.booking")
    assert entry.object_id == str(booking.pk) and entry.action == AuditAction.CREATE
    assert not AuditBatch.objects.exists()  # nothing chained at insert


def test_the_sealer_chains_signed_batches_in_id_order_and_exports_them(sealed):
    batches = list(AuditBatch.objects.order_by("number"))
    assert [(b.number, b.first_id, b.last_id, b.count) for b in batches] == [
        (1, 1, sealed[2].pk, 3),
        (2, sealed[2].pk + 1, sealed[5].pk, 3),
        (3, sealed[5].pk + 1, sealed[6].pk, 1),
    ]
    assert [b.prev_head for b in batches[1:]] == [b.head for b in batches[:-1]]
    assert [int(line.split()[0]) for b in batches for line in b.leaves.splitlines()] == [
        e.pk for e in sealed
    ]
    assert exported_heads() == [b.published() for b in batches]
    assert seal() == 0  # nothing new
    some_entries(1)
    assert seal() == 1 and len(exported_heads()) == 4
    ok, output = verify()
    assert ok and output.startswith("OK: 8 entries in 4 sealed batches (4 heads exported)")


def test_an_auditor_checks_the_published_heads_with_the_issuers_public_key(client, sealed):
    body = client.get("/.well-known/onewindow-audit-heads.json").json()
    assert reverse("audit-heads") == "/.well-known/onewindow-audit-heads.json"
    assert body["latest"]["number"] == 3 and [h["number"] for h in body["heads"]] == [1, 2, 3]
    keys = client.get(body["keys"]).json()["keys"]
    previous = "0" * 64
    for head in body["heads"]:
        [jwk] = [k for k in keys if k["kid"] == head["key_id"]]
        public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(jwk["x"] + "=="))
        signature = base64.urlsafe_b64decode(head["signature"] + "==")
        public.verify(signature, f"onewindow-audit-head/1:{head['head']}".encode())  # raises
        fields = {k: v for k, v in head.items() if k not in ("head", "key_id", "signature")}
        text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256(text.encode()).hexdigest() == head["head"]
        assert head["prev_head"] == previous
        previous = head["head"]
    after = client.get("/.well-known/onewindow-audit-heads.json?after=2").json()
    assert [h["number"] for h in after["heads"]] == [3] and after["next"] is None


def test_the_heads_page_through(client, sealed, monkeypatch):
    monkeypatch.setattr("accounts.views.audit.HEADS_PER_PAGE", 2)
    first = client.get("/.well-known/onewindow-audit-heads.json").json()
    assert [h["number"] for h in first["heads"]] == [1, 2]
    second = client.get(first["next"]).json()
    assert [h["number"] for h in second["heads"]] == [3] and second["next"] is None


def test_a_head_an_auditor_kept_is_checked(sealed):
    batch = AuditBatch.objects.get(number=2)
    assert verify("--head", f"2:{batch.head}")[0]
    ok, output = verify("--head", f"2:{'f' * 64}")
    assert not ok and "batch #2" in output and "auditor holds" in output


def test_the_export_is_appended_to_never_rewritten(sealed):
    path = export_path()
    before = path.read_bytes()
    some_entries(2)
    seal()
    assert path.read_bytes().startswith(before)
    assert [h["number"] for h in exported_heads()] == [1, 2, 3, 4]


# --- tampering, as a database administrator would -----------------------------------------------


def test_an_entry_changed_by_sql_is_named(sealed):
    middle = sealed[4]
    as_superuser(
        ("UPDATE accounts_auditentry SET details = %s WHERE id = %s", ['{"n": 99}', middle.pk])
    )
    ok, output = verify()
    assert not ok and f"entry id={middle.pk} (batch #2)" in output and "changed" in output


def test_an_entry_deleted_in_the_middle_is_named(sealed):
    middle = sealed[3]
    as_superuser(("DELETE FROM accounts_auditentry WHERE id = %s", [middle.pk]))
    ok, output = verify()
    assert not ok and f"entry id={middle.pk} (batch #2)" in output and "missing" in output


def test_the_newest_sealed_entries_deleted_are_named(sealed):
    as_superuser(("DELETE FROM accounts_auditentry WHERE id >= %s", [sealed[5].pk]))
    ok, output = verify()
    assert not ok and f"entry id={sealed[5].pk} (batch #2)" in output and "missing" in output


def test_the_newest_entries_deleted_with_their_batches_are_found_in_the_export(sealed):
    as_superuser(
        ("DELETE FROM accounts_auditentry WHERE id >= %s", [sealed[3].pk]),
        ("DELETE FROM accounts_auditbatch WHERE number >= 2", []),
    )
    ok, output = verify()
    assert not ok and "batch #2" in output and "missing from the database" in output
    # New entries sealed again from batch #2 never overwrite the evidence in the export.
    exported = export_path().read_bytes()
    some_entries(2)
    seal()
    assert export_path().read_bytes() == exported
    assert not verify()[0]


def test_a_truncated_trail_is_found(sealed):
    as_superuser(("DELETE FROM accounts_auditentry" if _sqlite() else
                  "TRUNCATE accounts_auditentry", []))  # fmt: skip
    ok, output = verify()
    assert not ok and f"entry id={sealed[0].pk} (batch #1)" in output and "missing" in output

    as_superuser(("DELETE FROM accounts_auditbatch" if _sqlite() else
                  "TRUNCATE accounts_auditbatch", []))  # fmt: skip
    ok, output = verify()
    assert not ok and "batch #1" in output and "missing from the database" in output


def _sqlite() -> bool:
    return connection.vendor == "sqlite"


def test_an_entry_slipped_into_a_sealed_range_is_named(sealed):
    as_superuser(("DELETE FROM accounts_auditentry WHERE id = %s", [sealed[1].pk]))
    forged = AuditEntry.objects.get(pk=sealed[0].pk)
    as_superuser(
        (
            "INSERT INTO accounts_auditentry (id, timestamp, actor_username, action, object_type,"
            " object_id, object_label, office_id, subject_hmac, ip, user_agent, details)"
            " SELECT %s, timestamp, 'mallory', action, object_type, object_id, object_label,"
            " office_id, subject_hmac, ip, user_agent, details FROM accounts_auditentry"
            " WHERE id = %s",
            [sealed[1].pk, forged.pk],
        ),
    )
    ok, output = verify()
    assert not ok and f"entry id={sealed[1].pk} (batch #1)" in output and "changed" in output


@pytest.mark.parametrize(
    "column, value, reason",
    [
        ("count", 2, "changed after it was sealed"),
        ("prev_head", "1" * 64, "before this one is missing or was changed"),
        ("signature", "A" * 86, "signature"),
    ],
)
def test_a_batch_row_edited_is_named(sealed, column, value, reason):
    as_superuser((f"UPDATE accounts_auditbatch SET {column} = %s WHERE number = 2", [value]))
    ok, output = verify()
    assert not ok and "batch #2" in output and reason in output


def test_a_batch_rewritten_with_recomputed_hashes_fails_on_its_signature(sealed):
    """A forger who drops an entry and recomputes the leaves, root and head cannot sign."""
    batch = AuditBatch.objects.get(number=2)
    leaves = "\n".join(batch.leaves.splitlines()[:-1])
    batch.leaves, batch.count = leaves, 2
    batch.last_id = int(leaves.splitlines()[-1].split()[0])
    batch.root = hashlib.sha256(leaves.encode()).hexdigest()
    head = batch.compute_head()
    as_superuser(
        (
            "UPDATE accounts_auditbatch SET leaves = %s, count = 2, last_id = %s, root = %s,"
            " head = %s WHERE number = 2",
            [leaves, batch.last_id, batch.root, head],
        ),
        ("DELETE FROM accounts_auditentry WHERE id = %s", [sealed[5].pk]),
    )
    ok, output = verify()
    assert not ok and "batch #2" in output and "signature" in output


def test_an_export_line_rewritten_is_found(sealed):
    path = export_path()
    lines = path.read_text().splitlines()
    record = json.loads(lines[1])
    record["count"] = 2
    lines[1] = json.dumps(record, sort_keys=True)
    path.write_text("\n".join(lines) + "\n")
    ok, output = verify()
    assert not ok and "batch #2" in output and "export" in output


@on_postgres
def test_postgresql_refuses_changes_to_sealed_batches_and_the_old_session_setting(sealed):
    for sql in (
        "UPDATE accounts_auditbatch SET count = 1 WHERE number = 1",
        "DELETE FROM accounts_auditbatch WHERE number = 3",
    ):
        with (
            pytest.raises(DatabaseError, match="never changed"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    # The session setting that used to open the purge opens nothing.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT set_config('onewindow.audit_purge_through', '999', true)")
        cursor.execute("DELETE FROM accounts_auditentry WHERE id >= %s", [sealed[5].pk])
    assert AuditEntry.objects.count() == 7 and verify()[0]


# --- the safe horizon: entries committed out of id order -----------------------------------------


@on_postgres
@pytest.mark.postgres
def test_a_writer_in_another_database_of_the_server_does_not_hold_the_seal(db):
    """pg_locks lists every database's locks, and a database copied from the same template has
    the entry table under the same number: another database's writer is not one of ours."""
    import psycopg

    from tests.databases import template_name

    template, _prefix = template_name()
    settings_dict = connection.settings_dict
    dsn = {
        "host": settings_dict["HOST"] or None, "port": settings_dict["PORT"] or None,
        "user": settings_dict["USER"] or None, "password": settings_dict["PASSWORD"] or None,
    }  # fmt: skip
    other = f"{settings_dict['NAME'][:50]}_neighbour"
    with psycopg.connect(dbname="postgres", autocommit=True, **dsn) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone():
            pytest.skip("the test database was not copied from the migrated template (--reuse-db)")
        admin.execute(f'DROP DATABASE IF EXISTS "{other}"')
        admin.execute(f'CREATE DATABASE "{other}" TEMPLATE "{template}"')
        try:
            with psycopg.connect(dbname=other, **dsn) as neighbour:
                table = AuditEntry._meta.db_table
                theirs = neighbour.execute("SELECT %s::regclass::oid", [table]).fetchone()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT %s::regclass::oid", [table])
                    assert cursor.fetchone() == theirs  # the same number in both databases
                neighbour.execute(f"LOCK TABLE {table} IN ROW EXCLUSIVE MODE")  # an open writer
                some_entries(2)
                assert audit_seal(wait=0.2) == 2
                neighbour.rollback()
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)')


@on_postgres
@pytest.mark.postgres
def test_an_entry_committed_after_a_higher_one_is_not_skipped(transactional_db):
    """A transaction draws number N and stays open while N+1 commits: the sealer must not seal
    past N until that transaction has ended, then seals both."""
    written, release = threading.Event(), threading.Event()
    low = {}

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                low["entry"] = audit_record(
                    actor=None, action=AuditAction.VIEW, details={"slow": 1}
                )
                written.set()
                assert release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert written.wait(30)
    high = audit_record(actor=None, action=AuditAction.VIEW, details={"fast": 1})
    assert high.pk > low["entry"].pk
    assert audit_seal(wait=0.2) == 0  # the lower number is still in flight: nothing is sealed
    release.set()
    thread.join(30)
    assert audit_seal(wait=5) == 2
    [batch] = AuditBatch.objects.all()
    assert [pk for pk, _ in batch.leaf_pairs()] == [low["entry"].pk, high.pk]
    assert verify()[0]


@on_postgres
@pytest.mark.postgres
def test_no_entry_is_skipped_while_writers_and_the_sealer_run_together(transactional_db, settings):
    settings.AUDIT_SEAL = {**settings.AUDIT_SEAL, "BATCH": 7}
    writers, each = 6, 12
    errors: list[Exception] = []
    done = threading.Event()
    rolled_back = []

    def write(n: int) -> None:
        rng = random.Random(n)  # noqa: S311 (test timing, not secrets)
        try:
            for i in range(each):
                try:
                    with transaction.atomic():
                        audit_record(actor=None, action=AuditAction.VIEW, details={"w": n, "i": i})
                        time.sleep(rng.random() * 0.03)  # hold the number drawn a little
                        if i % 5 == 4:
                            raise RuntimeError("rolled back")
                except RuntimeError:
                    rolled_back.append((n, i))
        except Exception as error:  # reported in the test's own thread
            errors.append(error)
        finally:
            connection.close()

    def sealer() -> None:
        try:
            while not done.is_set():
                audit_seal(wait=0.05)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    sealing = threading.Thread(target=sealer)
    sealing.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    done.set()
    sealing.join(60)
    audit_seal(wait=5)

    assert errors == []
    committed = set(AuditEntry.objects.values_list("id", flat=True))
    assert len(committed) == writers * each - len(rolled_back)
    leaves = [pk for b in AuditBatch.objects.order_by("number") for pk, _ in b.leaf_pairs()]
    assert leaves == sorted(committed)  # every committed entry sealed once, in id order
    assert AuditBatch.objects.count() > 1
    assert verify()[0]


def test_head_statement_names_the_format():
    assert head_statement("ab") == b"onewindow-audit-head/1:ab"


def test_beat_seals_every_few_seconds_through_the_task_and_the_command_does_the_same(db):
    from accounts import tasks
    from config.celery import app

    entry = app.conf.beat_schedule["accounts-seal-audit"]
    assert entry["task"] == "accounts.tasks.audit_seal" and entry["schedule"] <= 10
    some_entries(2)
    assert tasks.audit_seal() == 2
    some_entries(1)
    out = io.StringIO()
    call_command("seal_audit", stdout=out)
    assert out.getvalue().strip() == "sealed 1 entries"
    assert [h["count"] for h in exported_heads()] == [2, 1]


def test_a_missing_export_fails_and_another_copy_can_be_named(sealed, tmp_path):
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(export_path().read_bytes())
    export_path().unlink()
    ok, output = verify()
    assert not ok and "the export file" in output
    assert verify("--export", str(copy))[0]
