"""Refusals of feedback, each with its message for the resident or the member of staff."""

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError, IllegalTransition, NotFound


class InvitationInvalid(NotFound):
    code = "invitation_invalid"
    message = _(
        "This evaluation link is not valid. Please use the link exactly as you received it."
    )


class InvitationUsed(DomainError):
    code = "invitation_used"
    status = 409
    message = _("This visit has already been rated. Each link can be used once. Thank you!")


class InvitationExpired(DomainError):
    code = "invitation_expired"
    status = 410
    message = _("This evaluation link has expired: links are valid for %(days)s days.")


class RatingInvalid(DomainError):
    code = "rating_invalid"
    message = _("Please choose a rating from 1 to 5.")


class AlreadyClosed(IllegalTransition):
    code = "already_closed"
    message = _("This has already been closed or answered.")


class MailboxNotFound(NotFound):
    code = "mailbox_not_found"
    message = _(
        "No message matches this reference and follow-up code. Check both and try again."
    )


class ActionMissing(DomainError):
    code = "action_missing"
    message = _("Write what was done before closing.")


class AnswerMissing(DomainError):
    code = "answer_missing"
    message = _("Write the answer before sending it.")
