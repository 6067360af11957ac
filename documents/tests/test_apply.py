"""Online services defined by configuration: one action (request_apply) holds the rules; the
resident's page and the API both reach it; a request keeps the form version it was made with."""

import base64
import json

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from accounts.actions import api_client_create
from documents import actions
from documents.constants import RequestStatus
from documents.form_catalogue import SEED_SERVICES, field, material, option
from documents.models import DocumentRequest, RequestMaterial
from services.tests.factories import ServiceFactory

from .factories import (
    ID_NUMBER,
    OTHER_ID,
    DocumentTypeFactory,
    office_for,
    pdf_bytes,
    png_bytes,
    png_upload,
    resident,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def seeded(code: str):
    """A document type made from the demo seed's definition of a catalogue service."""
    values = dict(dict(SEED_SERVICES)[code])
    service = ServiceFactory(code=code, channel="both", materials=0)
    return DocumentTypeFactory(service=service, **values)


@pytest.fixture
def kinship():
    """户籍证明: the relative's name and ID number are asked only for a kinship certificate."""
    return seeded("hz-household-certificate")


def person(**changed) -> dict:
    values = {"applicant_name": "张三", "applicant_id": ID_NUMBER, "phone": "13800138000"}
    values.update(changed)
    return values


def checked_png():
    from core.uploads import check_upload

    return check_upload(png_upload())


ID_FILES = [("id_front", None), ("id_back", None)]


def uploads(*kinds: str):
    return [(kind, checked_png()) for kind in kinds]


def test_a_configured_service_is_applied_for_and_keeps_its_answers(kinship):
    office = office_for(kinship)
    req = actions.request_apply(
        doc_type=kinship, office=office, user=resident(), **person(),
        answers={"kind": "kinship", "relative_name": "李四", "relative_id": OTHER_ID.lower(),
                 "receiving_org": "星城人民法院"},
        uploads=uploads("id_front", "id_back", "booklet"),
    )
    assert req.status == RequestStatus.DRAFT and req.form_version.number == 1
    assert req.answers["kind"] == "kinship" and req.answers["relative_name"] == "李四"
    # The relative's ID number is shown masked; in full only in the encrypted copy.
    assert OTHER_ID not in str(req.answers) and OTHER_ID not in req.answers_enc
    assert req.answers["relative_id"].endswith(OTHER_ID[-4:])
    assert req.materials.count() == 3


def test_the_conditional_fields_are_required_only_when_shown(kinship):
    office = office_for(kinship)
    with pytest.raises(actions.ApplicationInvalid) as refused:
        actions.request_apply(doc_type=kinship, office=office, user=resident(), **person(),
                              answers={"kind": "kinship", "receiving_org": "法院"},
                              uploads=uploads("id_front", "id_back", "booklet"))
    assert {"relative_name", "relative_id"} <= set(refused.value.errors)
    req = actions.request_apply(
        doc_type=kinship, office=office, user=resident("13800138001"), **person(),
        answers={"kind": "former_name", "relative_name": "不该保存", "receiving_org": "法院"},
        uploads=uploads("id_front", "id_back", "booklet"))
    assert "relative_name" not in req.answers  # a hidden field's value is dropped


@pytest.mark.parametrize(
    ("answers", "key", "words"),
    [
        ({"kind": "nonsense"}, "kind", "Choose one of the options"),
        ({"kind": "kinship", "relative_name": "李四", "relative_id": "123"}, "relative_id",
         "ID number"),
        ({"kind": "former_name", "receiving_org": "x" * 101}, "receiving_org", "too long"),
        ({"kind": "former_name", "receiving_org": "法院", "unknown": 1}, "answers",
         "unknown fields"),
    ],
)
def test_answers_breaking_the_form_are_refused_in_words(kinship, answers, key, words):
    answers.setdefault("receiving_org", "法院")
    with translation.override("en"), pytest.raises(actions.ApplicationInvalid) as refused:
        actions.request_apply(doc_type=kinship, office=office_for(kinship), user=resident(),
                              **person(), answers=answers,
                              uploads=uploads("id_front", "id_back", "booklet"))
    assert words in " ".join(refused.value.errors[key])
    assert not DocumentRequest.objects.exists() and not RequestMaterial.objects.exists()


def test_materials_follow_their_kinds_counts_and_formats():
    doc_type = seeded("hz-temporary-id-card")  # the photo: JPEG or PNG only, one file
    office = office_for(doc_type)
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.uploads import check_upload

    pdf = check_upload(SimpleUploadedFile("photo.pdf", pdf_bytes()))
    with translation.override("en"), pytest.raises(actions.ApplicationInvalid) as refused:
        actions.request_apply(doc_type=doc_type, office=office, user=resident(), **person(),
                              answers={"receipt_number": "R1"},
                              uploads=[("photo", pdf), ("passport", checked_png())])
    errors = refused.value.errors
    assert "JPEG, PNG" in errors["photo"][0]
    assert "receipt" in errors  # required and missing
    assert "not a material of this service" in errors["materials"][0]


def test_a_request_keeps_the_version_it_was_made_with(kinship):
    office = office_for(kinship)
    first = actions.request_apply(
        doc_type=kinship, office=office, user=resident(), **person(),
        answers={"kind": "former_name", "receiving_org": "法院"},
        uploads=uploads("id_front", "id_back", "booklet"))
    kinship.fields = [*kinship.fields, field("reason", "text", "理由", "Reason")]
    kinship.save()
    actions.doc_type_publish(doc_type=kinship)
    assert kinship.version == 2
    # The earlier draft is still checked against version 1 (no "reason" asked) ...
    same = actions.request_apply(
        doc_type=kinship, office=office, user=first.user, **person(), draft=first,
        answers={"kind": "former_name", "receiving_org": "另一法院"})
    assert same.form_version.number == 1 and same.receiving_org == "另一法院"
    # ... while a new application answers version 2.
    with pytest.raises(actions.ApplicationInvalid) as refused:
        actions.request_apply(doc_type=kinship, office=office, user=resident("13800138002"),
                              **person(), answers={"kind": "former_name",
                                                   "receiving_org": "法院"},
                              uploads=uploads("id_front", "id_back", "booklet"))
    assert "reason" in refused.value.errors


def test_publishing_the_same_form_again_makes_no_new_version(kinship):
    first = actions.doc_type_publish(doc_type=kinship)
    assert actions.doc_type_publish(doc_type=kinship) == first


def test_a_broken_definition_is_refused_in_words(kinship):
    kinship.fields = [{"key": "Bad Key", "type": "colour"}]
    with translation.override("en"), pytest.raises(actions.DefinitionInvalid) as refused:
        actions.doc_type_publish(doc_type=kinship)
    assert "not a usable field key" in str(refused.value)


# --- the page ---------------------------------------------------------------------------------


def test_the_page_shows_the_configured_form_and_its_errors_on_the_fields(client, kinship):
    user = resident()
    client.force_login(user)
    office = office_for(kinship)
    url = reverse("documents:request_apply", args=[kinship.code])
    with translation.override("zh-hans"):
        page = client.get(url).content.decode()
    assert "证明类别" in page and "亲属关系证明" in page and "居民户口簿（户主页及本人页）" in page
    data = {"token": "t-1", "office": office.code, "applicant_name": "张三",
            "applicant_id": ID_NUMBER, "phone": "13800138000", "kind": "kinship",
            "receiving_org": "法院", "id_front": png_upload(), "id_back": png_upload("b.png"),
            "booklet": png_upload("booklet.png")}
    with translation.override("en"):
        refused = client.post(reverse("documents:request_apply", args=[kinship.code]), data)
    assert refused.status_code == 200 and "relative_name" in refused.context["form"].errors
    html = refused.content.decode()
    assert 'href="#id_relative_name"' in html  # the summary links to the field
    assert 'aria-invalid="true"' in html
    assert not DocumentRequest.objects.exists()
    data.update(relative_name="李四", relative_id=OTHER_ID, token="t-2",
                id_front=png_upload(), id_back=png_upload("b.png"),
                booklet=png_upload("booklet.png"))
    done = client.post(url, data)
    req = DocumentRequest.objects.get()
    assert done.status_code == 302 and req.answers["relative_name"] == "李四"
    review = client.get(reverse("documents:request_review", args=[req.reference]))
    assert "李四" in review.content.decode() and OTHER_ID not in review.content.decode()


# --- the API ----------------------------------------------------------------------------------


def api(name: str = "platform") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_client_create(name=name)[1]}")
    return client


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def test_the_form_is_published_as_json_schema_with_its_materials(client, kinship):
    office = office_for(kinship)
    response = client.get("/api/v1/services/hz-household-certificate/form/",
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    data = response.json()
    schema = data["schema"]
    assert data["version"] == 1 and data["offices"] == [office.code]
    assert schema["properties"]["kind"]["enum"] == ["deregistration", "former_name", "kinship"]
    assert schema["properties"]["relative_id"]["format"] == "cn-id-number"
    assert {"kind", "receiving_org", "applicant_id_number"} <= set(schema["required"])
    condition = schema["allOf"][0]
    assert condition["if"]["properties"]["kind"] == {"const": "kinship"}
    assert [m["kind"] for m in data["materials"]][:2] == ["id_front", "id_back"]
    required = {m["kind"]: m["required"] for m in data["materials"]}
    assert required["supporting"] == "optional" and required["authorisation"] == "on_behalf"
    zh = client.get("/api/v1/services/household-certificate/form/",
                    HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert zh["schema"]["properties"]["kind"]["title"] == "证明类别"
    assert client.get("/api/v1/services/nothing-here/form/").status_code == 404


def test_any_configured_service_is_applied_for_through_the_api(kinship):
    office = office_for(kinship)
    body = {"service": "hz-household-certificate", "office": office.code,
            "applicant_name": "张三", "applicant_id_number": ID_NUMBER, "phone": "13800138000",
            "kind": "former_name", "receiving_org": "法院",
            "materials": [{"kind": k, "content_base64": b64(png_bytes())}
                          for k in ("id_front", "id_back", "booklet")]}
    response = api().post("/api/v1/applications/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["form_version"] == 1 and response.json()["status"] == "submitted"
    req = DocumentRequest.objects.get(reference=response.json()["reference"])
    assert req.answers == {"kind": "former_name", "receiving_org": "法院"}


@pytest.mark.parametrize(
    "hostile",
    [
        {"kind": ["kinship"]}, {"kind": {"$ne": 1}}, {"receiving_org": 12},
        {"receiving_org": "x" * 5000}, {"service": "../../etc"}, {"service": ["x"]},
        {"materials": "nope"}, {"materials": [{"kind": "../x", "content_base64": "AAAA"}]},
        {"members": 1e308}, {"office": None},
    ],
)
def test_hostile_bodies_get_400_not_500(kinship, hostile):
    office = office_for(kinship)
    body = {"service": "hz-household-certificate", "office": office.code,
            "applicant_name": "张三", "applicant_id_number": ID_NUMBER, "phone": "13800138000",
            "kind": "former_name", "receiving_org": "法院", "materials": []}
    body.update(hostile)
    response = api().post("/api/v1/applications/", body, format="json")
    assert response.status_code == 400, response.content
    assert not DocumentRequest.objects.exists()


def test_api_errors_are_translated(kinship):
    office = office_for(kinship)
    body = {"service": "hz-household-certificate", "office": office.code,
            "applicant_name": "张三", "applicant_id_number": ID_NUMBER, "phone": "13800138000",
            "kind": "kinship", "receiving_org": "法院", "materials": []}
    data = api().post("/api/v1/applications/", body, format="json",
                      HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert set(data) >= {"relative_name", "relative_id", "materials"}
    assert all(not m.isascii() for m in data["relative_name"] + data["materials"])


def test_the_schema_lists_the_form_endpoint(client):
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/services/{code}/form/" in schema and "service_form_retrieve" in schema


def test_every_seeded_service_has_a_valid_definition_in_both_languages():
    from documents.definitions import definition_errors

    assert len(SEED_SERVICES) >= 6
    for code, values in SEED_SERVICES:
        assert definition_errors(values["fields"], values["materials"]) == [], code
        for spec in values["fields"] + values["materials"]:
            assert spec["label_zh"] and spec["label_en"], (code, spec)
        assert values["name_zh"] and values["name_en"] and values["time_limit_days"] >= 1


def test_helpers_build_plain_data():
    assert option("a", "甲", "A") == {"value": "a", "label_zh": "甲", "label_en": "A"}
    assert material("x", "甲", "X")["formats"] == ["pdf", "jpeg", "png"]


def test_a_body_with_nan_is_refused_at_the_door(kinship):
    office = office_for(kinship)
    body = json.dumps({"service": "hz-household-certificate", "office": office.code,
                       "applicant_name": "张三", "applicant_id_number": ID_NUMBER,
                       "phone": "13800138000", "kind": "KIND", "receiving_org": "法院",
                       "materials": []})
    raw = body.replace('"KIND"', "NaN")
    response = api().post("/api/v1/applications/", raw, content_type="application/json")
    assert response.status_code == 400 and not DocumentRequest.objects.exists()
