"""Domain errors of accounts (core/errors.py style): each carries its translated message."""

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


class CodeWrong(DomainError):
    code = "code_wrong"
    status = 400
    message = _("This code is wrong. Attempts left: %(left)s.")


class CodeDead(DomainError):
    code = "code_dead"
    status = 400
    message = _("Too many wrong attempts: this code no longer works. Please request a new code.")


class CodeExpired(DomainError):
    code = "code_expired"
    status = 400
    message = _("This code has expired or was already used. Please request a new code.")


class CodeTooSoon(DomainError):
    code = "code_too_soon"
    status = 429
    message = _("A code was sent less than a minute ago. Please wait a moment before asking again.")


class CodeLimitReached(DomainError):
    code = "code_limit"
    status = 429
    message = _("Too many codes were requested for this address. Please try again in an hour.")


class ContactTaken(DomainError):
    code = "contact_taken"
    status = 409
    message = _("An account already uses this mobile number or e-mail address. Please sign in.")


class NotAResident(DomainError):
    code = "not_a_resident"
    status = 403
    message = _("This page is for residents' accounts only.")


class IdNumberMismatch(DomainError):
    code = "id_mismatch"
    status = 400
    message = _(
        "This ID number is not the one already linked to your account. Only bookings for your "
        "own ID number can be added."
    )


# --- staff sign-in -------------------------------------------------------------------------------


class OtpCodeWrong(DomainError):
    code = "otp_wrong"
    status = 400
    message = _("This code is not right. Check the time on your phone and enter the current code.")


class OtpThrottled(DomainError):
    code = "otp_throttled"
    status = 429
    message = _("Too many wrong codes in a row. Please wait %(seconds)s s and try again.")


class OtpAlreadyEnrolled(DomainError):
    code = "otp_already_enrolled"
    status = 409
    message = _("An authenticator app is already set up for this account.")
