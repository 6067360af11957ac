"""feedback's answers to the residents' account events of accounts/signals.py. Connected in
FeedbackConfig.ready().

Mailbox messages are the resident's when written with their verified mobile number (the
follow-up code went there); evaluations when they rate a visit of the resident's bookings (or a
walk-in ticket taken with that number). The ratings of document requests are answered by
documents, which knows whose requests they are (documents/receivers.py). A deleted account
leaves its messages and ratings anonymised by the retention rules (feedback/actions/retention.py);
a message still being handled keeps its text for the office that must answer it."""

from django.dispatch import receiver

from accounts.actions import resident_deleting
from accounts.selectors import resident_data_requested

from . import actions, selectors


def _visits(user, id_number_hmac: str) -> list[str]:
    return selectors.counter_subject_refs_for_resident(user=user, id_number_hmac=id_number_hmac)


@receiver(resident_deleting, dispatch_uid="feedback.anonymise_resident_feedback")
def anonymise_feedback(sender, *, user, id_number_hmac: str, **kwargs) -> int:
    messages = actions.mailbox_anonymise_for_resident(user=user)
    ratings = actions.evaluation_anonymise_for_subjects(
        subject_refs=_visits(user, id_number_hmac)
    )
    return messages + ratings


@receiver(resident_data_requested, dispatch_uid="feedback.resident_feedback_export")
def feedback_export(sender, *, user, id_number_hmac: str, **kwargs) -> dict:
    items = selectors.mailbox_list_for_resident(user=user)
    visits = selectors.evaluation_data_for_subjects(subject_refs=_visits(user, id_number_hmac))
    return {
        "mailbox": [selectors.mailbox_data(item) for item in items],
        "evaluations": list(visits.values()),
    }
