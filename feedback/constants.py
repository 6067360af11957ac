"""Kinds, statuses, ratings, tags and the allowed transitions of feedback, as plain tables."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.codes import UNAMBIGUOUS_ALPHABET


class InvitationKind(models.TextChoices):
    COUNTER = "counter", _("Counter visit")
    DOCUMENT = "document", _("Document request")


# The national five-point scale of 好差评, worst first (the order of the radio group).
RATING_LABELS: dict[int, str] = {
    1: _("Very dissatisfied"),
    2: _("Dissatisfied"),
    3: _("Neutral"),
    4: _("Satisfied"),
    5: _("Very satisfied"),
}
LOW_RATINGS = (1, 2)  # a rating of 1 or 2 opens a follow-up case

# Fixed tags (code → label): codes are stored, labels follow the reader's language.
TAGS: dict[str, str] = {
    "long_wait": _("Long waiting time"),
    "friendly": _("Friendly staff"),
    "efficient": _("Efficient service"),
    "unclear_materials": _("Unclear list of required documents"),
    "rude": _("Unfriendly attitude"),
    "repeat_visits": _("Had to come more than once"),
    "clear_guidance": _("Clear explanations"),
    "hard_to_find": _("Hard to find the office or counter"),
    "easy_to_apply": _("Easy to apply online"),
    "slow_decision": _("Took long to decide"),
    "asked_again": _("Asked for more materials more than once"),
}
# What a resident may say about each kind of visit: no waiting room or counter in an online
# request, no online form at a counter.
TAGS_BY_KIND: dict[str, tuple[str, ...]] = {
    InvitationKind.COUNTER: (
        "long_wait", "friendly", "efficient", "unclear_materials", "rude", "repeat_visits",
        "clear_guidance", "hard_to_find",
    ),
    InvitationKind.DOCUMENT: (
        "easy_to_apply", "efficient", "clear_guidance", "unclear_materials", "slow_decision",
        "asked_again",
    ),
}  # fmt: skip


def tags_for(kind: str) -> dict[str, str]:
    return {code: TAGS[code] for code in TAGS_BY_KIND[kind]}
COMMENT_MAX = 500
ACTION_MAX = 2000


class CaseStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("case", "Open")
    CLOSED = "closed", pgettext_lazy("case", "Closed")


class MailboxCategory(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")
    CONSULTATION = "consultation", _("Question")
    PRAISE = "praise", _("Praise")
    MISCONDUCT = "misconduct", _("Report of staff misconduct")
    OTHER = "other", _("Other")


class MailboxStatus(models.TextChoices):
    RECEIVED = "received", _("Received, being handled")
    ANSWERED = "answered", _("Answered")


CASE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    CaseStatus.OPEN: (CaseStatus.CLOSED,),
    CaseStatus.CLOSED: (),
}
MAILBOX_TRANSITIONS: dict[str, tuple[str, ...]] = {
    MailboxStatus.RECEIVED: (MailboxStatus.ANSWERED,),
    MailboxStatus.ANSWERED: (),
}

MAILBOX_TEXT_MAX = 5000
MAILBOX_ANSWER_MAX = 5000
# References and follow-up codes: no 0/O, 1/I/L, so a reference read out on the phone is
# unambiguous. 8 characters of 31 are about 40 bits: not guessable, never sequential.
REFERENCE_ALPHABET = UNAMBIGUOUS_ALPHABET
REFERENCE_LENGTH = 8
FOLLOW_CODE_DIGITS = 6
