"""A resident on a phone books a counter appointment from the service page to the booking code,
then finds the booking with the code and the ID number's last 4 characters and cancels it.

Locators use URLs and ids rather than texts, so the test holds before and after translation.
`pytest --screenshots` also refreshes docs/screenshots/booking-*.png."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.tests.factories import id_number

pytestmark = pytest.mark.e2e
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SERVICE = "hz-id-card-renewal"
CODE = re.compile(r"^[2-9A-HJ-NP-Z]{8}$")


def fits_the_screen(page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def test_book_then_find_and_cancel_on_a_phone(request, site, page):
    if page.form_factor != "phone":
        pytest.skip("the booking journey is a phone journey")
    from appointments.constants import BookingStatus
    from appointments.models import Booking

    refresh = request.config.getoption("--screenshots")

    def step(name: str, *, full_page: bool = True) -> None:
        fits_the_screen(page)
        if refresh:
            OUT.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=OUT / f"booking-{name}.png", full_page=full_page)

    if refresh:
        page.goto(site + "/zh-hans/book/")
        step("01-service", full_page=False)

    page.goto(f"{site}/zh-hans/services/{SERVICE}/")
    page.locator(f"main a.button[href='/zh-hans/book/{SERVICE}/']").click()
    expect(page).to_have_url(re.compile(rf"/zh-hans/book/{SERVICE}/$"))
    step("02-office")

    page.locator("#results a.choice").first.click()
    expect(page.locator("ol.day-list")).to_be_visible()
    day = page.locator("a.day-open").nth(1)
    day.click()  # htmx swaps the times in place and moves the focus to them
    expect(page.locator("#slots-title")).to_be_focused()
    expect(day).to_have_attribute("aria-current", "true")
    expect(page).to_have_url(re.compile(r"\?date=\d{4}-\d{2}-\d{2}$"))
    step("03-time")

    page.locator("ul.slot-list a.slot").first.click()
    step("04-details")
    page.locator("form.form-stack button[type=submit]").click()  # nothing filled in
    expect(page.locator("#form-errors")).to_be_focused()
    expect(page.locator("#id_id_number")).to_have_attribute("aria-invalid", "true")
    step("05-details-errors")

    number = id_number(731)
    page.locator("#id_name").fill("张三")
    page.locator("#id_id_number").fill(number)
    page.locator("#id_phone").fill("13800138000")
    page.locator("#id_consent").check()
    page.locator("form.form-stack button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/zh-hans/book/done/[2-9A-Z]{8}/$"))
    code = page.locator(".booking-code").inner_text().strip()
    assert CODE.match(code)
    expect(page.locator("a[href$='/pdf/']")).to_be_visible()
    step("06-confirmation")

    page.locator("nav.main-nav a[href='/zh-hans/book/manage/']").click()
    page.locator("#id_code").fill(code.lower())
    page.locator("#id_id_last4").fill(number[-4:])
    step("07-lookup")
    page.locator("form.form-stack button[type=submit]").click()

    expect(page).to_have_url(re.compile(rf"/zh-hans/book/manage/{code}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(code)
    step("08-manage")

    page.locator(f"a[href='/zh-hans/book/manage/{code}/cancel/']").click()
    step("09-cancel")
    page.locator("form button.button-danger").click()

    expect(page).to_have_url(re.compile(rf"/zh-hans/book/manage/{code}/$"))
    expect(page.locator(".tag-status-cancelled")).to_be_visible()
    step("10-cancelled")
    assert Booking.objects.get(code=code).status == BookingStatus.CANCELLED
