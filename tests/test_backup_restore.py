"""Backup and restore (docs/deploy.md "Backup and restore"): a `pg_dump -Fc` of a database with
the demo city and bookings, restored with `pg_restore` into a fresh database, holds every row of
every model, and every booking is found again by its code with its ID number readable."""

import contextlib
import os
import shutil
import subprocess
import uuid

import psycopg
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from appointments import actions
from appointments.models import Booking, Slot
from appointments.selectors import slot_window
from core.crypto import decrypt_text
from core.tests.factories import id_number
from documents.actions.certificates import certificate_prepare
from documents.constants import RequestStatus
from documents.models import Certificate, DocumentType
from documents.tests.certificate_helpers import signing_keys  # noqa: F401
from documents.tests.factories import request_in

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'", reason="needs PostgreSQL (pg_dump, pg_restore)"
    ),
    pytest.mark.skipif(
        not (shutil.which("pg_dump") and shutil.which("pg_restore")),
        reason="needs pg_dump and pg_restore (Debian postgresql-client)",
    ),
    pytest.mark.django_db(transaction=True),  # pg_dump sees committed rows only
]


def libpq_env() -> dict:
    db = connection.settings_dict
    env = {**os.environ, "PGHOST": db["HOST"] or "127.0.0.1", "PGPORT": str(db["PORT"] or 5432)}
    env["PGUSER"] = db["USER"] or "postgres"
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def conninfo(name: str) -> str:
    env = libpq_env()
    password = f" password={env['PGPASSWORD']}" if "PGPASSWORD" in env else ""
    return f"host={env['PGHOST']} port={env['PGPORT']} user={env['PGUSER']} dbname={name}{password}"


def book_some(count: int) -> list[Booking]:
    now = timezone.now()
    open_slots = [
        s for s in Slot.objects.filter(start__gt=now, bookable__gt=0).prefetch_related(
            "schedule__services"
        )[:200]
        if slot_window(s).state(now) == "open"
    ]
    made = []
    for n, slot in enumerate(open_slots[:count]):
        made.append(
            actions.booking_create(
                slot_id=slot.pk,
                service=slot.schedule.services.all()[0],
                name=f"居民{n}",
                id_number=id_number(n + 1),
                phone=f"139{n:08d}",
            )
        )
    return made


def table_counts(cursor) -> dict[str, int]:
    """Rows per table of every installed model (many-to-many tables included): the documents
    app's certificates are counted here too once it is installed."""
    tables = sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy
        }
    )
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


def test_the_client_tools_are_not_older_than_the_server():
    """pg_dump refuses a server newer than itself: the Debian client must match (15 here)."""
    version = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True, check=True)
    # "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
    client_major = int(version.stdout.split(")", 1)[1].split()[0].split(".")[0])
    assert client_major >= connection.pg_version // 10000


def test_a_dump_restored_into_a_fresh_database_holds_everything(
    tmp_path, signing_keys, settings  # noqa: F811
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    call_command("seed_demo", "--quiet")
    bookings = book_some(12)
    assert len(bookings) == 12
    # Certificates issued through the action (Celery runs eagerly here: the PDF is made too).
    doc_type = DocumentType.objects.get(code="no-criminal-record")  # from the demo
    office = doc_type.service.offices.first()
    for _n in range(3):
        certificate_prepare(
            request=request_in(RequestStatus.APPROVED, doc_type=doc_type, office=office)
        )
    certificates = {
        c.number: (c.code_hash, c.holder_id_masked, c.status, c.pdf_sha256)
        for c in Certificate.objects.all()
    }
    assert len(certificates) == 3 and all(v[3] for v in certificates.values())
    source = connection.settings_dict["NAME"]
    dump = tmp_path / "onewindow.dump"
    restored = f"{source}_restore_{uuid.uuid4().hex[:6]}"
    env = libpq_env()

    subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", str(dump), source], env=env, check=True)
    subprocess.run(["createdb", restored], env=env, check=True)
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", "-d", restored, str(dump)],
            env=env,
            check=True,
        )
        with connection.cursor() as cursor:
            expected = table_counts(cursor)
        with psycopg.connect(conninfo(restored)) as other, other.cursor() as cursor:
            assert table_counts(cursor) == expected
            assert expected["appointments_booking"] >= 12 and expected["services_office"] > 0
            cursor.execute("SELECT code, id_number_enc, name FROM appointments_booking")
            found = {code: (enc, name) for code, enc, name in cursor.fetchall()}
            # The audit trail came along whole, trigger included.
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = %s",
                           ["accounts_auditentry_append_only"])  # fmt: skip
            assert cursor.fetchone()[0] == 1
            # Every certificate again by its number, with the hash its verification code is
            # checked against and the hash of its signed PDF (the file is in the media backup).
            cursor.execute(
                "SELECT number, code_hash, holder_id_masked, status, pdf_sha256 "
                "FROM documents_certificate"
            )
            assert {row[0]: tuple(row[1:]) for row in cursor.fetchall()} == certificates
        for n, booking in enumerate(bookings):
            enc, name = found[booking.code]
            assert decrypt_text(enc) == id_number(n + 1)  # readable with the same keys
            assert name == f"居民{n}"
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):  # a busy shared server: leave it
            subprocess.run(
                ["dropdb", "--if-exists", "--force", restored], env=env, check=False, timeout=60
            )
