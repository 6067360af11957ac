"""The request actions: drafts with personal data, materials, submission (once), the approval
with a fresh second factor, and the four-eyes rule for refusals and revocations."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction  # noqa: F401 (skipif reads connection)
from django.utils import timezone

from accounts.models import AuditEntry
from accounts.tests.factories import staff
from core.crypto import decrypt_text
from core.errors import IllegalTransition
from core.uploads import check_upload, private_storage
from documents import actions
from documents.constants import MaterialKind, Purpose, RequestStatus, Transition
from documents.models import Certificate, DocumentRequest, PendingDecision, RequestMaterial

from .factories import (
    ID_NUMBER,
    OTHER_ID,
    DocumentTypeFactory,
    add_material,
    pdf_upload,
    request_in,
    resident,
)

pytestmark = pytest.mark.django_db
S, T = RequestStatus, Transition


def draft_values(**extra) -> dict:
    values = {
        "applicant_name": "张三", "applicant_id": ID_NUMBER, "phone": "13800138000",
        "purpose": Purpose.VISA, "receiving_org": "某国驻华使馆",
        "period_from": dt.date(2016, 1, 1), "period_to": dt.date(2026, 1, 1),
    }
    return {**values, **extra}


@pytest.fixture
def doc_type():
    return DocumentTypeFactory()


def test_a_draft_keeps_the_id_number_encrypted_with_its_digest_and_mask(doc_type, office):
    user = resident()
    req = actions.request_draft_create(doc_type=doc_type, office=office, user=user,
                                       **draft_values())
    assert req.status == S.DRAFT
    assert ID_NUMBER not in req.applicant_id_enc and decrypt_text(req.holder_id_enc) == ID_NUMBER
    assert req.holder_id_masked == "430***********" + ID_NUMBER[-4:]
    assert req.holder_name == "张三" and not req.on_behalf
    prefix, month, tail = req.reference.split("-")
    assert prefix == "WFZ" and len(month) == 4 and len(tail) == 6
    assert not set(tail) & set("01OIL")


def test_references_are_random_not_sequential(doc_type, office):
    refs = {
        actions.request_draft_create(doc_type=doc_type, office=office,
                                     user=resident(f"1380013800{i}"), **draft_values()).reference
        for i in range(5)
    }
    assert len(refs) == 5
    tails = sorted(ref.rsplit("-", 1)[1] for ref in refs)
    assert len({t[:3] for t in tails}) > 1


def test_for_someone_else_the_holder_is_the_other_person(doc_type, office):
    req = actions.request_draft_create(
        doc_type=doc_type, office=office, user=resident(), on_behalf=True, holder_name="李四",
        holder_id=OTHER_ID, **draft_values(),
    )
    assert req.holder_name == "李四" and decrypt_text(req.holder_id_enc) == OTHER_ID
    assert actions.materials_missing(req) == [MaterialKind.ID_FRONT, MaterialKind.ID_BACK,
                                              MaterialKind.AUTHORISATION]


def test_a_wrong_id_number_creates_nothing(doc_type, office):
    bad = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")
    with pytest.raises(ValidationError):
        actions.request_draft_create(doc_type=doc_type, office=office, user=resident(),
                                     **draft_values(applicant_id=bad))
    assert not DocumentRequest.objects.exists()


def test_an_office_that_does_not_offer_the_document_is_refused(doc_type):
    from services.tests.factories import OfficeFactory

    with pytest.raises(actions.OfficeNotOffering):
        actions.request_draft_create(doc_type=doc_type, office=OfficeFactory(), user=resident(),
                                     **draft_values())


def test_the_period_must_be_in_order_even_past_the_form(doc_type, office):
    with pytest.raises(IntegrityError), transaction.atomic():
        actions.request_draft_create(
            doc_type=doc_type, office=office, user=resident(),
            **draft_values(period_from=dt.date(2026, 1, 1), period_to=dt.date(2025, 1, 1)),
        )


def test_submitting_needs_both_sides_of_the_id_card(django_capture_on_commit_callbacks):
    user = resident()
    req = request_in(S.DRAFT, user=user, submitted_at=None, due_on=None)
    add_material(req, MaterialKind.ID_FRONT)
    with pytest.raises(actions.MaterialsMissing):
        actions.request_submit(request=req, actor=user)
    add_material(req, MaterialKind.ID_BACK)
    with django_capture_on_commit_callbacks(execute=True):
        actions.request_submit(request=req, actor=user)
    assert req.status == S.SUBMITTED and req.due_on is not None
    user.resident_profile.refresh_from_db()
    assert user.resident_profile.id_masked == req.applicant_id_masked  # the account is bound


def test_a_second_click_on_submit_changes_nothing(django_capture_on_commit_callbacks):
    user = resident()
    req = request_in(S.DRAFT, user=user, submitted_at=None, due_on=None)
    add_material(req, MaterialKind.ID_FRONT)
    add_material(req, MaterialKind.ID_BACK)
    actions.request_submit(request=req, actor=user)
    again = actions.request_submit(request=DocumentRequest.objects.get(pk=req.pk), actor=user)
    assert again.status == S.SUBMITTED
    assert req.events.filter(transition=T.SUBMIT).count() == 1


def test_someone_else_cannot_submit_or_add_to_a_draft():
    req = request_in(S.DRAFT, user=resident())
    stranger = resident("13900139000")
    with pytest.raises(actions.TransitionNotAllowed):
        actions.request_submit(request=req, actor=stranger)
    with pytest.raises(actions.TransitionNotAllowed):
        actions.material_add(request=req, actor=stranger, kind=MaterialKind.OTHER,
                             checked=check_upload(pdf_upload()))


def test_materials_are_stored_privately_and_removed_with_the_draft_only(
    django_capture_on_commit_callbacks,
):
    user = resident()
    req = request_in(S.DRAFT, user=user)
    material = actions.material_add(request=req, actor=user, kind=MaterialKind.AUTHORISATION,
                                    checked=check_upload(pdf_upload()))
    assert material.content_type == "application/pdf" and len(material.sha256) == 64
    assert private_storage.exists(material.file.name)
    name = material.file.name
    with django_capture_on_commit_callbacks(execute=True):
        actions.material_remove(material=material, actor=user)
    assert not private_storage.exists(name) and not RequestMaterial.objects.exists()
    submitted = request_in(S.SUBMITTED, user=user)
    with pytest.raises(actions.RequestNotEditable):
        actions.material_add(request=submitted, actor=user, kind=MaterialKind.OTHER,
                             checked=check_upload(pdf_upload()))


def test_while_more_information_is_asked_the_resident_adds_a_file_and_resubmits():
    user = resident()
    req = request_in(S.NEEDS_INFO, user=user)
    actions.material_add(request=req, actor=user, kind=MaterialKind.OTHER,
                         checked=check_upload(pdf_upload()))
    actions.request_resubmit(request=req, actor=user, reply="已补充")
    assert req.status == S.RESUBMITTED
    assert req.events.get(transition=T.RESUBMIT).message == "已补充"


# --- approval -----------------------------------------------------------------------------------


def test_approving_needs_a_fresh_second_factor():
    req = request_in(S.UNDER_REVIEW, user=resident())
    reviewer = staff("reviewer", req.office)
    stale = timezone.now() - dt.timedelta(minutes=6)
    for when in (None, stale):
        with pytest.raises(actions.SecondFactorStale):
            actions.request_approve(request=req, actor=reviewer, second_factor_at=when)
    assert DocumentRequest.objects.get(pk=req.pk).status == S.UNDER_REVIEW
    assert not Certificate.objects.exists()


def test_approving_records_the_decision_and_prepares_the_certificate():
    req = request_in(S.UNDER_REVIEW, user=resident())
    reviewer = staff("reviewer", req.office)
    actions.request_approve(request=req, actor=reviewer, second_factor_at=timezone.now())
    assert req.status == S.APPROVED and req.decided_by == reviewer
    assert Certificate.objects.get(request=req).holder_id_masked == req.holder_id_masked


# --- four eyes ----------------------------------------------------------------------------------


@pytest.fixture
def two_officers():
    req = request_in(S.UNDER_REVIEW, user=resident())
    return req, staff("reviewer", req.office), staff("manager", req.office)


def test_a_refusal_takes_effect_only_when_a_second_officer_confirms(
    two_officers, django_capture_on_commit_callbacks
):
    req, first, second = two_officers
    decision = actions.decision_propose(request=req, actor=first, transition=T.REJECT,
                                        reason="材料不实")
    assert DocumentRequest.objects.get(pk=req.pk).status == S.UNDER_REVIEW
    with pytest.raises(actions.OwnProposal):
        actions.decision_confirm(decision=decision, actor=first)
    with pytest.raises(actions.DecisionPending):
        actions.request_approve(request=req, actor=second, second_factor_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        done = actions.decision_confirm(decision=decision, actor=second)
    assert done.status == S.REJECTED and done.decision_reason == "材料不实"
    decision.refresh_from_db()
    assert decision.outcome == "confirmed" and decision.confirmed_by == second


def test_a_declined_refusal_changes_nothing_and_the_review_goes_on(two_officers):
    req, first, second = two_officers
    decision = actions.decision_propose(request=req, actor=first, transition=T.REJECT,
                                        reason="材料不实")
    actions.decision_decline(decision=decision, actor=second)
    assert DocumentRequest.objects.get(pk=req.pk).status == S.UNDER_REVIEW
    with pytest.raises(actions.NoPendingDecision):
        actions.decision_confirm(decision=decision, actor=second)
    actions.decision_propose(request=req, actor=second, transition=T.REJECT, reason="再议")


def test_a_refusal_needs_a_reason_and_only_one_is_open_at_a_time(two_officers):
    req, first, second = two_officers
    with pytest.raises(actions.ReasonRequired):
        actions.decision_propose(request=req, actor=first, transition=T.REJECT, reason=" ")
    actions.decision_propose(request=req, actor=first, transition=T.REJECT, reason="一")
    with pytest.raises(actions.DecisionPending):
        actions.decision_propose(request=req, actor=second, transition=T.REJECT, reason="二")


def test_the_database_refuses_a_proposer_confirming_their_own_decision(two_officers):
    req, first, _second = two_officers
    decision = actions.decision_propose(request=req, actor=first, transition=T.REJECT,
                                        reason="一")
    with pytest.raises(IntegrityError), transaction.atomic():
        PendingDecision.objects.filter(pk=decision.pk).update(confirmed_by=first)


def test_a_revocation_is_proposed_on_an_issued_request_only_and_confirmed_with_a_fresh_code():
    from documents.actions.certificates import certificate_prepare

    req = request_in(S.ISSUED, user=resident())
    certificate = certificate_prepare(request=req)
    first, second = staff("reviewer", req.office), staff("manager", req.office)
    with pytest.raises(IllegalTransition):
        actions.decision_propose(request=request_in(S.UNDER_REVIEW, user=resident("139")),
                                 actor=first, transition=T.REVOKE, reason="x")
    decision = actions.decision_propose(request=req, actor=first, transition=T.REVOKE,
                                        reason="证明被篡改")
    with pytest.raises(actions.SecondFactorStale):
        actions.decision_confirm(decision=decision, actor=second)
    done = actions.decision_confirm(decision=decision, actor=second,
                                    second_factor_at=timezone.now())
    assert done.status == S.REVOKED
    certificate.refresh_from_db()
    assert certificate.status == "revoked" and certificate.revoked_reason == "证明被篡改"


def test_withdrawing_closes_a_pending_refusal(two_officers):
    req, first, _second = two_officers
    actions.decision_propose(request=req, actor=first, transition=T.REJECT, reason="一")
    actions.request_withdraw(request=req, actor=req.user)
    assert req.status == S.WITHDRAWN
    assert PendingDecision.objects.get(request=req).outcome == "void"


def test_staff_reads_are_audited_with_the_holders_digest():
    req = request_in(S.SUBMITTED, user=resident())
    reviewer = staff("reviewer", req.office)
    actions.request_read_record(request=req, actor=reviewer, what="request")
    entry = AuditEntry.objects.get(action="view", object_id=str(req.pk))
    assert entry.subject_hmac == req.holder_id_hmac and entry.actor == reviewer


# --- races (PostgreSQL: row locks) ---------------------------------------------------------------

on_postgres = pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="race tests need PostgreSQL (SQLite serialises every write, so a race proves nothing)",
)


def _at_once(count: int, call) -> list:
    """Run `call` in `count` threads released together; the results or exceptions."""
    import threading

    from django.db import connections

    barrier, results = threading.Barrier(count), []

    def run():
        try:
            barrier.wait()
            results.append(call())
        except Exception as error:  # the refusals are the point
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_eight_clicks_on_submit_at_once_submit_once():
    user = resident()
    req = request_in(S.DRAFT, user=user, submitted_at=None, due_on=None)
    add_material(req, MaterialKind.ID_FRONT)
    add_material(req, MaterialKind.ID_BACK)
    results = _at_once(8, lambda: actions.request_submit(
        request=DocumentRequest.objects.get(pk=req.pk), actor=user))
    assert all(isinstance(r, DocumentRequest) for r in results), results
    assert req.events.filter(transition=T.SUBMIT).count() == 1


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_approving_at_once_make_one_decision_and_one_certificate():
    req = request_in(S.UNDER_REVIEW, user=resident())
    officers = [staff("reviewer", req.office), staff("manager", req.office)]
    turn = iter(officers * 4)
    results = _at_once(8, lambda: actions.request_approve(
        request=DocumentRequest.objects.get(pk=req.pk), actor=next(turn),
        second_factor_at=timezone.now()))
    assert sum(isinstance(r, DocumentRequest) for r in results) == 1
    assert all(isinstance(r, IllegalTransition) for r in results
               if not isinstance(r, DocumentRequest))
    assert Certificate.objects.filter(request=req).count() == 1
    assert req.events.filter(transition=T.APPROVE).count() == 1
