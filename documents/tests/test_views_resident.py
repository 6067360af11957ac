"""The resident's pages: apply with uploads, check, submit once, follow, reply, withdraw; files
checked by content and served to their owner only."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from core.uploads import private_orphans_sweep
from documents.constants import MaterialKind, RequestStatus
from documents.models import DocumentRequest, RequestMaterial
from notifications.models import Message

from .factories import (
    ID_NUMBER,
    add_material,
    pdf_upload,
    png_upload,
    request_in,
    resident,
)

pytestmark = pytest.mark.django_db
S = RequestStatus


@pytest.fixture
def user():
    return resident()


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def form_data(office, **extra) -> dict:
    data = {
        "token": "tok-1", "office": office.code, "applicant_name": "张三",
        "applicant_id": ID_NUMBER, "phone": "13800138000", "purpose": "employment",
        "receiving_org": "星城科技有限公司", "period_from": "2016-01-01",
        "period_to": "2026-01-01", "id_front": png_upload(), "id_back": png_upload("b.png"),
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def apply_url(doc_type) -> str:
    return reverse("documents:request_apply", args=[doc_type.code])


def private_files(settings) -> list:
    root = settings.PRIVATE_MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_an_anonymous_visitor_is_sent_to_the_resident_sign_in(client, doc_type):
    response = client.get(apply_url(doc_type))
    assert response.status_code == 302 and reverse("account:signin") in response["Location"]


def test_apply_check_and_submit_gives_a_reference_and_an_sms(signed_in, doc_type, office,
                                                            django_capture_on_commit_callbacks):
    page = signed_in.get(apply_url(doc_type))
    assert page.status_code == 200 and office.name in page.content.decode()
    response = signed_in.post(apply_url(doc_type), form_data(office))
    req = DocumentRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "documents:request_review", args=[req.reference])
    review = signed_in.get(response["Location"]).content.decode()
    assert req.holder_id_masked in review and ID_NUMBER not in review
    with django_capture_on_commit_callbacks(execute=True):
        done = signed_in.post(response["Location"], follow=True)
    req.refresh_from_db()
    assert req.status == S.SUBMITTED and req.reference in done.content.decode()
    sms = Message.objects.get(channel="sms", kind="document_submit")
    assert req.reference in sms.body and sms.recipient == "13800138000"


def test_two_clicks_on_the_form_make_one_request(signed_in, doc_type, office):
    signed_in.post(apply_url(doc_type), form_data(office))
    second = signed_in.post(apply_url(doc_type), form_data(office))
    assert DocumentRequest.objects.count() == 1 and RequestMaterial.objects.count() == 2
    assert second["Location"].endswith(f"/{DocumentRequest.objects.get().reference}/review/")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("photo.png", b"MZ\x90\x00\x03" + b"\x00" * 200), "Only PDF, JPEG"),
        (SimpleUploadedFile("scan.pdf", b"%PDF-1.4\nthis is not a pdf at all"), "damaged"),
        (SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 3000), "too large"),
    ],
    ids=["renamed-executable", "broken-pdf", "oversized"],
)
def test_a_bad_file_gets_its_message_and_nothing_is_stored(signed_in, doc_type, office, settings,
                                                          upload, message):
    settings.UPLOAD_MAX_BYTES = 2000
    signed_in.cookies["django_language"] = "en"
    response = signed_in.post("/en" + apply_url(doc_type)[8:], form_data(office, id_front=upload))
    assert response.status_code == 200
    assert message in response.content.decode()  # English page on purpose
    assert not DocumentRequest.objects.exists() and not RequestMaterial.objects.exists()
    # Only the good back photo is kept (as a pending upload); the refused file is never stored.
    (kept,) = private_files(settings)
    assert kept.parent.parent.name == "pending" and kept.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"purpose": "other", "purpose_other": ""}, "purpose_other"),
        ({"period_from": "2026-01-01", "period_to": "2020-01-01"}, "period_to"),
        ({"on_behalf": "on", "holder_name": "李四", "holder_id": ID_NUMBER}, "authorisation"),
        ({"applicant_id": ID_NUMBER[:-1] + "0" if ID_NUMBER[-1] != "0" else "1"}, "applicant_id"),
        ({"id_back": None}, "id_back"),
    ],
)
def test_the_form_refuses_incomplete_or_inconsistent_data(signed_in, doc_type, office, extra,
                                                          field):
    response = signed_in.post(apply_url(doc_type), form_data(office, **extra))
    assert response.status_code == 200 and field in response.context["form"].errors
    assert not DocumentRequest.objects.exists()


def test_an_office_that_does_not_offer_the_document_is_not_in_the_list(signed_in, doc_type,
                                                                       office):
    from services.tests.factories import OfficeFactory

    other = OfficeFactory()
    response = signed_in.post(apply_url(doc_type), form_data(other))
    assert "office" in response.context["form"].errors


def test_the_owner_downloads_a_material_and_nobody_else_finds_it(client, user):
    req = request_in(S.SUBMITTED, user=user)
    material = add_material(req, MaterialKind.ID_FRONT)
    url = reverse("documents:material_download", args=[req.reference, material.pk])
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    client.force_login(resident("13900139000"))
    assert client.get(url).status_code == 404
    assert client.get(reverse("documents:request_detail", args=[req.reference])).status_code == 404


def test_the_status_page_shows_the_question_and_takes_a_reply_with_a_file(
    signed_in, user, django_capture_on_commit_callbacks
):
    req = request_in(S.NEEDS_INFO, user=user, info_request="请上传清晰的身份证反面照片")
    url = reverse("documents:request_detail", args=[req.reference])
    assert "请上传清晰的身份证反面照片" in signed_in.get(url).content.decode()
    response = signed_in.post(url, {"reply": "已上传", "kind": "id_back", "file": png_upload()})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == S.RESUBMITTED and req.materials.filter(kind="id_back").exists()


def test_a_replaced_photo_is_listed_once(signed_in, user):
    from core.uploads import check_upload
    from documents.actions import material_add

    req = request_in(S.NEEDS_INFO, user=user, info_request="请上传清晰的身份证反面照片")
    url = reverse("documents:request_detail", args=[req.reference])
    checked = check_upload(png_upload())
    first = material_add(request=req, actor=user, kind="id_back", checked=checked)
    signed_in.post(url, {"reply": "再传一张更清晰的", "kind": "id_back", "file": png_upload()})
    assert not RequestMaterial.objects.filter(pk=first.pk).exists()
    assert req.materials.filter(kind="id_back").count() == 1
    page = signed_in.get(url).content.decode()
    assert page.count("身份证国徽面") == 1


def test_withdrawing_asks_first(signed_in, user):
    req = request_in(S.SUBMITTED, user=user)
    url = reverse("documents:request_withdraw", args=[req.reference])
    assert signed_in.get(url).status_code == 200
    assert DocumentRequest.objects.get(pk=req.pk).status == S.SUBMITTED
    signed_in.post(url)
    assert DocumentRequest.objects.get(pk=req.pk).status == S.WITHDRAWN


def test_the_withdraw_pages_keep_button_speaks_of_the_request_not_a_booking(signed_in, user):
    req = request_in(S.SUBMITTED, user=user)
    page = signed_in.get(reverse("documents:request_withdraw", args=[req.reference]))
    text = page.content.decode()
    assert "不撤回，保留申请" in text and "保留预约" not in text


def test_the_list_shows_my_requests_only(signed_in, user, doc_type):
    mine = request_in(S.SUBMITTED, user=user)
    theirs = request_in(S.SUBMITTED, user=resident("13900139000"))
    page = signed_in.get(reverse("documents:request_list")).content.decode()
    assert mine.reference in page and theirs.reference not in page and doc_type.name in page


def test_a_staff_account_cannot_use_the_resident_pages(client, doc_type):
    from accounts.tests.factories import staff

    client.force_login(staff("reviewer"))
    assert client.get(apply_url(doc_type)).status_code == 403


def test_the_authorisation_is_accepted_as_a_pdf(signed_in, doc_type, office):
    data = form_data(office, on_behalf="on", holder_name="李四", holder_id=ID_NUMBER,
                     authorisation=pdf_upload())
    assert signed_in.post(apply_url(doc_type), data).status_code == 302
    req = DocumentRequest.objects.get()
    assert req.on_behalf and req.materials.filter(kind="authorisation").exists()


def refused_with_both_photos(client, doc_type, office):
    """A first attempt with both ID photos and a missing name: the photos are kept."""
    response = client.post(apply_url(doc_type), form_data(office, applicant_name=""))
    assert response.status_code == 200 and "applicant_name" in response.context["form"].errors
    return response


def test_the_id_photos_survive_a_validation_error(signed_in, doc_type, office, settings):
    refused = refused_with_both_photos(signed_in, doc_type, office)
    page = refused.content.decode()
    assert "id-front.png" in page and "b.png" in page and 'name="pending"' in page
    token = refused.context["form"].data["pending"]
    assert ID_NUMBER not in token
    again = signed_in.post(apply_url(doc_type), form_data(
        office, id_front=None, id_back=None, pending=token))
    req = DocumentRequest.objects.get()
    assert again["Location"].endswith(f"/{req.reference}/review/")
    kinds = sorted(req.materials.values_list("kind", flat=True))
    assert kinds == sorted([MaterialKind.ID_FRONT, MaterialKind.ID_BACK])
    for material in req.materials.all():
        with material.file.open("rb") as stored:
            assert stored.read().startswith(b"\x89PNG")


def test_a_second_error_keeps_the_photos_without_storing_them_twice(signed_in, doc_type, office,
                                                                   settings):
    token = refused_with_both_photos(signed_in, doc_type, office).context["form"].data["pending"]
    second = signed_in.post(apply_url(doc_type), form_data(
        office, applicant_name="", id_front=None, id_back=None, pending=token))
    assert "id-front.png" in second.content.decode()
    assert len(private_files(settings)) == 2


def test_someone_else_s_or_a_forged_token_brings_no_files(client, doc_type, office):
    client.force_login(resident())
    token = refused_with_both_photos(client, doc_type, office).context["form"].data["pending"]
    other = Client()
    other.force_login(resident(phone="13900139000"))
    for pending in (token, token[:-2] + "xx"):
        response = other.post(apply_url(doc_type), form_data(
            office, id_front=None, id_back=None, pending=pending))
        assert response.status_code == 200 and "id_front" in response.context["form"].errors
    assert not DocumentRequest.objects.exists()


def test_kept_photos_not_used_are_swept_and_then_asked_for_again(signed_in, doc_type, office,
                                                                settings):
    token = refused_with_both_photos(signed_in, doc_type, office).context["form"].data["pending"]
    assert private_orphans_sweep() == 0  # within the hour they stay
    assert private_orphans_sweep(now=timezone.now() + dt.timedelta(hours=2)) == 2
    assert private_files(settings) == []
    response = signed_in.post(apply_url(doc_type), form_data(
        office, id_front=None, id_back=None, pending=token))
    assert "id_front" in response.context["form"].errors


def test_the_period_is_explained_and_marked_required(signed_in, doc_type, office):
    signed_in.cookies["django_language"] = "en"
    page = signed_in.get("/en" + apply_url(doc_type)[8:]).content.decode()
    assert "Period to be covered" in page and "required" in page
    assert "covers at most 20 years" in page
    assert page.count('aria-required="true"') >= 2
    with translation.override("zh-hans"):
        zh = signed_in.get(apply_url(doc_type)).content.decode()
    assert "查询期间" in zh and "必填" in zh
