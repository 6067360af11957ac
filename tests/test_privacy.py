"""The privacy notice where personal data is asked for (issue 17): every resident form that
collects it links the notice, and a consent records the notice version it was given for, kept
through a reschedule and a waiting-list offer."""

import datetime as dt
import json
import re
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.models import ResidentProfile
from appointments import actions
from appointments.models import Booking, WaitingListEntry
from appointments.tests.factories import ScheduleFactory, SlotFactory
from core.privacy import PRIVACY_NOTICE_VERSION
from core.tests.factories import id_number
from documents.tests.factories import DocumentTypeFactory, office_for, resident
from feedback.tests.factories import invite, office_setup
from notifications.models import Message
from queues.tests.factories import kiosk_for, service_with_letter
from queues.tests.queue_setup import office_with
from queues.views.kiosk import KIOSK_COOKIE
from services.tests.factories import ServiceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday
TOMORROW = NOW.date() + dt.timedelta(days=1)
NOTICE = 'href="/zh-hans/privacy/"'


@pytest.fixture
def slot():
    return SlotFactory(schedule=ScheduleFactory(services=[ServiceFactory()]), bookable=1)


def urls_of(slot) -> tuple[str, str]:
    service = slot.schedule.services.get()
    base = f"/zh-hans/book/{service.code}/{slot.office.code}/"
    return f"{base}{slot.pk}/", f"{base}wait/?date={TOMORROW}"


def person(n: int = 1, **changes) -> dict:
    data = {
        "name": "张三", "id_number": id_number(n), "phone": "13800138000", "email": "",
        "consent": "on", "token": str(uuid.uuid4()), "notice_version": PRIVACY_NOTICE_VERSION,
    }  # fmt: skip
    return {**data, **changes}


def test_every_form_that_asks_for_personal_data_links_the_notice(client, slot):
    details, _wait = urls_of(slot)
    doc_type = DocumentTypeFactory(code="no-criminal-record")
    office_for(doc_type)
    office, service, counter = office_setup()
    _invitation, token = invite(office, service, counter)
    anonymous = [
        details, "/zh-hans/account/signup/", "/zh-hans/account/signin/",
        "/zh-hans/account/password/", "/zh-hans/book/manage/", "/zh-hans/feedback/mailbox/",
        reverse("feedback:rate", args=[token]),
    ]  # fmt: skip
    for url in anonymous:
        page = client.get(url)
        assert page.status_code == 200, url
        assert NOTICE in page.content.decode(), url

    client.force_login(resident())
    for url in [reverse("documents:request_apply", args=[doc_type.code]),
                reverse("appointments:booking_attach")]:  # fmt: skip
        page = client.get(url)
        assert page.status_code == 200, url
        assert NOTICE in page.content.decode(), url


def test_the_kiosk_s_walk_in_form_shows_the_notice_s_address(client):
    service = service_with_letter("A")
    office, _counters = office_with(service)
    _kiosk, token = kiosk_for(office)
    client.cookies[KIOSK_COOKIE] = token

    page = client.get(reverse("queues:kiosk_walk_in", args=[service.code]))

    assert page.status_code == 200
    assert "隐私声明：http://127.0.0.1:8000/zh-hans/privacy/" in page.content.decode()


def test_the_booking_records_the_notice_version_the_form_showed(client, slot):
    details, _wait = urls_of(slot)
    form = client.get(details).content.decode()
    shown = re.search(r'name="notice_version" value="([^"]+)"', form).group(1)
    assert shown == PRIVACY_NOTICE_VERSION
    assert 'aria-describedby="privacy-note"' in form and 'id="privacy-note"' in form

    assert client.post(details, person()).status_code == 302
    assert Booking.objects.get().privacy_notice_version == PRIVACY_NOTICE_VERSION


def test_a_notice_changed_while_the_form_was_open_must_be_agreed_to_again(client, slot):
    details, _wait = urls_of(slot)
    response = client.post(details, person(notice_version="2020-01-01"))

    assert response.status_code == 200
    assert "打开此表单后隐私声明已更新，请阅读后重新勾选同意。" in response.content.decode()
    assert not Booking.objects.exists()


def test_a_rescheduled_booking_keeps_the_consent_it_moved_from(slot):
    later = SlotFactory(schedule=slot.schedule, start=slot.start + dt.timedelta(hours=2))
    booking = actions.booking_create(
        slot_id=slot.pk, service=slot.schedule.services.get(), name="张三",
        id_number=id_number(1), phone="13800138000", privacy_notice_version="2026-01-01",
    )  # fmt: skip
    moved = actions.booking_reschedule(booking=booking, slot_id=later.pk)
    assert moved.privacy_notice_version == "2026-01-01"


def test_the_waiting_list_records_the_version_and_the_offered_booking_keeps_it(
    client, clock, slot
):
    first = actions.booking_create(
        slot_id=slot.pk, service=slot.schedule.services.get(), name="李四",
        id_number=id_number(1), phone="13900139000",
    )  # fmt: skip
    _details, wait = urls_of(slot)
    assert NOTICE in client.get(wait).content.decode()
    assert client.post(wait, person(2)).status_code == 302
    entry = WaitingListEntry.objects.get()
    assert entry.privacy_notice_version == PRIVACY_NOTICE_VERSION

    actions.booking_cancel(booking=first)
    clock.shift(dt.timedelta(minutes=31))  # past the embargo the place goes to the list
    actions.slot_release_embargoed_places()
    entry.refresh_from_db()
    client.post(f"/zh-hans/book/offer/{actions.waiting_offer_token(entry)}/")

    offered = Booking.objects.get(id_masked=entry.id_masked)
    assert offered.privacy_notice_version == PRIVACY_NOTICE_VERSION


def test_a_new_account_records_the_version_agreed_to_at_sign_up(
    client, django_capture_on_commit_callbacks
):
    phone = "13912345678"
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post("/zh-hans/account/signup/", {
            "contact": phone, "password1": "Lantern-river-42", "password2": "Lantern-river-42",
            "consent": "on", "notice_version": PRIVACY_NOTICE_VERSION,
        })  # fmt: skip
    assert started.status_code == 302
    sms = Message.objects.filter(channel="sms", recipient=phone).latest("id").body
    code = re.search(r"\b(\d{6})\b", sms).group(1)

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/zh-hans/account/signup/code/", {"code": code}).status_code == 302
    profile = ResidentProfile.objects.get(verified_phone=phone)
    assert profile.privacy_notice_version == PRIVACY_NOTICE_VERSION
    export = json.loads(client.post("/zh-hans/account/data/").content)
    assert export["account"]["privacy_notice_agreed"] == PRIVACY_NOTICE_VERSION
