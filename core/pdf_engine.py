"""WeasyPrint behind core/pdf.py: the static-only URL fetcher, the fonts and stylesheets kept per
thread, the fast deflate of the font. Imported by the first PDF of a process (core/pdf.py)."""

import logging
import mimetypes
import os
import threading
import zlib
from typing import Any
from urllib.parse import unquote, urlsplit

import pydyf
from django.conf import settings
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from core.pdf import BASE_URL, static_file_path

logger = logging.getLogger(__name__)


class StaticOnlyFetcher(URLFetcher):
    """Serves data: URIs and files under STATIC_URL found by the staticfiles finders."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        parts = urlsplit(url)
        base = urlsplit(BASE_URL)
        static_prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/"
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or not parts.path.startswith(
            static_prefix
        ):
            logger.warning("PDF fetch refused: %s", url[:200])
            raise ValueError("only the project's static files can be used in a PDF")
        relative = unquote(parts.path[len(static_prefix) :])
        if ".." in relative.split("/"):
            raise ValueError("path traversal refused")
        path = static_file_path(relative)
        if not path:
            raise ValueError(f"static file not found: {relative}")
        with open(path, "rb") as handle:
            body = handle.read()
        mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": mime})


def write_pdf(html: str, *, stylesheets: tuple[str, ...] = ()) -> bytes:
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher())
    return document.write_pdf(
        stylesheets=[_stylesheet(path) for path in stylesheets],
        pdf_variant="pdf/ua-1",
        custom_metadata=True,
        font_config=_font_config(),
        finisher=_deflate_fast,
    )


FAST_DEFLATE_FROM = 16 * 1024  # bytes: in practice the embedded font, the one large stream
FAST_DEFLATE_LEVEL = 1


def _deflate_fast(document: Any, pdf: pydyf.PDF) -> None:
    """Compress the large streams (the subset font: 420-780 KiB before compression, as its
    glyph ids are kept) at zlib level 1 here instead of level 9 in pydyf's writer: 1-2 % larger,
    3x less CPU (a booking confirmation's font: 11 ms → 3.7 ms). WeasyPrint's `finisher` hook
    runs after the PDF's objects are made and before they are written; a stream compressed here
    carries its FlateDecode filter and is written as it is."""
    for obj in pdf.objects:
        if not (isinstance(obj, pydyf.Stream) and obj.compress):
            continue
        if not all(isinstance(item, bytes) for item in obj.stream):
            continue
        raw = b"\n".join(obj.stream)
        if len(raw) < FAST_DEFLATE_FROM:
            continue
        obj.stream = [zlib.compress(raw, FAST_DEFLATE_LEVEL)]
        obj.compress = False
        obj.extra["Filter"] = "/FlateDecode"


_per_thread = threading.local()


def _font_config() -> FontConfiguration:
    """WeasyPrint's fonts (Pango's font map, the fonts found and their data), kept for every
    later PDF of this thread instead of found again for each one (about 15 % of a small PDF);
    one per thread, as Pango's objects are not to be shared between threads."""
    config = getattr(_per_thread, "font_config", None)
    if config is None:
        config = _per_thread.font_config = FontConfiguration()
    return config


def _stylesheet(path: str) -> CSS:
    """A static stylesheet parsed (tinycss2) and its selectors compiled (cssselect2) once per
    thread and kept while the file is unchanged: parsing pdf.css cost a booking confirmation
    more than laying out its page (bench/pdfs.py). Bound to the thread's font configuration."""
    found = static_file_path(path)
    if not found:
        raise ValueError(f"static file not found: {path}")
    key = (found, os.stat(found).st_mtime_ns)
    sheets = _per_thread.__dict__.setdefault("stylesheets", {})
    sheet = sheets.get(key)
    if sheet is None:
        with open(found, encoding="utf-8") as handle:
            sheet = CSS(
                string=handle.read(),
                base_url=BASE_URL + settings.STATIC_URL.lstrip("/") + path,
                url_fetcher=StaticOnlyFetcher(),
                font_config=_font_config(),
            )
        sheets[key] = sheet
    return sheet
