"""Verification (certificate_verify, /verify/, /api/v1/certificates/verify/): valid, expired,
revoked, not found, forged code, tampered QR; each check recorded without the verifier; rate
limits; the page shows masked essentials and never the full ID number."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from core import signing
from documents.actions import certificates as actions
from documents.constants import CheckChannel, CheckResult
from documents.models import CertificateCheck

from .certificate_helpers import issued, signing_keys  # noqa: F401
from .factories import ID_NUMBER

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("signing_keys")]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def certificate_and_code(django_capture_on_commit_callbacks):
    return issued(django_capture_on_commit_callbacks, holder_name="张小三")


def _checks() -> list[tuple]:
    return list(CertificateCheck.objects.order_by("id").values_list(
        "certificate_id", "channel", "result"))


def test_a_valid_certificate_and_what_is_recorded(certificate_and_code):
    certificate, code = certificate_and_code
    result = actions.certificate_verify(
        number=certificate.number.lower(), code=actions.code_format(code).lower(),
        channel=CheckChannel.WEB,
    )
    assert result.status == CheckResult.VALID
    assert result.essentials["holder_name"] == "张*三"
    assert result.essentials["holder_id"] == certificate.holder_id_masked
    assert set(result.essentials) == {
        "number", "document_type", "document_type_zh", "document_type_en", "holder_name",
        "holder_id", "issued_on", "valid_until", "office",
    }
    assert _checks() == [(certificate.pk, "web", "valid")]
    field_names = {f.name for f in CertificateCheck._meta.get_fields()}
    assert field_names == {"id", "certificate", "at", "channel", "result"}  # nobody's address


def test_expired_after_the_last_valid_day_in_shanghai(certificate_and_code):
    certificate, code = certificate_and_code
    last_day = dt.datetime.combine(certificate.valid_until, dt.time(23, 59),
                                   tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with time_machine.travel(last_day, tick=False):
        assert actions.certificate_verify(number=certificate.number, code=code,
                                          channel="web").status == CheckResult.VALID
    with time_machine.travel(last_day + dt.timedelta(minutes=2), tick=False):
        result = actions.certificate_verify(number=certificate.number, code=code, channel="web")
    assert result.status == CheckResult.EXPIRED and result.essentials
    assert [r for _c, _ch, r in _checks()] == ["valid", "expired"]


def test_revoked(certificate_and_code):
    certificate, code = certificate_and_code
    actions.certificate_revoke(certificate=certificate, reason="材料不实", actor=None)
    result = actions.certificate_verify(number=certificate.number, code=code, channel="api")
    assert result.status == CheckResult.REVOKED
    assert _checks() == [(certificate.pk, "api", "revoked")]


def test_unknown_number_and_forged_code_are_both_not_found(certificate_and_code):
    certificate, code = certificate_and_code
    forged = ("2" if code[0] != "2" else "3") + code[1:]
    assert actions.certificate_verify(number="WFZ-2026-00000000", code=code,
                                      channel="web").status == CheckResult.NOT_FOUND
    result = actions.certificate_verify(number=certificate.number, code=forged, channel="web")
    assert result.status == CheckResult.NOT_FOUND and result.essentials == {}
    # The holder sees the failed attempt on their number; the unknown number is kept unlinked.
    assert _checks() == [(None, "web", "not_found"), (certificate.pk, "web", "not_found")]


def test_qr_payload_valid_and_tampered(certificate_and_code):
    certificate, code = certificate_and_code
    payload = actions.certificate_payload(certificate, code=code)
    assert actions.certificate_verify_qr(payload=payload).status == CheckResult.VALID
    text, signature = payload.split(".")
    for index, forged in ((2, "WFZ-2026-00000000"), (3, "2" * 28)):
        fields = signing._unb64(text).decode().split("|")
        fields[index] = forged
        tampered = signing._b64("|".join(fields).encode()) + "." + signature
        assert actions.certificate_verify_qr(payload=tampered).status == CheckResult.NOT_FOUND
    assert actions.certificate_verify_qr(payload="garbage").status == CheckResult.NOT_FOUND
    assert [(ch, r) for _c, ch, r in _checks()] == [
        ("qr", "valid"), ("qr", "not_found"), ("qr", "not_found"), ("qr", "not_found")
    ]


def _post(client, number, code, **extra):
    return client.post(reverse("verify:form"), {"number": number, "code": code}, **extra)


def test_the_page_shows_valid_with_masked_essentials_only(client, certificate_and_code):
    certificate, code = certificate_and_code
    page = client.get(reverse("verify:form"))
    assert page.status_code == 200
    assert 'name="robots" content="noindex' in page.content.decode()
    assert "no-cache" in page["Cache-Control"] or "no-store" in page["Cache-Control"]
    response = _post(client, certificate.number, actions.code_format(code))
    html = response.content.decode()
    assert response.status_code == 200 and response["X-Robots-Tag"].startswith("noindex")
    assert 'data-status="valid"' in html
    assert "张*三" in html and "张小三" not in html
    assert certificate.holder_id_masked in html and ID_NUMBER not in html
    assert certificate.receiving_org not in html and certificate.purpose_text not in html
    assert code not in html


def test_the_page_says_not_found_for_a_forged_code(client, certificate_and_code):
    certificate, code = certificate_and_code
    response = _post(client, certificate.number, "2" * 28)
    assert 'data-status="not_found"' in response.content.decode()
    assert certificate.holder_id_masked not in response.content.decode()


def test_a_mistyped_code_gets_a_clear_error_and_is_not_recorded(client, certificate_and_code):
    certificate, _code = certificate_and_code
    response = _post(client, certificate.number, "ABC")
    assert response.status_code == 400
    assert 'href="#id_code"' in response.content.decode()
    assert _checks() == []


def test_the_qr_link_opens_the_result(client, certificate_and_code):
    certificate, code = certificate_and_code
    url = actions.certificate_verify_url(certificate, code=code, language="en")
    path = url.removeprefix("http://127.0.0.1:8000")
    assert path.startswith("/en/verify/q/")
    response = client.get(path)
    assert 'data-status="valid"' in response.content.decode()
    assert response["X-Robots-Tag"].startswith("noindex")


def test_verification_is_rate_limited_per_address(client, settings, certificate_and_code):
    certificate, code = certificate_and_code
    settings.CERTIFICATES = {"VERIFY_PER_MINUTE": 3}
    codes = [_post(client, certificate.number, code).status_code for _i in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = _post(client, certificate.number, code)
    assert refused.status_code == 429 and 'role="alert"' in refused.content.decode()
    from django.test import Client

    assert _post(Client(REMOTE_ADDR="10.1.2.3"), certificate.number, code).status_code == 200
    assert len(_checks()) == 4  # refused attempts are not checks


def test_the_api_answers_each_status(client, certificate_and_code):
    certificate, code = certificate_and_code
    url = "/api/v1/certificates/verify/"
    body = client.get(url, {"number": certificate.number, "code": code}).json()
    assert body["status"] == "valid"
    assert body["certificate"]["holder_name"] == "张*三"
    assert body["certificate"]["holder_id"] == certificate.holder_id_masked
    assert client.get(url, {"number": certificate.number, "code": "2" * 28}).json() == {
        "status": "not_found"
    }
    payload = actions.certificate_payload(certificate, code=code)
    assert client.get(url, {"payload": payload}).json()["status"] == "valid"
    assert client.get(url).status_code == 400
    assert [ch for _c, ch, _r in _checks()] == ["api", "api", "qr"]


def test_the_api_is_rate_limited(client, settings, certificate_and_code):
    certificate, code = certificate_and_code
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                   "api_lookup": "2/minute"},
    }
    url = "/api/v1/certificates/verify/"
    codes = [client.get(url, {"number": certificate.number, "code": code}).status_code
             for _i in range(3)]
    assert codes == [200, 200, 429]
