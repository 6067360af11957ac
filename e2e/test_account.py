"""A resident creates an account with a code sent by SMS, books while signed in (the form is
filled in), adds a booking made without an account, downloads their data and deletes the
account, on a phone and on a desktop.

Locators use URLs, ids and classes rather than texts, so the test holds before and after
translation. `pytest --screenshots` also refreshes docs/screenshots/account-*.png."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.tests.factories import id_number

pytestmark = pytest.mark.e2e
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SERVICE = "hz-id-card-renewal"
PASSWORD = "Lantern-river-42"


def fits_the_screen(page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def latest_code(phone: str) -> str:
    from notifications.models import Message

    body = Message.objects.filter(channel="sms", recipient=phone).latest("id").body
    return re.search(r"\b(\d{6})\b", body).group(1)


def test_an_account_from_sign_up_to_deletion(request, site, page):
    from appointments import actions
    from appointments.models import Booking

    phone = "13912345678" if page.form_factor == "phone" else "13812345678"
    refresh = request.config.getoption("--screenshots")

    def step(name: str) -> None:
        fits_the_screen(page)
        if refresh:
            OUT.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=OUT / f"account-{name}-{page.form_factor}.png", full_page=True)

    page.goto(site + "/zh-hans/")
    with page.expect_navigation():  # the next step reads the new page
        page.locator("nav.main-nav a[href='/zh-hans/account/signin/']").click()
    step("1-signin")
    with page.expect_navigation():  # the sign-in page has a submit button of its own
        page.locator("main a[href='/zh-hans/account/signup/']").click()
    page.locator("form.form-stack button[type=submit]").click()  # nothing filled in
    expect(page.locator("#form-errors")).to_be_focused()
    expect(page.locator("#id_contact")).to_have_attribute("aria-invalid", "true")
    page.goto(site + "/zh-hans/account/signup/")
    page.locator("#id_contact").fill(phone)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#id_consent").check()
    step("2-signup")
    page.locator("form.form-stack button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/zh-hans/account/signup/code/$"))
    page.locator("#id_code").fill("000000" if latest_code(phone) != "000000" else "111111")
    page.locator("form.form-stack button[type=submit]").click()
    expect(page.locator("#account-error")).to_be_visible()
    step("3-code")
    page.locator("#id_code").fill(latest_code(phone))
    page.locator("form.form-stack button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/zh-hans/account/$"))
    expect(page.locator("nav.main-nav a[href='/zh-hans/account/']")).to_be_visible()
    step("4-home")

    # Booking while signed in: the mobile number is filled in, the booking joins the account.
    page.goto(f"{site}/zh-hans/book/{SERVICE}/")
    page.locator("#results a.choice").first.click()
    page.locator("a.day-open").nth(1).click()
    expect(page.locator("#slots-title")).to_be_focused()
    page.locator("ul.slot-list a.slot").first.click()
    expect(page.locator("#id_phone")).to_have_value(phone)
    page.locator("#id_name").fill("张三")
    page.locator("#id_id_number").fill(id_number(731))
    page.locator("#id_consent").check()
    page.locator("form.form-stack button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/zh-hans/book/done/[2-9A-Z]{8}/$"))
    booked = Booking.objects.get(user__username=phone)

    # A booking made without an account, added with its code and the full ID number.
    walk_in = actions.booking_create(
        slot_id=booked.slot_id,
        service=booked.service,
        name="张三",
        id_number=id_number(732),
        phone=phone,
    )
    page.goto(site + "/zh-hans/account/")
    page.locator("main a[href='/zh-hans/book/mine/attach/']").click()
    page.locator("#id_code").fill(walk_in.code)
    page.locator("#id_id_number").fill(id_number(733))
    page.locator("form.form-stack button[type=submit]").click()
    expect(page.locator("#account-error")).to_be_visible()
    step("6-attach-refused")
    page.locator("#id_id_number").fill(id_number(732))
    page.locator("form.form-stack button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/zh-hans/book/mine/$"))
    expect(page.locator(".account-booking")).to_have_count(2)
    step("5-bookings")

    page.goto(site + "/zh-hans/account/")
    with page.expect_download() as download:
        page.locator("form[action='/zh-hans/account/data/'] button").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert {b["code"] for b in data["bookings"]} == {booked.code, walk_in.code}
    assert id_number(731) not in json.dumps(data, ensure_ascii=False)

    with page.expect_navigation():
        page.locator("main a[href='/zh-hans/account/delete/']").click()
    page.locator("#id_password").fill(PASSWORD)
    step("7-delete")
    page.locator("form.form-stack button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/zh-hans/$"))
    expect(page.locator("nav.main-nav a[href='/zh-hans/account/signin/']")).to_be_visible()
    assert set(
        Booking.objects.filter(pk__in=[booked.pk, walk_in.pk]).values_list("name", flat=True)
    ) == {"已注销用户"}
