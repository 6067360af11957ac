"""Links that leave the site (SMS, e-mail, PDFs, calendar files, QR codes): absolute, on the
address residents reach the site at (settings.SITE_URL), never on the address of a request."""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation


def site_link(path: str) -> str:
    """`path` (absolute, from reverse()) on the public address."""
    return settings.SITE_URL.rstrip("/") + path


def site_reverse(viewname: str, *, language: str, args: Sequence[Any] = ()) -> str:
    """The public link of a named page in `language` (its /zh-hans/ or /en/ prefix)."""
    with translation.override(language):
        return site_link(reverse(viewname, args=args))
