"""Date ranges answered on a form (the period a certificate covers): the one rule of the
application pages and the API, whatever service asks for one."""

import datetime as dt
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.idnumbers import id_birth_date

if TYPE_CHECKING:
    from .models import DocumentType


def range_errors(
    *, first: dt.date, last: dt.date, max_years: int | None = None, holder_id: str = "",
    not_in_future: bool = True, not_before_birth: bool = False, today: dt.date | None = None,
) -> dict[str, str]:
    """"from"/"to" → message for a range that is out of order, starts before the holder was
    born, ends in the future or is longer than allowed; empty when it is fine."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if last < first:
        errors["to"] = _("The end of the period must not be before its start.")
    if not_in_future and last > today:
        errors["to"] = _("The period cannot end in the future.")
    birth = _birth(holder_id) if not_before_birth else None
    if birth is not None and first < birth:
        errors["from"] = _(
            "The period cannot start before the date of birth (%(birth)s)."
        ) % {"birth": date_format(birth)}
    if max_years and "to" not in errors and _add_years(first, max_years) < last:
        errors["to"] = _(
            "This certificate covers at most %(years)s years; shorten the period."
        ) % {"years": max_years}
    return errors


def period_errors(
    *, doc_type: "DocumentType", first: dt.date, last: dt.date, holder_id: str,
    today: dt.date | None = None,
) -> dict[str, str]:
    """The rules of the document type's `period` field, keyed by answer (period_from/_to)."""
    field = next((f for f in doc_type.fields if f.get("key") == "period"), {})
    found = range_errors(
        first=first, last=last, max_years=field.get("max_years"), holder_id=holder_id,
        not_in_future=field.get("not_in_future", True),
        not_before_birth=field.get("not_before_birth", False), today=today,
    )
    return {f"period_{part}": message for part, message in found.items()}


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
