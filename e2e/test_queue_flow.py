"""A morning at one station, three windows of one browser: the kiosk checks a booking in, the
clerk's console calls it, and the waiting-room screen shows it (and announces it) within 2 s."""

import datetime as dt
import time
from pathlib import Path

import pytest
from django.utils import timezone

pytestmark = pytest.mark.e2e

SCREEN_PNG = Path(__file__).resolve().parent.parent / "docs" / "screenshots" / "waiting-screen.png"


def _booking_due_soon(office, service):
    """A booking for a few minutes from now: inside the check-in window."""
    from appointments.tests.factories import ScheduleFactory, SlotFactory, past_booking
    from core.tests.factories import id_number

    start = (timezone.now() + dt.timedelta(minutes=10)).replace(second=0, microsecond=0)
    schedule = ScheduleFactory(office=office, services=[service])
    slot = SlotFactory(schedule=schedule, start=start, end=start + dt.timedelta(minutes=30))
    return past_booking(
        slot=slot, id_number=id_number(41), status="booked", service=service, name="王小明"
    )


def _signed_in_context(browser, site, user, **options):
    from django.test import Client

    from accounts.tests.factories import verify_session

    client = verify_session(Client(), user)
    context = browser.new_context(locale="zh-CN", **options)
    host = site.split("//", 1)[1].split(":")[0]
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value}
    context.add_cookies([{**cookie, "domain": host, "path": "/"}])
    return context


def _more_calls(office, counters):
    """A busier morning for the screenshot: walk-ins called at the other counters."""
    from queues import actions
    from services.selectors import counter_services

    for counter in counters:
        actions.counter_open(counter=counter, clerk=None)
        service = counter_services(counter)[0]
        for _ in range(3):
            actions.ticket_take_walk_in(office=office, service=service)
        actions.ticket_call_next(counter=counter, clerk=None)


def test_kiosk_check_in_console_call_and_screen_in_one_browser(site, browser, request):
    from accounts.tests.factories import staff
    from queues.actions import kiosk_create
    from services.models import Office

    office = Office.objects.get(code="fr-dingwangtai")
    counter = office.counters.get(number=1)  # the one-window counter: serves everything
    service = office.services.filter(is_active=True).order_by("position").first()
    booking = _booking_due_soon(office, service)
    _kiosk, token = kiosk_create(office=office, name="大厅 1")
    clerk = staff("clerk", office=office)

    # The waiting-room screen, full HD, before anything happens.
    screen = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    screen.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    screen_page = screen.new_page()
    screen_page.goto(f"{site}/zh-hans/queue/screen/{office.code}/")
    assert screen_page.locator("h1").inner_text() == office.name_zh
    assert screen_page.locator(".call-ticket").count() == 0

    # The kiosk: set up once with the manager's link, then the resident types the code.
    kiosk = browser.new_context(locale="zh-CN", viewport={"width": 1080, "height": 1920})
    kiosk_page = kiosk.new_page()
    kiosk_page.goto(f"{site}/zh-hans/queue/kiosk/setup/{token}/")
    kiosk_page.locator("input[name=code]").fill(booking.code)
    kiosk_page.locator("form.kiosk-form button[type=submit]").click()
    number = kiosk_page.locator("#ticket-title").inner_text().strip()
    assert number[0] == service.category.ticket_letter and len(number) == 4

    # The clerk's console calls the next resident: the booked ticket.
    console = _signed_in_context(browser, site, clerk, viewport={"width": 1366, "height": 900})
    console_page = console.new_page()
    console_page.goto(f"{site}/zh-hans/staff/console/")
    assert "/signin" not in console_page.url
    console_page.locator(f"form[action$='/console/{counter.pk}/do/open/'] button").click()
    console_page.wait_for_url(f"**/staff/console/{counter.pk}/")
    console_page.locator("#btn-call-next").click()
    called_at = time.monotonic()
    assert console_page.locator(".ticket-number").inner_text().strip() == number

    # The screen shows it within 2 seconds, at counter 1, and announces it.
    shown = screen_page.locator(".call-newest .call-ticket")
    shown.filter(has_text=number).wait_for(timeout=2000)
    assert time.monotonic() - called_at < 2.0
    assert "1" in screen_page.locator(".call-newest .call-counter").inner_text()
    screen_page.wait_for_function("document.body.dataset.announced", timeout=2000)
    spoken = screen_page.evaluate("document.body.dataset.announced")
    assert " ".join(number) in spoken and "1" in spoken
    assert screen_page.evaluate("window.__csp") == []  # no inline script, no eval

    if request.config.getoption("--screenshots"):
        _more_calls(office, office.counters.exclude(pk=counter.pk).filter(is_active=True))
        screen_page.locator(".called li").nth(3).wait_for(timeout=3000)
        screen_page.wait_for_timeout(3500)  # the newest-call flash is over
        screen_page.screenshot(path=str(SCREEN_PNG))
    for context in (screen, kiosk, console):
        context.close()
