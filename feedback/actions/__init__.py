"""Every write of feedback: invitations, ratings, follow-up cases, the mailbox, retention, and
what a resident's account deletion leaves."""

from ..codes import request_subject_ref, ticket_subject_ref
from .evaluation import (
    case_close,
    case_contact_reveal,
    case_escalate_late,
    case_open,
    evaluation_invite,
    evaluation_invite_finished_tickets,
    evaluation_record,
    invitation_check,
)
from .follow import mailbox_follow_lookup
from .mailbox import (
    mailbox_answer,
    mailbox_attachment_open,
    mailbox_contact_reveal,
    mailbox_escalate_late,
    mailbox_submit,
)
from .resident import evaluation_anonymise_for_subjects, mailbox_anonymise_for_resident
from .retention import (
    evaluation_anonymise_before,
    feedback_retention_run,
    invitation_anonymise,
    mailbox_anonymise,
    mailbox_anonymise_before,
    mailbox_contact_drop,
)

__all__ = [
    "mailbox_follow_lookup",
    "case_close",
    "case_contact_reveal",
    "case_escalate_late",
    "case_open",
    "evaluation_anonymise_before",
    "evaluation_anonymise_for_subjects",
    "evaluation_invite",
    "evaluation_invite_finished_tickets",
    "evaluation_record",
    "feedback_retention_run",
    "invitation_anonymise",
    "invitation_check",
    "mailbox_anonymise",
    "mailbox_anonymise_before",
    "mailbox_anonymise_for_resident",
    "mailbox_answer",
    "mailbox_attachment_open",
    "mailbox_contact_drop",
    "mailbox_contact_reveal",
    "mailbox_escalate_late",
    "mailbox_submit",
    "request_subject_ref",
    "ticket_subject_ref",
]
