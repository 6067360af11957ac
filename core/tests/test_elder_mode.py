"""长辈版 (large-type mode): the switch on every resident page, the cookie that remembers it and
the link parameter that turns it on (core.middleware.ElderModeMiddleware). The browser test
e2e/test_elder_mode.py measures the pages themselves."""

import pytest

from core.middleware import ELDER_COOKIE

pytestmark = pytest.mark.django_db


def test_a_link_with_elder_1_remembers_the_choice_and_comes_back_without_it(client):
    response = client.get("/zh-hans/services/?q=护照&elder=1&page=2")

    assert response.status_code == 302
    assert response["Location"] == "/zh-hans/services/?q=%E6%8A%A4%E7%85%A7&page=2"
    cookie = response.cookies[ELDER_COOKIE]
    assert cookie.value == "1" and cookie["max-age"] >= 300 * 24 * 3600
    assert cookie["httponly"] and cookie["samesite"] == "Lax"

    page = client.get(response["Location"]).content.decode()
    assert '<html lang="zh-Hans" class="elder">' in page
    assert 'href="/zh-hans/services/?q=%E6%8A%A4%E7%85%A7&amp;page=2&amp;elder=0"' in page
    assert "标准版" in page  # the switch now leads back


def test_the_switch_is_on_every_resident_page_and_off_by_default(client):
    for path in ("/zh-hans/", "/zh-hans/book/manage/", "/zh-hans/verify/", "/en/offices/"):
        response = client.get(path)
        page = response.content.decode()
        assert 'class="elder-switch" href="' + path + '?elder=1"' in page, path
        assert 'class="elder"' not in page
        assert "Cookie" in response["Vary"]
    assert "长辈版" in client.get("/zh-hans/").content.decode()
    assert "Large text" in client.get("/en/").content.decode()


def test_elder_0_turns_it_off_and_other_values_change_nothing(client):
    client.cookies[ELDER_COOKIE] = "1"
    assert 'class="elder"' in client.get("/en/").content.decode()

    assert client.get("/en/?elder=maybe").status_code == 200  # not a switch: page as it is
    assert client.cookies[ELDER_COOKIE].value == "1"
    response = client.get("/en/?elder=0")
    assert response.status_code == 302 and response["Location"] == "/en/"
    assert response.cookies[ELDER_COOKIE].value == "0"
    assert 'class="elder"' not in client.get("/en/").content.decode()


def test_a_form_post_carrying_the_parameter_is_not_redirected(client):
    response = client.post("/zh-hans/book/manage/?elder=1", {"code": "", "id_last4": ""})

    assert response.status_code == 200  # the look-up form with its errors, not a redirect
    assert ELDER_COOKIE not in response.cookies


def test_staff_pages_have_no_switch(client):
    page = client.get("/zh-hans/staff/signin/").content.decode()
    assert "elder-switch" not in page
