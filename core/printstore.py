"""Stored copies of rendered PDFs, so a resident's download is a file read, not a render.

A printout that is rendered anyway (the booking confirmation goes with the confirmation e-mail)
is stored on the private storage under `printouts/<folder>/<version>.pdf`: `folder` names the
record (one folder per booking), `version` is a digest of everything the PDF shows, computed by
the caller without rendering. A download computes the version afresh: a copy made before a
change (a reschedule, a cancellation, another language, an anonymisation, a new layout) has
another name and is never served; the first download after the change renders, stores the new
copy and deletes the older ones of its folder. The caller checks who asks before calling here:
the store is keyed by record, not by person.

No weasyprint here (the rendering is the caller's `render`): actions that delete stored copies
(retention) import this module without loading the PDF engine. Versions are 64 hex digits, so
`core.uploads.private_orphans_sweep` (32 hex digits) never takes a stored copy for an orphan.
"""

import contextlib
import hashlib
import logging
import os
from collections.abc import Callable, Iterable

from django.core.files.base import ContentFile

from .uploads import private_storage

logger = logging.getLogger(__name__)

ROOT = "printouts"


def printout_version(*parts: object) -> str:
    """A digest of what a printout shows (64 hex digits): any change of a part changes it."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


def printout_stored(*, folder: str, version: str, render: Callable[[], bytes]) -> bytes:
    """The stored copy of `version`, or `render()` stored (older versions deleted) and returned.
    A storage that fails (a file system, a bucket's client error) is logged, never in the
    resident's way: the PDF is rendered and served."""
    name = f"{ROOT}/{folder}/{version}.pdf"
    try:
        with private_storage.open(name, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        pass
    except Exception:  # any backend's error: the render below is the answer
        logger.exception("could not read the stored printout %s", name)
    pdf = render()
    try:
        _store(name, pdf)
    except Exception:
        logger.exception("could not store the printout %s", name)
    return pdf


def _store(name: str, pdf: bytes) -> None:
    private_storage.save(name, ContentFile(pdf))
    folder, _slash, mine = name.rpartition("/")
    for other in _files(folder):
        # Older versions, and the twin a concurrent render of the same version left when
        # `save` found the name taken and chose another.
        if other != mine:
            private_storage.delete(f"{folder}/{other}")


def printouts_delete(*, folders: Iterable[str]) -> int:
    """Delete every stored copy in `folders` (when the record's personal data goes); how many."""
    deleted = 0
    for folder in folders:
        path = f"{ROOT}/{folder}"
        for name in _files(path):
            private_storage.delete(f"{path}/{name}")
            deleted += 1
        _remove_empty_directory(path)
    return deleted


def _files(folder: str) -> list[str]:
    try:
        return private_storage.listdir(folder)[1]
    except FileNotFoundError:
        return []


def _remove_empty_directory(folder: str) -> None:
    """On the file system the record's directory goes too (a bucket has none)."""
    with contextlib.suppress(NotImplementedError, OSError):
        os.rmdir(private_storage.path(folder))
