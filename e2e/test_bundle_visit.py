"""一件事 booked as one visit and served at one counter: a resident on a phone books 户口迁入一件事
(迁入登记 + 换领身份证 + 换发户口簿) from the catalogue as ONE visit, gets ONE booking code and
confirmation; on the day the kiosk gives ONE ticket, and the clerk at the one-window counter
calls it, sees every part of it and finishes it.

`pytest --screenshots` also refreshes docs/screenshots/bundle-visit-*.png."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.tests.factories import id_number

pytestmark = pytest.mark.e2e
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
BUNDLE = "move-in"
OFFICE = "fr-dingwangtai"


def _the_day_comes(booking) -> None:
    """Stand-in for the calendar: the booked visit now starts in ten minutes (check-in opens
    30 minutes before), its slot moved with it."""
    from appointments.models import Booking, Slot

    start = (timezone.now() + dt.timedelta(minutes=10)).replace(second=0, microsecond=0)
    length = booking.slot.end - booking.slot.start
    Slot.objects.filter(pk=booking.slot_id).update(start=start, end=start + length)
    Booking.objects.filter(pk=booking.pk).update(start=start)


def test_a_bundle_booked_as_one_visit_and_served_at_one_counter(request, site, browser, page):
    if page.form_factor != "phone":
        pytest.skip("the resident books on a phone; the counter is the desktop part")
    from accounts.tests.factories import staff
    from appointments.models import Booking
    from queues.actions import kiosk_create
    from queues.models import Ticket
    from services.models import Office

    from .test_queue_flow import _signed_in_context

    refresh = request.config.getoption("--screenshots")

    def shot(target, name: str, *, full_page: bool = True) -> None:
        if refresh:
            OUT.mkdir(parents=True, exist_ok=True)
            target.screenshot(path=OUT / f"bundle-visit-{name}.png", full_page=full_page)

    # The catalogue offers "book one visit" next to "apply online".
    page.goto(f"{site}/zh-hans/bundles/{BUNDLE}/")
    expect(page.locator(f"a[href='/zh-hans/documents/bundle/{BUNDLE}/apply/']")).to_be_visible()
    shot(page, "01-catalogue")
    page.locator("#book-one-visit").click()
    expect(page).to_have_url(re.compile(rf"/zh-hans/book/bundle/{BUNDLE}/$"))
    expect(page.locator("ol.bundle-parts li")).to_have_count(3)
    shot(page, "02-office")

    page.locator(f"#results a.choice[href$='/{OFFICE}/']").click()
    expect(page.locator("ol.day-list")).to_be_visible()
    page.locator("a.day-open").nth(1).click()
    expect(page.locator("#slots-title")).to_be_focused()
    shot(page, "03-time")
    slot_text = page.locator("ul.slot-list a.slot .slot-time").first.inner_text()
    start, end = (dt.datetime.strptime(t, "%H:%M") for t in slot_text.split("–"))
    assert (end - start) >= dt.timedelta(minutes=40)  # 20 + 10 + 10 minutes at the counter
    with page.expect_navigation():
        page.locator("ul.slot-list a.slot").first.click()

    page.locator("#id_name").fill("王小明")
    page.locator("#id_id_number").fill(id_number(733))
    page.locator("#id_phone").fill("13800138000")
    page.locator("#id_consent").check()
    shot(page, "04-details")
    page.locator("form.form-stack button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/zh-hans/book/done/[2-9A-Z]{8}/$"))
    code = page.locator(".booking-code").inner_text().strip()
    expect(page.locator("#booking-parts li")).to_have_count(3)
    shot(page, "05-confirmation")
    booking = Booking.objects.select_related("slot").get(code=code)
    assert booking.bundle.code == BUNDLE and Booking.objects.count() == 1

    _the_day_comes(booking)
    office = Office.objects.get(code=OFFICE)
    _kiosk, token = kiosk_create(office=office, name="大厅 1")
    kiosk = browser.new_context(locale="zh-CN", viewport={"width": 1080, "height": 1920})
    kiosk_page = kiosk.new_page()
    kiosk_page.goto(f"{site}/zh-hans/queue/kiosk/setup/{token}/")
    kiosk_page.locator("input[name=code]").fill(code)
    kiosk_page.locator("form.kiosk-form button[type=submit]").click()
    number = kiosk_page.locator("#ticket-title").inner_text().strip()
    expect(kiosk_page.locator(".kiosk-service")).to_have_text("户口迁入一件事")
    assert Ticket.objects.count() == 1  # one ticket for the three parts

    counter = office.counters.get(number=1)  # the one-window counter serves every part
    clerk = staff("clerk", office=office)
    console = _signed_in_context(browser, site, clerk, viewport={"width": 1366, "height": 900})
    console_page = console.new_page()
    console_page.goto(f"{site}/zh-hans/staff/console/")
    console_page.locator(f"form[action$='/console/{counter.pk}/do/open/'] button").click()
    console_page.wait_for_url(f"**/staff/console/{counter.pk}/")
    console_page.locator("#btn-call-next").click()
    expect(console_page.locator(".ticket-number")).to_have_text(number)
    parts = console_page.locator("#ticket-parts li")
    expect(parts).to_have_count(3)
    for name in ("迁入", "身份证", "户口簿"):
        expect(console_page.locator("#ticket-parts")).to_contain_text(name)
    shot(console_page, "06-console", full_page=False)
    console_page.locator("#btn-finish").click()
    expect(console_page.locator(".ticket-number")).to_have_count(0)

    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.counter_id, ticket.bundle_id) == ("done", counter.pk,
                                                                    booking.bundle_id)
    assert Booking.objects.get(code=code).status == "completed"
    kiosk.close()
    console.close()
