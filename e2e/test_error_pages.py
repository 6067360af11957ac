"""The error pages as a resident meets them with DEBUG=0: a mistyped address, and a booking look-up
posted after its cookie expired. `make screenshots` keeps pictures of both in docs/screenshots/."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.fixture
def production_site(live_server, transactional_db, settings):
    settings.DEBUG = False
    return live_server.url


def _keep(request, page, name: str) -> None:
    if request.config.getoption("--screenshots"):
        page.screenshot(path=OUT / f"{name}-{page.form_factor}.png", full_page=True)


def test_a_mistyped_address_shows_the_404_page_in_the_site_s_layout(request, production_site, page):
    response = page.goto(production_site + "/zh-hans/servcies/")

    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("页面不存在")
    expect(page.get_by_role("banner")).to_be_visible()
    _keep(request, page, "error-404")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    page.get_by_role("link", name="Browse the services").click()
    expect(page).to_have_url(production_site + "/en/services/")


def test_a_form_sent_after_its_cookie_expired_says_to_reload_it(request, production_site, page):
    page.goto(production_site + "/zh-hans/book/manage/")
    page.context.clear_cookies()  # the cookie expired while the form stood open
    page.get_by_label("预约码").fill("ABCD2345")
    page.get_by_label("身份证号码后 4 位").fill("1234")
    page.get_by_role("button", name="查询我的预约").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("表单已过期")
    expect(page.get_by_role("alert")).to_contain_text("请重新加载表单后再试一次。")
    _keep(request, page, "error-csrf")
    page.get_by_role("link", name="重新加载表单").click()
    expect(page).to_have_url(production_site + "/zh-hans/book/manage/")
    expect(page.get_by_label("预约码")).to_be_visible()
