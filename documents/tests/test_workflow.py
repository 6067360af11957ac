"""The state machine: every (status, transition) pair, by the actor who may ask for it."""

import pytest
from django.core import mail

from accounts.models import AuditEntry
from accounts.tests.factories import staff
from core.errors import IllegalTransition
from documents import workflow
from documents.actions.errors import MessageRequired, ReasonRequired, TransitionNotAllowed
from documents.constants import (
    RESIDENT_TRANSITIONS,
    STAFF_TRANSITIONS,
    TRANSITIONS,
    RequestStatus,
    Transition,
)
from documents.models import DocumentRequest, RequestEvent
from notifications.models import Message

from .factories import request_in, resident

pytestmark = pytest.mark.django_db
S, T = RequestStatus, Transition
PAIRS = [(status, transition) for status in S.values for transition in T.values]


def _actor_for(req: DocumentRequest, transition: str):
    if transition in RESIDENT_TRANSITIONS:
        return req.user
    if transition in STAFF_TRANSITIONS:
        return staff("reviewer", req.office)
    return None


def _snapshot(req: DocumentRequest) -> dict:
    req.refresh_from_db()
    return {f.attname: getattr(req, f.attname) for f in DocumentRequest._meta.concrete_fields}


@pytest.mark.parametrize(("status", "transition"), PAIRS)
def test_each_transition_succeeds_where_the_table_allows_it_and_changes_nothing_elsewhere(
    status, transition, django_capture_on_commit_callbacks
):
    req = request_in(status, user=resident())
    actor = _actor_for(req, transition)
    sources, target = TRANSITIONS[transition]
    before = _snapshot(req)
    events = RequestEvent.objects.count()
    if status in sources:
        with django_capture_on_commit_callbacks(execute=True):
            workflow.request_transition(
                request=req, transition=transition, actor=actor, message="原因"
            )
        assert req.status == target
        assert DocumentRequest.objects.get(pk=req.pk).status == target
        event = RequestEvent.objects.get(request=req)
        assert (event.from_status, event.to_status) == (status, target)
        assert event.transition == transition
        entry = AuditEntry.objects.filter(object_id=str(req.pk), action="status_change").get()
        assert entry.details["transition"] == transition
    else:
        with pytest.raises(IllegalTransition):
            workflow.request_transition(
                request=req, transition=transition, actor=actor, message="原因"
            )
        assert _snapshot(req) == before
        assert RequestEvent.objects.count() == events


def test_an_unknown_transition_is_illegal():
    req = request_in(S.SUBMITTED, user=resident())
    with pytest.raises(IllegalTransition):
        workflow.request_transition(request=req, transition="teleport", actor=req.user)


@pytest.mark.parametrize("transition", sorted(STAFF_TRANSITIONS))
def test_a_resident_cannot_take_a_staff_decision_on_their_own_request(transition):
    status = next(iter(TRANSITIONS[transition][0]))
    req = request_in(status, user=resident())
    with pytest.raises(TransitionNotAllowed):
        workflow.request_transition(request=req, transition=transition, actor=req.user,
                                    message="x")
    assert DocumentRequest.objects.get(pk=req.pk).status == status


def test_staff_of_another_office_cannot_decide_and_a_clerk_cannot_either():
    req = request_in(S.SUBMITTED, user=resident())
    elsewhere = staff("reviewer", request_in(S.DRAFT).office)
    clerk = staff("clerk", req.office)
    for actor in (elsewhere, clerk):
        with pytest.raises(TransitionNotAllowed):
            workflow.request_transition(request=req, transition=T.START_REVIEW, actor=actor)
    assert DocumentRequest.objects.get(pk=req.pk).status == S.SUBMITTED


def test_only_the_owner_withdraws_and_only_the_system_issues():
    req = request_in(S.SUBMITTED, user=resident())
    stranger = resident("13900139000")
    with pytest.raises(TransitionNotAllowed):
        workflow.request_transition(request=req, transition=T.WITHDRAW, actor=stranger)
    approved = request_in(S.APPROVED, user=resident("13700137000"))
    with pytest.raises(TransitionNotAllowed):
        workflow.request_transition(
            request=approved, transition=T.ISSUE, actor=staff("manager", approved.office)
        )


def test_asking_for_information_needs_a_message_and_refusing_needs_a_reason():
    req = request_in(S.UNDER_REVIEW, user=resident())
    reviewer = staff("reviewer", req.office)
    with pytest.raises(MessageRequired):
        workflow.request_transition(request=req, transition=T.REQUEST_INFO, actor=reviewer,
                                    message="  ")
    with pytest.raises(ReasonRequired):
        workflow.request_transition(request=req, transition=T.REJECT, actor=reviewer)
    assert DocumentRequest.objects.get(pk=req.pk).status == S.UNDER_REVIEW


def test_the_resident_is_told_by_sms_and_email_in_their_language(
    django_capture_on_commit_callbacks,
):
    req = request_in(S.UNDER_REVIEW, user=resident(), language="en")
    reviewer = staff("reviewer", req.office)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.request_transition(request=req, transition=T.REQUEST_INFO, actor=reviewer,
                                    message="Please upload a sharper photo.")
    sms = Message.objects.get(channel="sms", kind="document_request_info")
    assert "more information" in sms.body and "sharper photo" in sms.body  # English on purpose
    assert req.reference in mail.outbox[0].subject


def test_starting_the_review_records_the_reviewer_and_does_not_message_the_resident(
    django_capture_on_commit_callbacks,
):
    req = request_in(S.SUBMITTED, user=resident())
    reviewer = staff("reviewer", req.office)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.request_transition(request=req, transition=T.START_REVIEW, actor=reviewer)
    assert req.reviewer == reviewer
    assert not Message.objects.exists()
