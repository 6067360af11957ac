"""Every write of feedback: invitations, ratings, follow-up cases, the mailbox, retention."""

from .evaluation import (
    case_close,
    case_contact_reveal,
    case_escalate_late,
    case_open,
    evaluation_invite,
    evaluation_invite_finished_tickets,
    evaluation_record,
    invitation_check,
    ticket_subject_ref,
)
from .mailbox import (
    mailbox_answer,
    mailbox_attachment_open,
    mailbox_contact_reveal,
    mailbox_escalate_late,
    mailbox_submit,
)
from .retention import (
    evaluation_anonymise_before,
    feedback_retention_run,
    mailbox_anonymise_before,
)

__all__ = [
    "case_close",
    "case_contact_reveal",
    "case_escalate_late",
    "case_open",
    "evaluation_anonymise_before",
    "evaluation_invite",
    "evaluation_invite_finished_tickets",
    "evaluation_record",
    "feedback_retention_run",
    "invitation_check",
    "mailbox_anonymise_before",
    "mailbox_answer",
    "mailbox_attachment_open",
    "mailbox_contact_reveal",
    "mailbox_escalate_late",
    "mailbox_submit",
    "ticket_subject_ref",
]
