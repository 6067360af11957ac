"""The queue ticket as an 80 mm thermal-receipt PDF, bilingual (Chinese first, then English)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from core.i18n import bilingual
from core.links import site_link
from core.pdf import render_to_pdf
from core.qr import qr_png_data_uri

from . import selectors
from .constants import TicketStatus
from .models import Ticket


def ticket_follow_url(ticket: Ticket) -> str:
    """The public page a phone opens from the ticket's QR code."""
    return site_link(reverse("queues:ticket_follow", args=[ticket.follow_token]))


def _labels() -> dict[str, str]:
    return {
        "title": gettext("Queue ticket"),
        "number": gettext("Your number"),
        "service": gettext("Service"),
        "arrived": gettext("Checked in"),
        "ahead": gettext("People before you"),
        "priority": gettext("Priority"),
        "watch": gettext("Watch the screen for your number"),
        "follow": gettext("Scan to follow your place on your phone"),
    }


def ticket_pdf(ticket: Ticket) -> bytes:
    ahead = selectors.ticket_position(ticket) if ticket.status == TicketStatus.WAITING else 0
    context = {
        "ticket": ticket,
        "t": bilingual(_labels),
        "ahead": ahead,
        "arrived": timezone.localtime(ticket.arrived_at).strftime("%Y-%m-%d %H:%M"),
        # A PNG, not SVG: the kiosk's resident waits for this PDF (bench/pdfs.py).
        "qr": qr_png_data_uri(ticket_follow_url(ticket), scale=1),
    }
    return render_to_pdf(
        "queues/ticket_pdf.html", context, language="zh-hans", stylesheets=("css/ticket-pdf.css",)
    )
