"""A decided request invites the resident to rate it (好差评) and counts in the statistics."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from accounts.tests.factories import staff
from documents import workflow
from documents.constants import Transition
from documents.selectors import request_decisions_by_office_day
from feedback.models import Invitation

from .factories import request_in, resident

pytestmark = pytest.mark.django_db


def test_a_refusal_invites_the_resident_once_to_rate_the_request(
    django_capture_on_commit_callbacks,
):
    req = request_in("under_review", user=resident())
    with django_capture_on_commit_callbacks(execute=True):
        workflow.request_transition(
            request=req, transition=Transition.REJECT, actor=staff("reviewer", req.office),
            message="材料不全",
        )
    invitation = Invitation.objects.get(subject_ref=f"request:{req.pk}")
    assert invitation.kind == "document"
    assert invitation.office_id == req.office_id
    assert invitation.service_id == req.doc_type.service_id


def test_approving_alone_does_not_invite_before_the_certificate_is_issued():
    req = request_in("under_review", user=resident())
    workflow.request_transition(
        request=req, transition=Transition.APPROVE, actor=staff("reviewer", req.office)
    )
    assert not Invitation.objects.filter(subject_ref=f"request:{req.pk}").exists()


def test_decisions_are_counted_per_office_service_and_day_with_those_in_time():
    on_time = request_in("under_review", user=resident())
    late = request_in("under_review", user=resident("13900139000"), office=on_time.office,
                      doc_type=on_time.doc_type)
    today = timezone.localdate()
    on_time.due_on, late.due_on = today, today - dt.timedelta(days=2)
    on_time.save(update_fields=["due_on"])
    late.save(update_fields=["due_on"])
    reviewer = staff("reviewer", on_time.office)
    for req in (on_time, late):
        workflow.request_transition(request=req, transition=Transition.APPROVE, actor=reviewer)
    rows = request_decisions_by_office_day(first=today, last=today)
    assert rows == [{
        "office_id": on_time.office_id, "service_id": on_time.doc_type.service_id, "day": today,
        "decided": 2, "decided_in_time": 1, "in_bundle": 0,
    }]
    with time_machine.travel(timezone.now() + dt.timedelta(days=3)):
        assert request_decisions_by_office_day(first=today + dt.timedelta(days=1),
                                               last=today + dt.timedelta(days=3)) == []
