"""Uploaded files (ID card photos, authorisations, mailbox attachments): checked by content, never
by name or by the browser's content type, size-limited, and stored outside the web root under a
random name.

Only PDF, JPEG and PNG are accepted. A PDF must open and have a page (pypdf); an image must decode
in full (Pillow). Images are re-encoded, which drops EXIF data such as a phone's GPS position.

A file is stored before the row that names it is committed, so a transaction that rolls back
(or a process that dies before its commit) leaves the file behind. `private_orphans_sweep` (beat,
nightly) deletes such files: stored by `store_private`, older than an hour, and named by no
`FileField` on the private storage, whichever model it belongs to.
"""

import datetime as dt
import io
import logging
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, storages
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

if TYPE_CHECKING:  # pypdf loads when a PDF is checked, not at start-up
    from pypdf import PdfReader

ALLOWED_KINDS = ("pdf", "jpeg", "png")
CONTENT_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
EXTENSIONS = {"pdf": "pdf", "jpeg": "jpg", "png": "png"}
# The last part of every name store_private gives: nothing else under PRIVATE_MEDIA_ROOT (the demo
# signing keys in private/signing/, certificates, whatever an operator keeps there) looks like it.
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(?:pdf|jpg|png)$")
# A younger file may belong to a transaction still open; none stays open for an hour.
ORPHAN_GRACE = dt.timedelta(hours=1)
SWEEP_BATCH = 500

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckedUpload:
    kind: str  # "pdf", "jpeg" or "png"
    content: bytes
    original_name: str

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.kind]

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.kind]


def sniff(head: bytes) -> str | None:
    """The kind a file's first bytes announce, whatever its name says."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


def check_upload(upload: File, *, max_bytes: int | None = None) -> CheckedUpload:
    """Read an uploaded file and return its checked content, or raise a ValidationError with a
    message for the resident."""
    limit = max_bytes or settings.UPLOAD_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise _too_big(limit)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise _too_big(limit)
    if not content:
        raise ValidationError(_("The file is empty."), code="empty")
    kind = sniff(content[:16])
    if kind is None:
        raise ValidationError(
            _("Only PDF, JPEG and PNG files can be uploaded. This file is none of them."),
            code="file_type",
        )
    if kind == "pdf":
        _check_pdf(content)
    else:
        content = _reencode_image(content, kind)
    return CheckedUpload(kind=kind, content=content, original_name=_safe_name(upload.name))


def _too_big(limit: int) -> ValidationError:
    return ValidationError(
        _("The file is too large: at most %(size)s."),
        code="file_size",
        params={"size": filesizeformat(limit)},
    )


def _check_pdf(content: bytes) -> None:
    """A PDF that opens, has a page, and carries nothing that acts or hides (JavaScript, launch
    actions, embedded files, a second format inside). Refused rather than rewritten clean: staff
    must see what the resident sent, and the resident can simply export the file again."""
    _refuse_polyglot(content)
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    broken = ValidationError(_("The PDF file is damaged and cannot be opened."), code="broken")
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise ValidationError(
                _("The PDF file is password-protected. Upload it without a password."),
                code="encrypted",
            )
        if len(reader.pages) == 0:
            raise broken
        _refuse_active_content(reader)
    except ValidationError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError):
        raise broken


# Names that make a PDF act or carry another file. pypdf resolves names written with #xx escapes
# and objects inside compressed object streams, which a byte search would miss.
ACTIVE_NAMES = frozenset({
    "/JS", "/JavaScript", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia",
    "/XFA", "/SubmitForm", "/ImportData", "/GoToE",
})
PDF_OBJECT_BUDGET = 200_000  # objects visited at most; a larger graph is refused as damaged
# Markers of another format inside the file: HTML (a page a browser would render), a ZIP
# archive's directory (which ZIP readers look for in the last 64 KiB), and anything appended
# after the PDF's last end-of-file marker.
HTML_MARKERS = re.compile(rb"<\s*(?:html|script|body|iframe|svg|!doctype)\b", re.IGNORECASE)
ZIP_DIRECTORY_END = b"PK\x05\x06"
TRAILING_ALLOWED = re.compile(rb"[\s\x00]*")


def _refuse_polyglot(content: bytes) -> None:
    last_eof = content.rfind(b"%%EOF")
    trailing = content[last_eof + 5:] if last_eof >= 0 else b""
    zip_inside = ZIP_DIRECTORY_END in content[-(65_536 + 22):]
    if HTML_MARKERS.search(content) or zip_inside or not TRAILING_ALLOWED.fullmatch(trailing):
        raise ValidationError(
            _("This PDF file also contains another kind of file. Save it again as a plain PDF "
              "(print to PDF) and upload that."),
            code="pdf_polyglot",
        )


def _refuse_active_content(reader: "PdfReader") -> None:
    """Walk every object reachable from the trailer; refuse any of ACTIVE_NAMES as a key or an
    action type (/S /JavaScript)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    seen: set[tuple[int, int]] = set()
    stack: list = [reader.trailer]
    visited = 0
    while stack:
        node = stack.pop()
        visited += 1
        if visited > PDF_OBJECT_BUDGET:
            raise ValueError("too many objects")
        if isinstance(node, IndirectObject):
            ref = (node.idnum, node.generation)
            if ref in seen:
                continue
            seen.add(ref)
            node = node.get_object()
        if isinstance(node, DictionaryObject):
            for key, value in node.items():
                if key in ACTIVE_NAMES or (isinstance(value, NameObject) and value in ACTIVE_NAMES):
                    raise _active_content()
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)


def _active_content() -> ValidationError:
    return ValidationError(
        _("This PDF file contains scripts, actions or attached files, which are not accepted. "
          "Save it again as a plain PDF (print to PDF) and upload that."),
        code="pdf_active",
    )


def _reencode_image(content: bytes, kind: str) -> bytes:
    broken = ValidationError(_("The image is damaged and cannot be opened."), code="broken")
    try:
        with Image.open(io.BytesIO(content)) as image:
            # Read from the header, before any pixel is decoded (a decompression bomb).
            if image.width * image.height > settings.UPLOAD_MAX_IMAGE_PIXELS:
                raise ValidationError(
                    _("The image has too many pixels: at most %(mp)s megapixels. Take the photo "
                      "at a lower resolution or scan at 300 dpi."),
                    code="pixels",
                    params={"mp": settings.UPLOAD_MAX_IMAGE_PIXELS // 1_000_000},
                )
            image.load()
            out = io.BytesIO()
            if kind == "jpeg":
                image.convert("RGB").save(out, "JPEG", quality=90)
            else:
                image.save(out, "PNG")
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise broken
    return out.getvalue()


def download_name(name: str | None, *, extension: str, fallback: str = "attachment") -> str:
    """A name to serve a stored file under: the resident's name without any of its own
    extensions (`evil.pdf.exe` → `evil`), only letters, digits, `-` and `_`, then the extension
    of the type the content was checked to be."""
    stem = _safe_name(name).split(".", 1)[0]
    stem = re.sub(r"[^\w-]+", "_", stem).strip("_-")[:60] or fallback
    return f"{stem}.{extension}"


def _safe_name(name: str | None) -> str:
    """The name the resident gave, for display only (never used as a path)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable())[:120]


class PrivateStorage(FileSystemStorage):
    """Files under PRIVATE_MEDIA_ROOT: outside STATIC_ROOT and MEDIA_ROOT, with no URL. Views that
    check who is asking stream them."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("location", settings.PRIVATE_MEDIA_ROOT)
        kwargs.setdefault("base_url", None)
        super().__init__(**kwargs)

    def url(self, name: str | None) -> str:  # pragma: no cover - guarded on purpose
        raise NotImplementedError("private files have no public URL")


class _LazyPrivateStorage(LazyObject):
    """The backend `STORAGES["private"]` names, built when first used (and again after a test
    resets it): the file system by default, an S3-compatible bucket by configuration."""

    def _setup(self) -> None:
        self._wrapped = storages.create_storage(settings.STORAGES["private"])


private_storage = _LazyPrivateStorage()


def store_private(checked: CheckedUpload, *, folder: str) -> str:
    """Save checked content under a random name in `folder`; returns the storage name."""
    name = f"{folder}/{secrets.token_hex(16)}.{checked.extension}"
    return private_storage.save(name, ContentFile(checked.content))


def private_file_fields() -> list[tuple[type[models.Model], str]]:
    """Every `FileField` of the installed models that stores on the private storage: (model,
    field name). Found, not listed, so a new model holding uploads is covered by the sweep."""
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        # The lazy proxy itself is what the fields hold (storage=private_storage).
        if isinstance(field, models.FileField) and field.storage is private_storage  # type: ignore[comparison-overlap]
    ]


def _stored_names(folder: str = "") -> Iterator[str]:
    directories, files = private_storage.listdir(folder)
    prefix = f"{folder}/" if folder else ""
    yield from (prefix + name for name in files if STORED_NAME.match(name))
    for directory in directories:
        yield from _stored_names(prefix + directory)


def _referenced(names: list[str], fields: list[tuple[type[models.Model], str]]) -> set[str]:
    used: set[str] = set()
    for model, field in fields:
        rows = model._base_manager.filter(**{f"{field}__in": names})
        used.update(rows.values_list(field, flat=True))
    return used


def private_orphans_sweep(
    *, now: dt.datetime | None = None, grace: dt.timedelta = ORPHAN_GRACE
) -> int:
    """Delete the files `store_private` stored that are older than `grace` and that no row
    names (see the module's docstring). Returns how many were deleted."""
    if not private_storage.exists(""):
        return 0
    cutoff = (now or timezone.now()) - grace
    old = [n for n in _stored_names() if private_storage.get_modified_time(n) < cutoff]
    fields = private_file_fields()
    deleted = 0
    for start in range(0, len(old), SWEEP_BATCH):
        batch = old[start : start + SWEEP_BATCH]
        for name in set(batch) - _referenced(batch, fields):
            private_storage.delete(name)
            deleted += 1
    if deleted:
        logger.info("deleted %d stored files that no row names", deleted)
    return deleted


# Pending uploads: files a form accepted while another field was wrong. They are stored like any
# upload (so `private_orphans_sweep` removes them once ORPHAN_GRACE has passed without a row naming
# them) and named in a signed token the form carries in a hidden field: the resident need not
# choose the ID-card photos again. The token is bound to its owner and read back only from that
# owner's folder, and the content is checked again when it is used.
_PENDING_SALT = "core.uploads.pending"


@dataclass(frozen=True)
class PendingUpload:
    name: str  # the storage name
    checked: CheckedUpload


def pending_upload_store(checked: CheckedUpload, *, owner: str) -> PendingUpload:
    return PendingUpload(store_private(checked, folder=_pending_folder(owner)), checked)


def pending_uploads_token(files: dict[str, PendingUpload], *, owner: str) -> str:
    named = {field: [p.name, p.checked.original_name] for field, p in files.items()}
    return signing.dumps({"o": owner, "f": named}, salt=_PENDING_SALT, compress=True)


def pending_uploads_load(token: str, *, owner: str) -> dict[str, PendingUpload]:
    """The files a token names, checked again; {} for a token that is forged, too old (its files
    may be swept) or someone else's. A file gone or no longer acceptable is left out."""
    try:
        data = signing.loads(token, salt=_PENDING_SALT, max_age=ORPHAN_GRACE)
    except signing.BadSignature:
        return {}
    if not token or data.get("o") != owner:
        return {}
    folder = _pending_folder(owner) + "/"
    found = {}
    for field, (name, original) in data.get("f", {}).items():
        inside = name.startswith(folder) and STORED_NAME.match(name.removeprefix(folder))
        if not inside or not private_storage.exists(name):
            continue
        with private_storage.open(name, "rb") as stored:
            upload = ContentFile(stored.read(), name=original)
        try:
            found[field] = PendingUpload(name, check_upload(upload))
        except ValidationError:
            continue
    return found


def _pending_folder(owner: str) -> str:
    # The owner (e.g. "user-12") never reaches the path as typed: a keyed digest of it does.
    return "pending/" + signing.Signer(salt=_PENDING_SALT).signature(owner)[:16].replace("-", "_")
