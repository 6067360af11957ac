"""The kiosk's opening hours and walk-in priority, and the console answering an action with only
what changed, in Debian's chromium. Screenshots go to $OW_SHOTS when it is set (for review)."""

import datetime as dt
import os
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("OW_SHOTS")
MONDAY_TEN = dt.datetime(2026, 12, 7, 10, 0)  # the demo station is open 09:00–12:00
SATURDAY_AFTERNOON = dt.datetime(2026, 12, 5, 12, 30)  # open Saturday mornings only


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.make_aware(moment)


def test_the_kiosk_gives_a_senior_priority_and_no_tickets_when_closed(site, browser):
    from core.tests.factories import id_number
    from queues.actions import kiosk_create
    from queues.models import Ticket
    from services.models import Office

    office = Office.objects.get(code="fr-dingwangtai")
    service = office.services.filter(is_active=True, channel="counter").order_by("position").first()
    _kiosk, token = kiosk_create(office=office, name="大厅 2")
    kiosk = browser.new_context(locale="zh-CN", viewport={"width": 1080, "height": 1920})
    page = kiosk.new_page()
    with time_machine.travel(_local(SATURDAY_AFTERNOON), tick=True):
        page.goto(f"{site}/zh-hans/queue/kiosk/setup/{token}/")
        page.goto(f"{site}/zh-hans/queue/kiosk/walk-in/")
        alert = page.locator("[role=alert]").inner_text()
        assert "12月7日（星期一）09:00" in alert, alert
        _shot(page, "kiosk-closed")
    with time_machine.travel(_local(MONDAY_TEN), tick=True):
        page.goto(f"{site}/zh-hans/queue/kiosk/take/{service.code}/")
        senior = id_number(61, born=dt.date(1950, 3, 1))
        page.locator("input[name=id_number]").fill(senior)
        _shot(page, "kiosk-walk-in-priority")
        page.locator("form button[type=submit]").click()
        page.locator("#ticket-title").wait_for()
        assert "65" in page.locator(".kiosk-priority").inner_text()
        assert senior not in page.content()
        _shot(page, "kiosk-ticket-priority")
    assert Ticket.objects.get(office=office).priority_reason == "age"
    kiosk.close()


def test_a_console_action_answers_in_place(site, browser):
    from accounts.tests.factories import staff, verify_session
    from queues import actions
    from services.models import Office

    office = Office.objects.get(code="fr-dingwangtai")
    counter = office.counters.get(number=1)  # the one-window counter: serves everything
    service = office.services.filter(is_active=True).order_by("position").first()
    first, second = (actions.ticket_take_walk_in(office=office, service=service) for _ in "12")
    claimed = actions.ticket_take_walk_in(office=office, service=service, claims_priority=True)
    clerk = staff("clerk", office=office)
    actions.counter_open(counter=counter, clerk=clerk)

    from django.test import Client

    client = verify_session(Client(), clerk)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    host = site.split("//", 1)[1].split(":")[0]
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "domain": host,
                "path": "/",
            }
        ]
    )
    page = context.new_page()
    page.goto(f"{site}/zh-hans/staff/console/{counter.pk}/")
    assert page.locator("#queue-count").inner_text() == "3"
    assert not page.locator("#transfer").is_visible()
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/do/" in r.url else None)

    page.locator("#btn-call-next").click()
    page.locator(".ticket-number").filter(has_text=claimed.display).wait_for(timeout=2000)
    # The answer alone (no poll yet): the claimed ticket's row is gone, the count says 2, the
    # transfer form is there, and the clerk is asked to check the claimed priority.
    assert page.locator(f"#q-{claimed.pk}").count() == 0
    assert page.locator("#queue-count").inner_text() == "2"
    assert page.locator("#transfer").is_visible()
    assert page.locator("#btn-priority-confirm").is_visible()
    assert claimed.display in page.locator("#console-message").inner_text()
    _shot(page, "console-called-claimed")

    page.locator("#btn-priority-confirm").click()
    page.locator("#console-message").filter(has_text="确认").wait_for(timeout=2000)
    page.keyboard.press("f")
    page.locator(".current-empty").wait_for(timeout=2000)
    assert not page.locator("#transfer").is_visible()
    assert not page.locator("#btn-close").is_disabled()
    assert len(requests) == 3
    _shot(page, "console-finished")
    for ticket in (first, second, claimed):
        ticket.refresh_from_db()
    assert (claimed.status, claimed.priority_reason) == ("done", "confirmed")
    context.close()


def test_without_javascript_the_phone_page_still_follows_the_ticket(site, browser):
    """A phone with JavaScript off reloads the follow page by itself (<noscript> refresh)."""
    from queues import actions
    from services.models import Office

    office = Office.objects.get(code="fr-dingwangtai")
    counter = office.counters.get(number=1)
    service = office.services.filter(is_active=True).order_by("position").first()
    ticket = actions.ticket_take_walk_in(office=office, service=service)
    phone = browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = phone.new_page()
    page.goto(f"{site}/zh-hans/queue/t/{ticket.follow_token}/")
    assert "号窗口" not in page.locator("#ticket-status").inner_text()
    actions.counter_open(counter=counter, clerk=None)
    actions.ticket_call_next(counter=counter, clerk=None)
    page.locator("#ticket-status").filter(has_text="请立即到 1 号窗口").wait_for(timeout=25_000)
    _shot(page, "follow-called-without-javascript")
    phone.close()
