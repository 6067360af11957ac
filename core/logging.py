"""ID numbers never reach a log line in full.

`MaskIdNumbersFilter` sits on every handler in settings.LOGGING: whatever logger writes a record,
any 18-character string shaped like a national ID number (17 digits and a digit or X) is shown
as 430***********1234 in the message, the exception text and the stack. The audit trail masks
its details with the same function.
"""

import logging
import re

from core.idnumbers import mask_id_number

# Not inside a longer run of letters or digits, so hashes, tokens and long numbers stay intact.
ID_NUMBER_LIKE = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")

_formatter = logging.Formatter()


def mask_id_numbers_in_text(text: str) -> str:
    return ID_NUMBER_LIKE.sub(lambda match: mask_id_number(match.group()), text)


class MaskIdNumbersFilter(logging.Filter):
    """Rewrites the record in place (never drops it), so every later handler sees it masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: the handler reports it, we don't
            return True
        masked = mask_id_numbers_in_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_id_numbers_in_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_id_numbers_in_text(record.stack_info)
        return True
