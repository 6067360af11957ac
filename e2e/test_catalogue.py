"""A resident finds the no-criminal-record certificate and reaches an office that offers it."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_find_service_and_office_in_chinese(site, page):
    page.goto(site + "/")
    expect(page).to_have_url(re.compile(r"/zh-hans/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")

    page.get_by_label("您要办理什么业务？").fill("无犯罪")
    page.get_by_role("button", name="搜索").click()
    result = page.get_by_role("link", name="无犯罪记录证明", exact=True)
    expect(result).to_be_visible()
    result.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("无犯罪记录证明")
    expect(page.get_by_role("heading", name="需携带的材料")).to_be_visible()
    offices = page.locator(".office-list .office-item a")
    assert offices.count() >= 1
    office_name = offices.first.inner_text()
    offices.first.click()

    expect(page.get_by_role("heading", level=1)).to_have_text(office_name)
    expect(page.get_by_role("link", name="无犯罪记录证明")).to_be_visible()
    expect(page.get_by_role("heading", name="办公时间")).to_be_visible()


def test_switch_to_english_keeps_the_page(site, page):
    page.goto(site + "/zh-hans/services/za-no-criminal-record/")
    page.get_by_role("link", name="English").click()
    expect(page).to_have_url(re.compile(r"/en/services/za-no-criminal-record/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("No-criminal-record certificate")
    expect(page.get_by_role("heading", name="What to bring")).to_be_visible()


def test_catalogue_filters_live_while_typing(site, page):
    page.goto(site + "/en/services/")
    page.get_by_label("Search in Chinese or English").fill("passport")
    expect(page.locator("#results-count")).to_contain_text("found")
    expect(page.get_by_role("link", name=re.compile("passport", re.I)).first).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=passport"))


def test_keyboard_user_reaches_main_content(site, page):
    if page.form_factor == "phone":
        pytest.skip("keyboard navigation is a desktop concern")
    page.goto(site + "/zh-hans/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到主要内容")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))


def test_page_fits_a_phone_without_horizontal_scrolling(site, page):
    for path in [
        "/zh-hans/",
        "/zh-hans/services/",
        "/zh-hans/offices/",
        "/en/services/za-no-criminal-record/",
    ]:
        page.goto(site + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on {page.form_factor}"


def test_resident_finds_a_service_by_its_everyday_name(site, page):
    page.goto(site + "/zh-hans/services/")
    page.get_by_label("中文或英文搜索").fill("良民证")
    first = page.locator(".service-list .service-item h2 a").first
    expect(first).to_have_text("无犯罪记录证明")
    expect(page).to_have_url(re.compile(r"q=%E8%89%AF%E6%B0%91%E8%AF%81"))

    page.get_by_label("中文或英文搜索").fill("宇宙飞船")
    expect(page.locator("#results-count")).to_contain_text("0")
    suggestion = page.locator(".suggestions").get_by_role("link", name="良民证")
    expect(suggestion).to_be_visible()
    suggestion.click()
    expect(page.locator(".service-list .service-item h2 a").first).to_have_text("无犯罪记录证明")
