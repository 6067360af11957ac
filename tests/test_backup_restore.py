"""Backup and restore (docs/deploy.md "Backup and restore"): the documented backup
(deploy/backup.sh: a `pg_dump -Fc` and a media archive) of a database with the demo city,
bookings and certificates, restored with `pg_restore` into a fresh database, holds every row of
every model, every booking is found again by its code with its ID number readable, and the
media archive holds the certificate PDFs but no key, even one an older install left there."""

import contextlib
import os
import shutil
import subprocess
import tarfile
import uuid
from pathlib import Path

import psycopg
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django.utils.functional import empty

from appointments import actions
from appointments.models import Booking, Slot
from appointments.selectors import slot_window
from core.crypto import decrypt_text
from core.signing import qr_key_new
from core.tests.factories import id_number
from core.uploads import private_storage
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
        s
        for s in Slot.objects.filter(start__gt=now, bookable__gt=0)
        # Slots booked for one service: the demo's 一件事 schedules offer none (their slots are
        # bundle visits), and which slots come first is the database's choice, so unordered the
        # test failed whenever a bundle schedule's slots came first.
        .filter(schedule__services__isnull=False)
        .distinct()
        .order_by("start", "pk")
        .prefetch_related("schedule__services")[:200]
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


def database_url(name: str) -> str:
    env = libpq_env()
    password = f":{env['PGPASSWORD']}" if "PGPASSWORD" in env else ""
    return f"postgres://{env['PGUSER']}{password}@{env['PGHOST']}:{env['PGPORT']}/{name}"


def run_documented_backup(dest: Path, *, source: str, media: Path, private: Path) -> tuple:
    """deploy/backup.sh DEST, as docs/deploy.md says to run it nightly: (dump, media archive)."""
    env = {**libpq_env(), "DATABASE_URL": database_url(source), "MEDIA_ROOT": str(media),
           "PRIVATE_MEDIA_ROOT": str(private), "BACKUP_STAMP": "20270101T0200Z"}  # fmt: skip
    script = Path(__file__).resolve().parent.parent / "deploy" / "backup.sh"
    subprocess.run([str(script), str(dest)], env=env, check=True, timeout=300)
    return dest / "onewindow-20270101T0200Z.dump", dest / "onewindow-media-20270101T0200Z.tar.gz"


@pytest.fixture
def media_in(tmp_path, settings):
    """MEDIA_ROOT and PRIVATE_MEDIA_ROOT in tmp_path, never the developer's folders."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    private_storage._wrapped = empty  # re-read the setting
    yield tmp_path
    private_storage._wrapped = empty


def test_a_dump_restored_into_a_fresh_database_holds_everything(
    tmp_path, media_in, signing_keys  # noqa: F811
):
    # An older install's demo keys inside the private uploads, and key files dropped into the
    # media by hand: none may reach the archive.
    (tmp_path / "private" / "signing").mkdir(parents=True)
    (tmp_path / "private" / "signing" / "qr-ed25519-key.pem").write_bytes(qr_key_new())
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "logo.png").write_bytes(b"not a key")
    (tmp_path / "media" / "issuer.key").write_bytes(qr_key_new())
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
    restored = f"{source}_restore_{uuid.uuid4().hex[:6]}"
    env = libpq_env()

    dump, archive = run_documented_backup(
        tmp_path / "backup", source=source, media=tmp_path / "media", private=tmp_path / "private"
    )
    with tarfile.open(archive) as media_archive:
        members = {m.name for m in media_archive.getmembers() if m.isfile()}
    pdfs = {f"private/{c.pdf.name}" for c in Certificate.objects.all()}
    assert pdfs and pdfs <= members and "media/logo.png" in members  # the files came along
    assert not [m for m in members if m.endswith((".pem", ".key")) or "/signing/" in m], members
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
