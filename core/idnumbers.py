"""Chinese resident identity numbers (GB 11643-1999): validation and masking."""

import datetime as dt
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_FORMAT = re.compile(r"[0-9]{17}[0-9X]")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalize_id_number(value: str) -> str:
    """NFKC first: Chinese input methods often type full-width digits (１２３) and Ｘ."""
    return unicodedata.normalize("NFKC", value or "").strip().replace(" ", "").upper()


def id_birth_date(value: str) -> dt.date:
    return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def validate_id_number(value: str, *, today: dt.date | None = None) -> str:
    """Return the normalised number or raise ValidationError with a translated reason."""
    number = normalize_id_number(value)
    if len(number) != 18:
        raise ValidationError(_("An ID number has 18 characters."), code="length")
    if not _FORMAT.fullmatch(number):
        raise ValidationError(
            _("An ID number is 17 digits followed by a digit or X."), code="format"
        )
    if number[:2] not in _PROVINCE_CODES:
        raise ValidationError(_("The region code of this ID number does not exist."), code="region")
    try:
        born = id_birth_date(number)
    except ValueError:
        raise ValidationError(
            _("The birth date in this ID number is not a real date."), code="birth"
        )
    today = today or dt.date.today()
    if born > today or born.year < 1900:
        raise ValidationError(_("The birth date in this ID number is not possible."), code="birth")
    if id_check_char(number[:17]) != number[17]:
        raise ValidationError(
            _("The check character of this ID number is wrong; please check for a typing error."),
            code="checksum",
        )
    return number


def mask_id_number(value: str) -> str:
    """430***********1234: the first three and the last four characters only."""
    number = normalize_id_number(value)
    if len(number) < 8:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


# First two digits: provinces, autonomous regions and municipalities (GB/T 2260),
# plus 71 (Taiwan), 81 (Hong Kong), 82 (Macao) and 83 (residence permits for Taiwan residents).
_PROVINCE_CODES = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
        "91",
    }
)
