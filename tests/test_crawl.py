"""Every page a resident reaches by following links and htmx requests from the home page, in
both languages, answers without a server error: as the whole page and as the fragment htmx asks
for. The walk starts signed out with a booking found by code (so the manage, reschedule and
cancel pages are on it), then again signed in as the demo resident.

A crawl, not a list of URLs: a page added later is walked as soon as something links to it.
Only GET requests; nothing is booked or cancelled. Every page reached must go out with
`Cache-Control: private, no-store` (core/middleware.py)."""

import html
import re
from collections import Counter
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from accounts.demo import DEMO_OFFICE, DEMO_STAFF
from appointments import actions, selectors
from appointments.models import Slot
from core.tests.factories import id_number
from documents.demo import DEMO_RESIDENT_PHONE

LINK = re.compile(r'(?:href|hx-get|action)="([^"]*)"')
# Staff pages, the admin and the API have their own tests (their own sign-in); static files and
# downloads are not pages; sign-out would end the walk's session.
NOT_WALKED = ("/staff/", "/admin/", "/api/", "/static/", "/media/", "/queue/screen/", "/kiosk/")
NOT_WALKED_PARTS = ("logout", "signout", "sign-out", "/pdf/", "/ics/", ".pdf", ".ics", ".xlsx")
PAGES = 300
SAME_SHAPE = 4  # pages of one URL shape (see shape) are walked at most this often


def shape(url: str) -> str:
    """/en/book/hz-move-in/yh-gaoqiao/ -> /en/book/X/X/: codes (a hyphen, a digit or a capital)
    become X, fixed words such as manage or cancel stay."""
    return re.sub(r"/[^/]*[-0-9A-Z][^/]*(?=/)", "/X", urlsplit(url).path)


def links(url: str, page: str, staff: bool) -> list[str]:
    found = []
    for raw in LINK.findall(page):
        target = urlsplit(urljoin(url, html.unescape(raw)))
        if target.scheme not in ("", "http") or target.netloc not in ("", "testserver"):
            continue
        path = target.path + (f"?{target.query}" if target.query else "")
        if any(part in path for part in NOT_WALKED_PARTS):
            continue
        if staff != ("/staff/" in target.path) or (not staff and path.startswith(NOT_WALKED)):
            continue  # the staff walk stays on staff pages, the residents' walk off them
        found.append(path)
    return found


def walk(client: Client, starts: list[str], *, staff: bool = False) -> tuple[set[str], list[tuple]]:
    seen: set[str] = set()
    shapes: Counter = Counter()
    todo = list(starts)
    failures = []
    while todo and len(seen) < PAGES:
        url = todo.pop(0)
        if url in seen or shapes[shape(url)] >= SAME_SHAPE:
            continue
        seen.add(url)
        shapes[shape(url)] += 1
        fragment = client.get(url, headers={"HX-Request": "true"})
        if fragment.status_code >= 500:
            failures.append((url, "htmx", fragment.status_code))
        response = client.get(url)
        if response.status_code >= 500:
            failures.append((url, "page", response.status_code))
        if not _private(response):  # personal data: never kept by a cache (issue 14)
            failures.append((url, "Cache-Control", response.get("Cache-Control")))
        if response.status_code in (301, 302) and "Location" in response:
            todo.append(response["Location"])
        if "text/html" in response.get("Content-Type", ""):
            todo += links(url, response.content.decode(), staff)
    return seen, failures


def _private(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


def found_booking(client: Client, office=None) -> str:
    """A booking at the first open slot (at `office`), found by code in `client`'s session."""
    now = timezone.now()
    slots = Slot.objects.filter(
        is_closed=False, bookable__gt=0, start__gt=now, schedule__services__isnull=False
    ).order_by("start")  # a slot of a business line, not of a 一件事 visit (no services)
    if office is not None:
        slots = slots.filter(office=office)
    slot = next(s for s in slots if selectors.slot_window(s).state(now) == "open")
    booking = actions.booking_create(
        slot_id=slot.pk,
        service=slot.schedule.services.first(),
        name="李四",
        id_number=id_number(5),
        phone="13900139000",
    )
    found = client.post(
        "/zh-hans/book/manage/", {"code": booking.code, "id_last4": booking.id_masked[-4:]}
    )
    assert found.status_code == 302
    return booking.code


@pytest.mark.django_db
def test_every_reachable_resident_page_answers_without_a_server_error(seeded):
    visitor = Client(raise_request_exception=False)
    code = found_booking(visitor)
    starts = ["/zh-hans/", "/en/", f"/zh-hans/book/manage/{code}/", f"/en/book/manage/{code}/"]
    before = state()
    seen, failures = walk(visitor, starts)
    assert not failures, failures
    assert state() == before
    assert f"/zh-hans/book/manage/{code}/reschedule/" in seen
    assert any(url.startswith("/en/book/") and "?date=" in url for url in seen)

    from accounts.models import User

    resident = Client(raise_request_exception=False)
    resident.force_login(User.objects.get(resident_profile__verified_phone=DEMO_RESIDENT_PHONE))
    seen, failures = walk(resident, ["/zh-hans/account/", "/en/account/"])
    assert not failures, failures
    assert len(seen) > 20


def state() -> dict:
    """What a walk must leave as it found it: the status of every booking, ticket, request,
    case and letter."""
    from appointments.models import Booking
    from documents.models import DocumentRequest
    from feedback.models import FollowUpCase, MailboxItem
    from queues.models import CounterState, Ticket

    models = (Booking, Ticket, DocumentRequest, FollowUpCase, MailboxItem)
    states = {m.__name__: sorted(m.objects.values_list("pk", "status")) for m in models}
    states["counters"] = sorted(
        CounterState.objects.values_list("counter", "clerk", "is_open", "is_paused")
    )
    return states


def demo_office_activity() -> None:
    """Something for each staff page to show at the demo staff's office: a booking, a walk-in
    ticket, document requests at two stages, a bad rating with its case, a mailbox letter."""
    from documents.constants import RequestStatus
    from documents.models import DocumentType
    from documents.tests.factories import request_in
    from feedback.actions import evaluation_record
    from feedback.tests.factories import invite, mailbox_item_for
    from queues.actions import ticket_take_walk_in
    from services.models import Office

    office = Office.objects.get(code=DEMO_OFFICE)
    found_booking(Client(), office=office)
    service = office.services.filter(is_active=True).first()
    ticket_take_walk_in(office=office, service=service)
    doc_type = DocumentType.objects.filter(service__offices=office).first()
    # Not a submitted one: opening a submitted request starts its review, on purpose (the one
    # GET that changes something, documents/views/review.py), which the walk would trip over.
    for status in (RequestStatus.UNDER_REVIEW, RequestStatus.NEEDS_INFO):
        request_in(status, office=office, doc_type=doc_type)
    _invitation, token = invite(office, service, office.counters.first(), ref="ticket:crawl")
    evaluation_record(token=token, rating=1)
    mailbox_item_for(office)


# The system administrator works in the admin, whose pages test_admin.py and the browser's CSP
# walk (e2e/test_csp.py) load one by one.
@pytest.mark.django_db
@pytest.mark.parametrize("username", [row[0] for row in DEMO_STAFF if row[1] != "sysadmin"])
def test_every_staff_page_reachable_from_the_staff_home_answers_without_a_server_error(
    seeded, username
):
    from accounts.models import User
    from accounts.tests.factories import verify_session

    demo_office_activity()
    user = User.objects.get(username=username)
    staff = verify_session(Client(raise_request_exception=False), user)
    before = state()
    seen, failures = walk(staff, ["/zh-hans/staff/", "/en/staff/"], staff=True)
    assert not failures, failures
    assert len(seen) > 8
    assert state() == before  # the walk GETs every link and form action: a GET changes nothing
