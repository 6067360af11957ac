"""A resident's data export lists their document requests; deleting the account withdraws the
open ones and keeps the decided ones (records the bureau must keep) without the account."""

import pytest

from accounts.actions import resident_data_export, resident_delete
from documents.models import DocumentRequest

from .factories import request_in, resident

pytestmark = pytest.mark.django_db


def test_the_data_export_lists_the_residents_requests_with_masked_numbers(
    django_capture_on_commit_callbacks,
):
    user = resident()
    mine = request_in("under_review", user=user)
    request_in("submitted", user=resident("13900139000"))  # someone else's
    data = resident_data_export(user=user)
    [exported] = data["document_requests"]
    assert exported["reference"] == mine.reference
    assert exported["status"] == "under_review"
    assert exported["holder_id_number_masked"] == mine.holder_id_masked
    assert "*" in exported["holder_id_number_masked"]
    assert exported["certificate"] is None


def test_deleting_the_account_withdraws_open_requests_and_unlinks_decided_ones(
    django_capture_on_commit_callbacks,
):
    user = resident()
    still_open = request_in("under_review", user=user)
    decided = request_in("rejected", user=user, office=still_open.office,
                         doc_type=still_open.doc_type)
    with django_capture_on_commit_callbacks(execute=True):
        resident_delete(user=user)
    still_open.refresh_from_db()
    decided.refresh_from_db()
    assert still_open.status == "withdrawn" and still_open.user_id is None
    assert decided.status == "rejected" and decided.user_id is None
    assert DocumentRequest.objects.count() == 2


def test_the_rating_of_a_request_is_exported_with_it_and_anonymised_with_the_account(
    django_capture_on_commit_callbacks,
):
    from feedback import actions as feedback_actions
    from feedback.models import Evaluation
    from feedback.tests.factories import invite

    user = resident()
    decided = request_in("rejected", user=user)
    invitation, token = invite(
        decided.office, decided.doc_type.service, kind="document",
        ref=feedback_actions.request_subject_ref(decided.pk), email="zhang@example.com",
    )
    feedback_actions.evaluation_record(token=token, rating=1, comment="理由不清楚")

    [exported] = resident_data_export(user=user)["document_requests"]
    assert exported["evaluation"]["rating"]["comment"] == "理由不清楚"
    assert exported["evaluation"]["email"] == "zhang@example.com"

    with django_capture_on_commit_callbacks(execute=True):
        resident_delete(user=user)
    invitation.refresh_from_db()
    assert (invitation.phone, invitation.email) == ("", "")
    assert Evaluation.objects.get(invitation=invitation).comment == ""
    assert Evaluation.objects.get(invitation=invitation).rating == 1
