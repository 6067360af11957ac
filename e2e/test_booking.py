"""A resident on a phone books a counter appointment from the service page to the booking code,
opens the confirmation PDF, finds the booking with the code and the ID number's last 4
characters, moves it to another day and cancels it.

Locators use URLs and ids rather than texts, so the test holds before and after translation.
`pytest --screenshots` also refreshes docs/screenshots/booking-*.png."""

import io
import re
from pathlib import Path

import pdfplumber
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


def test_book_then_find_reschedule_and_cancel_on_a_phone(request, site, page):
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

    with page.expect_navigation():  # the next step reads the new page
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
    pdf_link = page.locator("a[href$='/pdf/']")
    expect(pdf_link).to_be_visible()
    step("06-confirmation")
    pdf = page.request.get(site + pdf_link.get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf"
    with pdfplumber.open(io.BytesIO(pdf.body())) as document:
        text = "".join(document.pages[0].extract_text().split())  # the code is letter-spaced
    assert code in text
    assert number not in text and number[-4:] in text  # the ID number is there masked

    page.locator("nav.main-nav a[href='/zh-hans/book/manage/']").click()
    page.locator("#id_code").fill(code.lower())
    page.locator("#id_id_last4").fill(number[-4:])
    step("07-lookup")
    page.locator("form.form-stack button[type=submit]").click()

    expect(page).to_have_url(re.compile(rf"/zh-hans/book/manage/{code}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(code)
    step("08-manage")

    first_start = Booking.objects.get(code=code).start
    with page.expect_navigation():  # the next step reads the new page
        page.locator(f"a[href='/zh-hans/book/manage/{code}/reschedule/']").click()
    step("09-reschedule")
    other_day = page.locator("a.day-open").nth(2)
    other_day.click()
    expect(other_day).to_have_attribute("aria-current", "true")
    with page.expect_navigation():  # the next step reads the new page
        page.locator("ul.slot-list a.slot").first.click()
    step("10-reschedule-confirm")
    page.locator("form.button-row button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/zh-hans/book/done/[2-9A-Z]{8}/$"))
    new_code = page.locator(".booking-code").inner_text().strip()
    assert CODE.match(new_code) and new_code != code
    moved = Booking.objects.get(code=new_code)
    assert moved.rescheduled_from.code == code
    assert moved.start.date() != first_start.date()
    old = Booking.objects.get(code=code)
    assert (old.status, old.cancel_reason) == (BookingStatus.CANCELLED, "rescheduled")
    step("11-rescheduled")

    page.goto(f"{site}/zh-hans/book/manage/{new_code}/")
    with page.expect_navigation():  # the next step reads the new page
        page.locator(f"a[href='/zh-hans/book/manage/{new_code}/cancel/']").click()
    step("12-cancel")
    page.locator("form button.button-danger").click()

    expect(page).to_have_url(re.compile(rf"/zh-hans/book/manage/{new_code}/$"))
    expect(page.locator(".tag-status-cancelled")).to_be_visible()
    step("13-cancelled")
    assert Booking.objects.get(code=new_code).status == BookingStatus.CANCELLED
