"""The reviewer console: the queue by due date, the request with its materials, one action each,
the fresh second factor, four eyes, office scoping and the audit of every look."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from accounts.tests.factories import staff, totp_device, totp_now
from documents.constants import MaterialKind, RequestStatus
from documents.models import Certificate, DocumentRequest, PendingDecision

from .certificate_helpers import issued, signing_keys, stored_pdf  # noqa: F401
from .factories import add_material, request_in, resident

pytestmark = pytest.mark.django_db
S = RequestStatus
QUEUE = reverse("review:queue")


def detail(req) -> str:
    return reverse("review:detail", args=[req.reference])


def act(req, action: str) -> str:
    return reverse("review:action", args=[req.reference, action])


@pytest.fixture
def req():
    return request_in(S.SUBMITTED, user=resident())


@pytest.fixture
def reviewer(req):
    return staff("reviewer", req.office)


@pytest.fixture
def console(verified_client, reviewer):
    return verified_client(reviewer)


def test_the_queue_is_ordered_by_due_date_and_marks_late_requests(console, req):
    today = timezone.localdate()
    late = request_in(S.UNDER_REVIEW, user=resident("13900139000"), office=req.office,
                      doc_type=req.doc_type, due_on=today - dt.timedelta(days=3))
    request_in(S.SUBMITTED, user=resident("13700137000"))  # another office
    response = console.get(QUEUE)
    rows = response.context["rows"]
    assert [r.request for r in rows] == [late, req]
    assert rows[0].deadline.late and not rows[1].deadline.late
    assert "doc-late" in response.content.decode()
    only_late = console.get(QUEUE + "?show=late").context["rows"]
    assert [r.request for r in only_late] == [late]


def test_another_offices_request_and_its_files_are_not_found(verified_client, req):
    elsewhere = staff("reviewer", request_in(S.DRAFT).office)
    material = add_material(req, MaterialKind.ID_FRONT)
    client = verified_client(elsewhere)
    assert client.get(detail(req)).status_code == 404
    assert client.get(reverse("review:material", args=[req.reference, material.pk])
                      ).status_code == 404
    assert client.post(act(req, "info"), {"info-message": "x"}).status_code == 404


def test_the_console_needs_the_second_factor_and_a_reviewers_role(client, req, reviewer):
    client.force_login(reviewer)  # password only
    assert client.get(QUEUE).status_code == 302
    client.force_login(resident("13900139000"))
    assert client.get(QUEUE).status_code == 302


def test_opening_a_request_starts_the_review_and_is_audited(console, req, reviewer):
    response = console.get(detail(req))
    assert response.status_code == 200
    req.refresh_from_db()
    assert req.status == S.UNDER_REVIEW and req.reviewer == reviewer
    assert AuditEntry.objects.filter(action="view", object_id=str(req.pk), actor=reviewer).exists()


def test_a_material_is_shown_inline_to_the_office_and_its_view_is_audited(console, req, reviewer):
    material = add_material(req, MaterialKind.ID_FRONT)
    url = reverse("review:material", args=[req.reference, material.pk])
    response = console.get(url + "?inline=1")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")  # read: closes the file
    entry = AuditEntry.objects.filter(action="view", object_id=str(req.pk)).last()
    assert entry.details["page"] == f"material {material.pk}"


def test_asking_for_information_needs_a_message(console, req):
    console.get(detail(req))
    assert console.post(act(req, "info"), {"info-message": ""}).status_code == 400
    response = console.post(act(req, "info"), {"info-message": "请补充单位证明"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == S.NEEDS_INFO and req.info_request == "请补充单位证明"


def test_approving_asks_for_a_code_then_stays_fresh_for_a_few_minutes(console, req, reviewer):
    console.get(detail(req))
    refused = console.post(act(req, "approve"), {"otp": ""})
    assert refused.status_code == 409
    assert DocumentRequest.objects.get(pk=req.pk).status == S.UNDER_REVIEW
    wrong = console.post(act(req, "approve"), {"otp": "000000"})
    assert wrong.status_code == 409
    device = totp_device(reviewer)
    device.throttle_reset()  # django-otp makes one wait a little after a wrong code
    code = totp_now(device)
    response = console.post(act(req, "approve"), {"otp": code})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status in (S.APPROVED, S.ISSUED) and req.decided_by == reviewer
    assert Certificate.objects.filter(request=req).exists()
    other = request_in(S.UNDER_REVIEW, user=resident("13900139000"), office=req.office,
                       doc_type=req.doc_type)
    page = console.get(detail(other)).content.decode()
    assert 'name="otp"' not in page  # fresh: no second code within the minutes
    assert console.post(act(other, "approve")).status_code == 302


def test_a_refusal_is_proposed_by_one_and_confirmed_by_another(verified_client, req, reviewer,
                                                               django_capture_on_commit_callbacks):
    first = verified_client(reviewer)
    first.get(detail(req))
    first.post(act(req, "refuse"), {"refuse-reason": "单位证明与身份不符"})
    assert DocumentRequest.objects.get(pk=req.pk).status == S.UNDER_REVIEW
    page = first.get(detail(req)).content.decode()
    assert "单位证明与身份不符" in page and act(req, "confirm") not in page
    assert first.post(act(req, "confirm")).status_code == 409  # own proposal
    second = verified_client(staff("manager", req.office))
    assert act(req, "confirm") in second.get(detail(req)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert second.post(act(req, "confirm")).status_code == 302
    req.refresh_from_db()
    assert req.status == S.REJECTED and req.decision_reason == "单位证明与身份不符"
    assert PendingDecision.objects.get(request=req).confirmed_by.username != reviewer.username


def test_a_clerk_cannot_use_the_console(verified_client, req):
    assert verified_client(staff("clerk", req.office)).get(QUEUE).status_code == 403


@pytest.mark.usefixtures("signing_keys")
def test_the_reviewer_opens_and_downloads_the_issued_certificate_and_both_are_audited(
    verified_client, django_capture_on_commit_callbacks
):
    certificate, _code = issued(django_capture_on_commit_callbacks, user=resident())
    req = certificate.request
    reviewer = staff("reviewer", req.office)
    console = verified_client(reviewer)
    url = reverse("review:certificate", args=[req.reference])
    page = console.get(detail(req)).content.decode()
    assert f'href="{url}"' in page and f'href="{url}?download=1"' in page
    assert certificate.number in page

    opened = console.get(url)
    assert opened.status_code == 200 and opened["Content-Type"] == "application/pdf"
    assert opened["Content-Disposition"].startswith("inline")
    assert b"".join(opened.streaming_content) == stored_pdf(certificate)
    saved = console.get(url + "?download=1")
    assert saved["Content-Disposition"].startswith("attachment")
    assert f"{certificate.number}.pdf" in saved["Content-Disposition"]
    assert b"".join(saved.streaming_content).startswith(b"%PDF")
    pages = [e.details["page"] for e in AuditEntry.objects.filter(
        action="view", object_id=str(req.pk), actor=reviewer).order_by("id")]
    assert pages[-2:] == ["certificate", "certificate download"]


def test_no_certificate_pdf_for_another_office_or_before_issue(verified_client, req, reviewer):
    url = reverse("review:certificate", args=[req.reference])
    assert verified_client(reviewer).get(url).status_code == 404  # not issued yet
    other = staff("reviewer", request_in(S.SUBMITTED, user=resident("13900139000")).office)
    assert verified_client(other).get(url).status_code == 404


def test_a_service_decided_by_two_officers_is_approved_only_when_a_second_confirms(
    verified_client, req, reviewer, django_capture_on_commit_callbacks
):
    type(req.doc_type).objects.filter(pk=req.doc_type_id).update(review_officers=2)
    first = verified_client(reviewer)
    first.get(detail(req))
    device = totp_device(reviewer)
    assert first.post(act(req, "approve"), {"otp": totp_now(device)}).status_code == 302
    req.refresh_from_db()
    assert req.status == S.UNDER_REVIEW and not Certificate.objects.filter(request=req).exists()
    assert first.post(act(req, "confirm")).status_code == 409  # not one's own proposal
    manager = staff("manager", req.office)
    second = verified_client(manager)
    page = second.get(detail(req)).content.decode()
    assert act(req, "confirm") in page and 'name="otp"' in page  # a fresh code to confirm
    with django_capture_on_commit_callbacks(execute=True):
        done = second.post(act(req, "confirm"), {"otp": totp_now(totp_device(manager))})
    assert done.status_code == 302
    req.refresh_from_db()
    assert req.status in (S.APPROVED, S.ISSUED) and req.decided_by == manager
    assert Certificate.objects.filter(request=req).exists()
