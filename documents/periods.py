"""The period a certificate covers: the one rule of the application pages and the API."""

import datetime as dt

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.idnumbers import id_birth_date

from .models import DocumentType


def period_errors(
    *, doc_type: DocumentType, first: dt.date, last: dt.date, holder_id: str,
    today: dt.date | None = None,
) -> dict[str, str]:
    """Field → message for a period that is out of order, starts before the holder was born,
    ends in the future or is longer than the document type allows; empty when it is fine."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if last < first:
        errors["period_to"] = _("The end of the period must not be before its start.")
    if last > today:
        errors["period_to"] = _("The period cannot end in the future.")
    birth = _birth(holder_id)
    if birth is not None and first < birth:
        errors["period_from"] = _(
            "The period cannot start before the date of birth (%(birth)s)."
        ) % {"birth": date_format(birth)}
    years = doc_type.max_period_years
    if "period_to" not in errors and _add_years(first, years) < last:
        errors["period_to"] = _(
            "This certificate covers at most %(years)s years; shorten the period."
        ) % {"years": years}
    return errors


def _birth(holder_id: str) -> dt.date | None:
    try:
        return id_birth_date(holder_id) if holder_id else None
    except ValueError:
        return None


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
