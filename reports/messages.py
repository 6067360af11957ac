"""The daily PDF report, e-mailed to the managers of each office through the outbox."""

import datetime as dt
import logging

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import StaffRole
from notifications.actions import message_send
from services.models import Office

from .printouts import daily_report_pdf

logger = logging.getLogger(__name__)


def office_manager_emails(office_id: int) -> list[str]:
    """The e-mail addresses of the managers of this very office (bureau-wide managers read the
    dashboard instead of twelve mails a day)."""
    return sorted(
        set(
            StaffRole.objects.filter(role="manager", office_id=office_id, user__is_active=True)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )


def daily_report_send(*, office: Office, day: dt.date) -> int:
    recipients = office_manager_emails(office.pk)
    if not recipients:
        return 0
    pdf = daily_report_pdf(office=office, day=day)
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Daily report %(day)s: %(office)s") % {"day": day, "office": office.name}
        body = _("The figures of %(office)s for %(day)s are in the attached PDF.") % {
            "office": office.name, "day": day,
        }  # fmt: skip
    name = f"onewindow-report-{office.code}-{day:%Y%m%d}.pdf"
    for to in recipients:
        message_send(
            channel="email", to=to, subject=subject, body=body, kind="reports_daily",
            ref=office.code, attachments=[(name, pdf, "application/pdf")],
        )  # fmt: skip
    return len(recipients)


def daily_reports_send(*, day: dt.date) -> int:
    """One report per active office that has a manager; returns the number of e-mails."""
    sent = 0
    for office in Office.objects.filter(is_active=True).order_by("code"):
        sent += daily_report_send(office=office, day=day)
    return sent
