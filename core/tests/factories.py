"""Test data helpers of core: valid national ID numbers."""

import datetime as dt

from core.idnumbers import id_check_char


def id_number(n: int = 1, *, born: dt.date = dt.date(1990, 5, 17), region: str = "430102") -> str:
    """A valid 18-character ID number; `n` varies the sequence so each n is another person."""
    first17 = f"{region}{born:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_char(first17)
