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

from django.template.loader import render_to_string
from django.utils import translation

BASE_URL = "https://onewindow.invalid/"


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


def html_to_pdf(html: str, *, stylesheets: tuple[str, ...] = ()) -> bytes:
    from core.pdf_engine import write_pdf

    return write_pdf(html, stylesheets=stylesheets)
