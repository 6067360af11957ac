"""Stored printouts (core/printstore.py): a version is rendered once and then read back; a new
version replaces the older ones of its record; deleting a record's folder leaves nothing; the
nightly sweep of orphaned uploads leaves stored printouts alone."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile

from core.printstore import printout_stored, printout_version, printouts_delete
from core.uploads import private_orphans_sweep, private_storage

pytestmark = pytest.mark.django_db


class Renderer:
    def __init__(self, body: bytes) -> None:
        self.body, self.calls = body, 0

    def __call__(self) -> bytes:
        self.calls += 1
        return self.body


def files(folder: str = "printouts/bookings/K7M39QXA") -> list[str]:
    try:
        return sorted(private_storage.listdir(folder)[1])
    except FileNotFoundError:
        return []


def test_a_version_is_rendered_once_then_read_from_its_stored_copy():
    render = Renderer(b"%PDF-1 booked 10:00")
    version = printout_version("K7M39QXA", "10:00")
    for _ in range(3):
        pdf = printout_stored(folder="bookings/K7M39QXA", version=version, render=render)
        assert pdf == b"%PDF-1 booked 10:00"
    assert render.calls == 1
    assert files() == [f"{version}.pdf"]


def test_a_changed_record_is_rendered_again_and_its_older_copy_deleted():
    old = printout_version("K7M39QXA", "10:00")
    new = printout_version("K7M39QXA", "11:00")
    assert old != new
    printout_stored(folder="bookings/K7M39QXA", version=old, render=Renderer(b"%PDF 10:00"))
    again = Renderer(b"%PDF 11:00")
    assert printout_stored(folder="bookings/K7M39QXA", version=new, render=again) == b"%PDF 11:00"
    assert again.calls == 1
    assert files() == [f"{new}.pdf"]


def test_a_twin_left_by_a_concurrent_render_of_the_same_version_is_removed():
    version = printout_version("K7M39QXA")
    name = f"printouts/bookings/K7M39QXA/{version}.pdf"

    def render_while_another_process_stores_the_same() -> bytes:
        private_storage.save(name, ContentFile(b"%PDF same"))
        return b"%PDF same"

    pdf = printout_stored(
        folder="bookings/K7M39QXA",
        version=version,
        render=render_while_another_process_stores_the_same,
    )
    assert pdf == b"%PDF same"
    assert files() == [f"{version}.pdf"]  # our save found the name taken: its twin is gone


def test_deleting_a_records_folder_deletes_its_copies_and_not_another_records():
    for code in ("K7M39QXA", "P2QRSTUV"):
        printout_stored(
            folder=f"bookings/{code}", version=printout_version(code), render=b"x".strip
        )
    assert printouts_delete(folders=["bookings/K7M39QXA", "bookings/NEVERMADE"]) == 1
    assert files() == []
    assert files("printouts/bookings/P2QRSTUV") == [f"{printout_version('P2QRSTUV')}.pdf"]


def test_the_sweep_of_orphaned_uploads_leaves_stored_printouts_alone():
    version = printout_version("K7M39QXA")
    printout_stored(folder="bookings/K7M39QXA", version=version, render=Renderer(b"%PDF"))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    assert private_orphans_sweep(now=later) == 0
    assert files() == [f"{version}.pdf"]


def test_a_storage_that_fails_still_gives_the_rendered_pdf(settings, tmp_path, caplog):
    from django.utils.functional import empty

    blocked = tmp_path / "not-a-directory"
    blocked.write_bytes(b"")  # the storage's root is a file: every read and write fails
    settings.PRIVATE_MEDIA_ROOT = blocked
    private_storage._wrapped = empty
    render = Renderer(b"%PDF rendered")
    for _ in range(2):
        pdf = printout_stored(folder="bookings/K7M39QXA", version="0" * 64, render=render)
        assert pdf == b"%PDF rendered"
    assert render.calls == 2
    assert "could not store the printout" in caplog.text
