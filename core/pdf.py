"""render_to_pdf: the one WeasyPrint entry point.

The URL fetcher reads only this project's own static files (and inline data: URIs). A template
that names a file:// path, an internal host or any other URL gets nothing: a PDF renderer that
fetches what a document asks for becomes a file and network reader.

WeasyPrint itself (core/pdf_engine.py) is imported by the first PDF of a process, not with this
module: importing it costs about 0.6 s of CPU (its cffi bindings to Pango), which every process
that loads the URLconf paid — each `manage.py` command, Celery worker and test server — whether
it made a PDF or not. Web workers and Celery worker processes load it as they start
(core/process.py), before their first request or task.
"""

import hashlib
import os
import threading

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import get_template, render_to_string
from django.utils import translation

BASE_URL = "https://onewindow.invalid/"

_per_thread = threading.local()


def render_to_pdf(
    template: str,
    context: dict,
    *,
    language: str | None = None,
    stylesheets: tuple[str, ...] = (),
) -> bytes:
    """Render a Django template to PDF bytes, as PDF/UA-1 (tagged; the document's title and
    language come from the template's <title> and <html lang>). `stylesheets` are static paths
    (`css/pdf.css`), parsed once per thread rather than from a <link> in every PDF."""
    with translation.override(language or translation.get_language()):
        html = render_to_string(template, context)
    return html_to_pdf(html, stylesheets=stylesheets)


def pdf_layout_version(template: str, stylesheets: tuple[str, ...] = ()) -> str:
    """What the look of a printout depends on besides its data: the template's and the
    stylesheets' text (a digest, read again when a file changes). Part of a stored printout's
    version (core/printstore.py), so a new layout is never served from an older copy."""
    paths = [get_template(template).origin.name]  # type: ignore[attr-defined]
    paths += [static_file_path(path) or path for path in stylesheets]
    key = tuple((path, os.stat(path).st_mtime_ns) for path in paths)
    versions = _per_thread.__dict__.setdefault("layout_versions", {})
    if key not in versions:
        digest = hashlib.sha256()
        for path in paths:
            with open(path, "rb") as handle:
                digest.update(handle.read())
        versions[key] = digest.hexdigest()
    return versions[key]


def static_file_path(relative: str) -> str | None:
    """The file behind a static path: the app's or the project's static folder, or in
    production the hashed copy collectstatic's storage keeps under STATIC_ROOT."""
    found = finders.find(relative)
    if found:
        return str(found)
    try:
        if staticfiles_storage.exists(relative):
            return staticfiles_storage.path(relative)
    except (NotImplementedError, ValueError):
        return None
    return None


def html_to_pdf(html: str, *, stylesheets: tuple[str, ...] = ()) -> bytes:
    from core.pdf_engine import write_pdf

    return write_pdf(html, stylesheets=stylesheets)
