"""Findings on input: deeply nested JSON answered 500; any document period was accepted;
hostile PDFs, polyglots, misnamed files and huge images reached staff."""

import base64
import io
import time

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from core.uploads import check_upload
from documents.tests.factories import ID_NUMBER, DocumentTypeFactory, office_for, png_bytes

pytestmark = pytest.mark.django_db


# --- JSON bodies -----------------------------------------------------------------------------


def post_json(token: str, body: bytes, url: str = "/api/v1/bookings/"):
    return Client(HTTP_ACCEPT_LANGUAGE="en").post(url, body, content_type="application/json",
                         HTTP_AUTHORIZATION=f"Token {token}")


def test_deeply_nested_json_is_a_clear_400_not_a_server_error(api_token):
    deep = b"[" * 50_000 + b"]" * 50_000
    for url in ("/api/v1/bookings/", "/api/v1/applications/", "/api/v1/bookings/ABC/cancel/"):
        response = post_json(api_token, deep, url)
        assert response.status_code == 400, url
        assert response.json()["error"] == "parse_error"
        assert "nested too deeply" in response.json()["detail"]


def test_a_json_body_over_the_size_limit_is_refused(api_token, settings):
    settings.API_JSON = {**settings.API_JSON, "MAX_BYTES": 1000}
    response = post_json(api_token, b'{"name": "' + b"x" * 2000 + b'"}')
    assert response.status_code == 400
    assert "too large" in response.json()["detail"]


def test_strings_with_brackets_do_not_count_as_nesting():
    from core.api import json_depth

    assert json_depth(b'{"a": "[[[[{{{{\\"]]]]", "b": [1, {"c": []}]}') == 4


# --- document periods ----------------------------------------------------------------------


@pytest.fixture
def doc_type():
    return DocumentTypeFactory(code="no-criminal-record")  # at most 20 years by default


PERIODS = [
    # (from, to, field, words of the message)
    ("0001-01-01", "2020-01-01", "period_from", "date of birth"),
    ("2016-01-01", "9999-12-31", "period_to", "future"),
    ("1995-01-01", "2020-01-01", "period_to", "at most 20 years"),
]


@pytest.mark.parametrize(("first", "last", "field", "words"), PERIODS)
def test_the_api_refuses_a_period_out_of_bounds(api_token, doc_type, first, last, field, words):
    from documents.tests.test_api import body

    data = body(office_for(doc_type), period_from=first, period_to=last)
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/applications/", data, content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {api_token}")
    assert response.status_code == 400
    assert words in " ".join(response.json()[field])


@pytest.mark.parametrize(("first", "last", "field", "words"), PERIODS)
def test_the_application_page_refuses_a_period_out_of_bounds(doc_type, first, last, field, words):
    from documents.tests.factories import resident
    from documents.tests.test_views_resident import form_data

    client = Client()
    client.force_login(resident())
    office = office_for(doc_type)
    page = client.post(f"/en/documents/apply/{doc_type.code}/",
                       form_data(office, period_from=first, period_to=last))
    assert page.status_code == 200  # the form again, not the redirect to the check page
    assert words in page.content.decode()


def test_period_messages_are_translated(doc_type):
    import datetime as dt

    from django.utils import translation

    from documents.periods import period_errors
    with translation.override("zh-hans"):
        errors = period_errors(doc_type=doc_type, first=dt.date(1, 1, 1),
                               last=dt.date(9999, 12, 31), holder_id=ID_NUMBER)
    assert set(errors) == {"period_from", "period_to"}
    assert all(not message.isascii() for message in errors.values())


# --- uploads -------------------------------------------------------------------------------


def pdf(extra=None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if extra:
        extra(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_javascript(writer):
    from pypdf.generic import DictionaryObject as Dict

    action = Dict({NameObject("/S"): NameObject("/JavaScript"),
                   NameObject("/JS"): TextStringObject("app.alert('hi');")})
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)


def with_launch(writer):
    action = DictionaryObject({
        NameObject("/S"): NameObject("/Launch"),
        NameObject("/F"): TextStringObject("calc.exe"),
    })
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)


def with_attachment(writer):
    writer.add_attachment("payload.exe", b"MZ\x90\x00")


def refused(content: bytes, name: str = "file.pdf") -> str:
    with pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile(name, content))
    return caught.value.code


@pytest.mark.parametrize("extra", [with_javascript, with_launch, with_attachment])
def test_pdfs_that_act_or_carry_files_are_refused(extra):
    assert check_upload(SimpleUploadedFile("plain.pdf", pdf())).kind == "pdf"
    assert refused(pdf(extra)) == "pdf_active"


@pytest.mark.parametrize("polyglot", [
    lambda p: p + b"<html><script>alert(1)</script></html>",  # HTML after the PDF
    lambda p: p.replace(b"%%EOF", b"%<!DOCTYPE html><body onload=alert(1)>\n%%EOF"),
    lambda p: p + b"PK\x05\x06" + b"\x00" * 18,  # a ZIP archive's directory at the end
])
def test_pdf_polyglots_are_refused(polyglot):
    assert refused(polyglot(pdf())) == "pdf_polyglot"


def test_images_over_the_pixel_limit_are_refused_before_decoding(settings):
    """The red team's 39.7-megapixel PNG cost 4.1 s of CPU; the default limit is 25 MP."""
    out = io.BytesIO()
    Image.new("1", (6000, 4400)).save(out, "PNG")  # 26.4 MP, a few kilobytes
    started = time.process_time()
    assert refused(out.getvalue(), "photo.png") == "pixels"
    assert time.process_time() - started < 0.5
    settings.UPLOAD_MAX_IMAGE_PIXELS = 1000
    assert refused(png_bytes((40, 30)), "small.png") == "pixels"


@pytest.mark.parametrize(("given", "extension", "served"), [
    ("evil.pdf.exe", "pdf", "evil.pdf"),
    ("../../etc/passwd", "png", "passwd.png"),
    ("投诉材料.jpg", "jpg", "投诉材料.jpg"),
    ("a\"b;c\r\n.pdf", "pdf", "a_b_c.pdf"),
    ("", "pdf", "attachment.pdf"),
])
def test_served_file_names_are_safe_and_carry_the_checked_extension(given, extension, served):
    from core.uploads import download_name

    assert download_name(given, extension=extension) == served


def test_a_mailbox_file_named_evil_pdf_exe_reaches_the_manager_as_a_pdf(settings, tmp_path):
    from django.utils.functional import empty

    from accounts.tests.factories import staff, verify_session
    from core.uploads import private_storage
    from feedback import actions
    from services.tests.factories import OfficeFactory

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    private_storage._wrapped = empty  # re-read the setting
    office = OfficeFactory()
    upload = check_upload(SimpleUploadedFile("evil.pdf.exe", pdf()))
    item, _code = actions.mailbox_submit(
        category="complaint", office=office, subject="s", text="t", name="n",
        phone="13912345678", attachment=upload)
    manager = verify_session(Client(), staff("manager", office=office))
    response = manager.get(f"/en/staff/feedback/mailbox/{item.pk}/attachment/")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    response.close()
    private_storage._wrapped = empty
    assert 'filename="evil.pdf"' in response["Content-Disposition"]
    assert ".exe" not in response["Content-Disposition"]


def test_the_api_refuses_a_pdf_with_javascript_in_the_materials(api_token, doc_type):
    from documents.tests.test_api import body

    bad = base64.b64encode(pdf(with_javascript)).decode()
    data = body(office_for(doc_type))
    data["materials"][1]["content_base64"] = bad
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/applications/", data, content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {api_token}")
    assert response.status_code == 400
    assert "scripts" in str(response.json())
