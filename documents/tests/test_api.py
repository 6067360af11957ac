"""The applications API: an integrating platform applies for a verified resident and follows
the request; only the client that created a request sees it."""

import base64

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.actions import api_client_create
from documents.constants import RequestStatus
from documents.models import DocumentRequest, RequestMaterial

from .factories import ID_NUMBER, pdf_bytes, png_bytes, request_in

pytestmark = pytest.mark.django_db
URL = "/api/v1/applications/"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def client_with(name: str = "platform") -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_client_create(name=name)[1]}")
    return api


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def body(office_, **changed) -> dict:
    data = {
        "document_type": "no-criminal-record", "office": office_.code, "applicant_name": "张三",
        "applicant_id_number": ID_NUMBER, "phone": "13800138000", "purpose": "visa",
        "receiving_org": "某国驻华使馆", "period_from": "2016-01-01", "period_to": "2026-01-01",
        "materials": [
            {"kind": "id_front", "filename": "front.png", "content_base64": b64(png_bytes())},
            {"kind": "id_back", "filename": "back.pdf", "content_base64": b64(pdf_bytes())},
        ],
    }
    data.update(changed)
    return data


def test_without_a_token_nothing_is_created(office):
    assert APIClient().post(URL, body(office), format="json").status_code == 401
    assert not DocumentRequest.objects.exists()


def test_an_application_is_submitted_with_its_due_date(office, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_with().post(URL, body(office), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    req = DocumentRequest.objects.get(reference=data["reference"])
    assert data["status"] == "submitted" and data["due_on"] == req.due_on.isoformat()
    assert req.api_client == "platform" and req.user is None
    assert RequestMaterial.objects.filter(request=req).count() == 2
    assert req.events.get().transition == "submit"


def test_a_retry_with_the_same_key_creates_nothing_new(office):
    api = client_with()
    first = api.post(URL, body(office), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post(URL, body(office), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert DocumentRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("changed", "field"),
    [
        ({"applicant_id_number": "430104199003071230"}, "applicant_id_number"),
        ({"purpose": "other"}, "purpose_other"),
        ({"period_from": "2026-02-01", "period_to": "2026-01-01"}, "period_to"),
        ({"on_behalf": True}, "holder_name"),
        ({"office": "nowhere"}, "office"),
        ({"materials": []}, "materials"),
    ],
)
def test_bad_input_gets_field_errors_and_creates_nothing(office, changed, field):
    response = client_with().post(URL, body(office, **changed), format="json")
    assert response.status_code == 400 and field in response.json()
    assert not DocumentRequest.objects.exists()


@pytest.mark.parametrize(
    "content", [b"MZ\x90\x00" + b"\x00" * 100, b"%PDF-1.4 broken"], ids=["exe", "broken-pdf"]
)
def test_materials_are_checked_like_uploads(office, content, settings):
    materials = [{"kind": "id_front", "content_base64": b64(content)},
                 {"kind": "id_back", "content_base64": b64(png_bytes())}]
    response = client_with().post(URL, body(office, materials=materials), format="json")
    assert response.status_code == 400 and "materials" in response.json()
    assert not RequestMaterial.objects.exists()


def test_the_creator_follows_the_request_and_other_clients_find_nothing(office, doc_type):
    api = client_with()
    reference = api.post(URL, body(office), format="json").json()["reference"]
    DocumentRequest.objects.filter(reference=reference).update(
        status=RequestStatus.REJECTED, decision_reason="材料不实"
    )
    data = api.get(f"{URL}{reference}/").json()
    assert data["status"] == "rejected" and data["decision_reason"] == "材料不实"
    assert data["certificate_number"] is None
    assert client_with("other").get(f"{URL}{reference}/").status_code == 404
    resident_made = request_in(RequestStatus.SUBMITTED, doc_type=doc_type)
    assert api.get(f"{URL}{resident_made.reference}/").status_code == 404


def test_the_schema_lists_the_applications_endpoints(client):
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/applications/" in schema and "applications_create" in schema
