"""The site's own error pages with DEBUG=0 (issue 17): 400, 403, CSRF failure, 404, 429 and 500
in the visitor's language, in the site's layout (header, navigation, footer), each with a way
back; never Django's bare English pages nor its "set DEBUG=True" advice."""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation

pytestmark = [pytest.mark.django_db, pytest.mark.urls("core.tests.error_urls")]

HEADINGS = {
    ("zh-hans", 400): "无法读取该请求",
    ("en", 400): "The request could not be read",
    ("zh-hans", 403): "您无权打开此页面",
    ("en", 403): "You cannot open this page",
    ("zh-hans", 404): "页面不存在",
    ("en", 404): "Page not found",
    ("zh-hans", 500): "出错了",
    ("en", 500): "Something went wrong",
}


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


def client() -> Client:
    return Client(raise_request_exception=False)


def heading(html: str) -> str:
    return re.sub(r"<[^>]+>", "", re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1)).strip()


def assert_in_layout(html: str, language: str) -> None:
    assert f'<html lang="{"zh-Hans" if language == "zh-hans" else "en"}">' in html
    assert 'class="site-header"' in html and 'class="site-footer"' in html
    assert f'href="/{language}/"' in html  # the way back: the home page
    assert "DEBUG" not in html and "Django" not in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("status", [400, 403, 404, 500])
def test_each_error_has_its_own_page_in_the_visitor_s_language(language, status):
    response = client().get(f"/{language}/raise/{status}/")

    assert response.status_code == status
    html = response.content.decode()
    assert heading(html) == HEADINGS[language, status]
    assert_in_layout(html, language)


def test_a_mistyped_address_shows_the_404_page_with_a_language_switch_to_the_same_address():
    response = client().get("/en/servcies/?q=passport")

    assert response.status_code == 404
    html = response.content.decode()
    assert heading(html) == "Page not found"
    assert 'href="/zh-hans/servcies/?q=passport"' in html
    assert f'href="{reverse("services:service_list")}"'.replace("/zh-hans/", "/en/") in html


def test_the_500_page_offers_to_try_the_same_address_again():
    html = client().get("/en/raise/500/").content.decode()
    assert 'href="/en/raise/500/"' in html and "Try again" in html


def test_the_500_page_still_shows_when_the_database_is_away():
    response = client().get("/zh-hans/raise/500-database/")

    assert response.status_code == 500
    html = response.content.decode()
    assert heading(html) == "出错了"
    assert 'class="site-header"' in html and 'href="/zh-hans/"' in html


def test_the_api_s_addresses_answer_errors_in_json():
    missing = client().get("/api/v1/nothing-here/", HTTP_ACCEPT_LANGUAGE="en")
    assert missing.status_code == 404
    assert missing.json() == {"error": "not_found", "detail": "Nothing is at this address."}
    broken = client().get("/api/v1/raise/500/", HTTP_ACCEPT_LANGUAGE="en")
    assert broken.status_code == 500 and broken.json()["error"] == "server_error"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "请重新加载表单后再试一次。"), ("en", "Reload the form and try again.")],
)
def test_a_form_posted_after_its_cookie_expired_says_to_reload_it(language, expected):
    browser = Client(enforce_csrf_checks=True, raise_request_exception=False)
    with translation.override(language):
        form = reverse("appointments:booking_lookup")
    assert browser.get(form).status_code == 200  # the form, with its cookie and token
    browser.cookies.clear()  # the cookie expired, or the browser dropped it

    response = browser.post(form, {"code": "ABCD2345", "id_last4": "1234"})

    assert response.status_code == 403
    html = response.content.decode()
    assert expected in html
    assert f'href="{form}"' in html  # reload the form
    assert "CSRF" not in html
    assert_in_layout(html, language)


@pytest.mark.parametrize(
    ("language", "expected"), [("zh-hans", "核验次数过多"), ("en", "Too many checks")]
)
def test_the_rate_limit_of_certificate_checks_answers_with_the_429_page(
    settings, language, expected
):
    settings.CERTIFICATES = {**settings.CERTIFICATES, "VERIFY_PER_MINUTE": 1}
    cache.clear()  # the counts of earlier tests
    browser = client()
    with translation.override(language):
        url = reverse("verify:qr", args=["not-a-payload"])
    assert browser.get(url).status_code == 200

    refused = browser.get(url)

    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    html = refused.content.decode()
    assert heading(html) == expected
    assert_in_layout(html, language)
    assert f'href="{url.split("/verify/")[0]}/verify/"' in html  # back to verification


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "请求过于频繁"), ("en", "Too many requests")],
)
def test_the_generic_429_page(rf, language, expected):
    from django.contrib.auth.models import AnonymousUser

    from core.views.errors import too_many_requests

    with translation.override(language):
        request = rf.get(f"/{language}/anything/")
        request.user = AnonymousUser()
        response = too_many_requests(request, retry_after_seconds=300)

    assert response.status_code == 429 and response["Retry-After"] == "300"
    html = response.content.decode()
    assert heading(html) == expected and ("5 分钟" in html or "5 minutes" in html)
    assert_in_layout(html, language)
