"""Item 6 of issue 17: a resident joins the waiting list of a full day, is told the reference and
the position on the page and by SMS, and leaves the list with the link.
`pytest --screenshots` refreshes docs/screenshots/booking-14-full-day.png to booking-18-offer.png
(on a phone: they follow booking-01 to booking-13 of e2e/test_booking.py)."""

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.tests.factories import id_number

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("E2E_SHOTS_DIR")  # set it to look at the pages this test walks through
DOCS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def shot(request, page, name: str, docs_name: str) -> None:
    """To E2E_SHOTS_DIR when set; with --screenshots, the phone's page to docs/screenshots."""
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}-{page.form_factor}.png", full_page=True)
    if request.config.getoption("--screenshots") and page.form_factor == "phone":
        page.screenshot(path=DOCS / f"booking-{docs_name}.png", full_page=True)


def test_join_see_the_reference_and_leave(request, live_server, transactional_db, page):
    from appointments import actions
    from appointments.constants import WaitStatus
    from appointments.models import WaitingListEntry
    from appointments.tests.factories import SlotFactory
    from notifications.models import Message

    slot = SlotFactory(bookable=1)
    service = slot.schedule.services.first()
    actions.booking_create(slot_id=slot.pk, service=service, name="李四",
                           id_number=id_number(1), phone="13900139000")
    day = slot.start.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    if request.config.getoption("--screenshots"):
        page.goto(f"{live_server.url}/zh-hans/book/{service.code}/{slot.office.code}/?date={day}")
        expect(page.locator(".notice-full")).to_be_visible()
        shot(request, page, "waiting-full-day", "14-full-day")
    page.goto(f"{live_server.url}/zh-hans/book/{service.code}/{slot.office.code}/wait/?date={day}")
    shot(request, page, "waiting-join", "15-waiting-join")
    page.locator("#id_name").fill("王五")
    page.locator("#id_id_number").fill(id_number(2))
    page.locator("#id_phone").fill("13700137000")
    page.locator("#id_consent").check()
    page.locator("form.form-stack button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/zh-hans/book/waiting/[^/]+/$"))
    assert id_number(2) not in page.url
    entry = WaitingListEntry.objects.get()
    expect(page.locator("h1")).to_have_text("您已加入候补名单")
    expect(page.locator("main")).to_contain_text(entry.reference)
    expect(page.locator(".lead")).to_contain_text("排第 1 位")
    sms = Message.objects.get(kind="joined", channel="sms")
    # The SMS links to this very page (the host is SITE_URL's).
    assert entry.reference in sms.body and page.url.removeprefix(live_server.url) in sms.body
    shot(request, page, "waiting-joined", "16-waiting-joined")

    page.get_by_role("button", name="退出候补名单").click()
    expect(page.locator("h1")).to_have_text("您已退出候补名单")
    entry.refresh_from_db()
    assert entry.status == WaitStatus.CANCELLED
    shot(request, page, "waiting-left", "17-waiting-left")


def test_an_offer_says_until_when_the_place_is_held(request, live_server, transactional_db, page):
    from django.db import transaction
    from django.utils import formats, timezone, translation

    from appointments import actions
    from appointments.tests.factories import SlotFactory

    slot = SlotFactory(bookable=1)
    service = slot.schedule.services.first()
    booking = actions.booking_create(slot_id=slot.pk, service=service, name="李四",
                                     id_number=id_number(1), phone="13900139000")
    entry = actions.waiting_join(office=slot.office, service=service,
                                 day=timezone.localtime(slot.start).date(), name="王五",
                                 id_number=id_number(2), phone="13700137000")
    actions.booking_cancel(booking=booking)
    with transaction.atomic():  # what the release job does after the embargo
        assert actions.waiting_offer_place(slot_id=slot.pk)
    entry.refresh_from_db()
    with translation.override("zh-hans"):
        until = formats.date_format(timezone.localtime(entry.offer_expires_at), "DATETIME_FORMAT")

    page.goto(f"{live_server.url}/zh-hans/book/waiting/{actions.waiting_manage_token(entry)}/")
    expect(page.locator(".lead")).to_contain_text(until)
    page.locator("main a[href*='/book/offer/']").click()  # tokens carry their signing time
    expect(page.locator(".summary")).to_contain_text(until)
    shot(request, page, "waiting-offer", "18-offer")
