"""Bookings and residents' accounts: "my bookings", attaching a booking found by its code,
booking while signed in, and what a data export and an account deletion do to bookings."""

import datetime as dt
import json
import re
import uuid
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import ResidentProfile, Role, StaffRole
from appointments.constants import BookingStatus
from appointments.errors import BookingNotFound
from appointments.models import Booking
from appointments.tests.factories import ScheduleFactory, SlotFactory, past_booking
from appointments.tests.factories import book as book_for
from core.crypto import decrypt_text, pii_hmac
from core.idnumbers import mask_id_number
from core.tests.factories import id_number
from services.tests.factories import ServiceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday, 09:00
PHONE = "13912345678"
PASSWORD = "Lantern-river-42"
MINE = "/zh-hans/book/mine/"
ATTACH = "/zh-hans/book/mine/attach/"
ID_MISMATCH = (
    "This ID number is not the one already linked to your account. Only bookings for your own "
    "ID number can be added."
)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


# The account holder 王五 with his own phone and e-mail.
book = partial(book_for, name="王五", phone="13700137000", email="wang@example.com")


@pytest.fixture
def slot():
    return SlotFactory(
        schedule=ScheduleFactory(services=[ServiceFactory()]), capacity=20, bookable=20
    )


def make_resident(phone: str = PHONE, *, id_n: int | None = None):
    """A resident as sign-up leaves one; `id_n`: the ID number already linked to the account."""
    user = get_user_model().objects.create_user(username=phone, phone=phone, password=PASSWORD)
    profile = ResidentProfile.objects.create(user=user, verified_phone=phone)
    if id_n is not None:
        profile.id_number_hmac = pii_hmac(id_number(id_n))
        profile.id_masked = mask_id_number(id_number(id_n))
        profile.save()
    return user


@pytest.fixture
def resident(client):
    user = make_resident()
    client.force_login(user)
    return user


def another_service_slot(slot):
    """A second service at the same slot: one person may hold one booking per service."""
    other = ServiceFactory()
    slot.schedule.services.add(other)
    slot.office.services.add(other)
    return other


def html(response) -> str:
    return response.content.decode()


# --- my bookings ---------------------------------------------------------------------------------


def test_my_bookings_lists_linked_and_id_matched_bookings_but_no_one_elses(client, slot):
    user = make_resident(id_n=1)
    client.force_login(user)
    linked = book(slot, 5, user=user, name="孩子")  # booked while signed in, for a child
    same_id = book(slot, 1)  # booked without an account, for the account's ID number
    stranger = book(slot, 2)
    other_account = book(slot, 3, user=make_resident("13600136000"))

    page = html(client.get(MINE))

    assert linked.code in page and same_id.code in page
    assert stranger.code not in page and other_account.code not in page
    assert id_number(1) not in page and mask_id_number(id_number(1)) in page


def test_an_account_with_no_id_number_yet_sees_only_its_linked_bookings(client, slot, resident):
    linked = book(slot, 1, user=resident)
    unlinked = book(slot, 1, service=another_service_slot(slot))
    page = html(client.get(MINE))
    assert linked.code in page and unlinked.code not in page


def test_opening_a_booking_from_the_list_shows_its_page_but_not_someone_elses(
    client, slot, resident
):
    mine = book(slot, 1, user=resident)
    theirs = book(slot, 2)

    response = client.get(f"{MINE}{mine.code}/", follow=True)

    assert response.redirect_chain[-1][0] == f"/zh-hans/book/manage/{mine.code}/"
    assert mine.code in html(response)
    assert client.get(f"{MINE}{theirs.code}/").status_code == 404
    assert client.get(f"/zh-hans/book/manage/{theirs.code}/").status_code == 302  # to lookup


def test_staff_have_no_my_bookings_page(client):
    staff = get_user_model().objects.create_user(username="clerk", password=PASSWORD)
    StaffRole.objects.create(user=staff, role=Role.CLERK)
    client.force_login(staff)
    assert client.get(MINE).status_code == 403


# --- booking while signed in ---------------------------------------------------------------------


def details_url(slot) -> str:
    service = slot.schedule.services.first()
    return f"/zh-hans/book/{service.code}/{slot.office.code}/{slot.pk}/"


def post_booking(client, slot, **changes):
    data = {
        "name": "张三",
        "id_number": id_number(1),
        "phone": PHONE,
        "email": "",
        "consent": "on",
        "token": str(uuid.uuid4()),
        **changes,
    }
    return client.post(details_url(slot), data)


def test_a_signed_in_resident_finds_the_form_filled_and_the_booking_in_the_account(
    client, slot, resident
):
    earlier = book(slot, 1, user=resident, name="张三", service=another_service_slot(slot))
    page = html(client.get(details_url(slot)))
    assert f'value="{PHONE}"' in page and 'value="张三"' in page

    response = post_booking(client, slot)

    assert response.status_code == 302
    booking = Booking.objects.exclude(pk=earlier.pk).get()
    assert booking.user == resident
    assert booking.code in html(client.get(MINE))


def test_a_visitor_or_a_staff_member_books_without_an_account(client, slot):
    assert post_booking(client, slot).status_code == 302
    staff = get_user_model().objects.create_user(username="clerk", password=PASSWORD)
    StaffRole.objects.create(user=staff, role=Role.CLERK)
    client.force_login(staff)
    # Nothing of a resident's is filled in for staff (the form token's random value aside).
    phone_field = re.search(r'<input[^>]*name="phone"[^>]*>', html(client.get(details_url(slot))))
    assert "value=" not in phone_field.group(0)
    assert post_booking(client, slot, id_number=id_number(2)).status_code == 302
    assert list(Booking.objects.values_list("user", flat=True)) == [None, None]


# --- attaching a booking made without an account -----------------------------------------------


def test_a_booking_found_by_code_and_full_id_number_joins_the_account(client, slot, resident):
    booking = book(slot, 1)

    response = client.post(ATTACH, {"code": booking.code.lower(), "id_number": id_number(1)})

    assert response.status_code == 302 and response["Location"] == MINE
    booking.refresh_from_db()
    assert booking.user == resident
    profile = ResidentProfile.objects.get(user=resident)
    assert profile.id_number_hmac == pii_hmac(id_number(1))
    assert profile.id_masked == mask_id_number(id_number(1))
    assert booking.code in html(client.get(MINE))


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_a_wrong_id_number_is_refused_in_the_page_language_and_nothing_changes(
    client, slot, resident, lang
):
    booking = book(slot, 1)

    response = client.post(
        f"/{lang}/book/mine/attach/", {"code": booking.code, "id_number": id_number(2)}
    )

    assert response.status_code == 404
    with translation.override(lang):
        assert str(BookingNotFound.message) in html(response)
    booking.refresh_from_db()
    assert booking.user is None
    assert ResidentProfile.objects.get(user=resident).id_number_hmac == ""


def test_an_unknown_code_gets_the_same_refusal_as_a_wrong_id_number(client, resident):
    response = client.post(ATTACH, {"code": "ZZZZZZZZ", "id_number": id_number(1)})
    assert response.status_code == 404
    assert str(BookingNotFound.message) in html(response)


def test_once_an_id_number_is_linked_bookings_for_another_number_are_refused(
    client, slot, resident
):
    mine, sisters = book(slot, 1), book(slot, 2)
    client.post(ATTACH, {"code": mine.code, "id_number": id_number(1)})

    response = client.post(ATTACH, {"code": sisters.code, "id_number": id_number(2)})

    assert response.status_code == 400
    assert gettext(ID_MISMATCH) in html(response)
    sisters.refresh_from_db()
    assert sisters.user is None
    assert ResidentProfile.objects.get(user=resident).id_number_hmac == pii_hmac(id_number(1))


def test_a_booking_of_another_account_stays_there(client, slot, resident):
    owner = make_resident("13600136000")
    booking = book(slot, 1, user=owner)
    response = client.post(ATTACH, {"code": booking.code, "id_number": id_number(1)})
    assert response.status_code == 404
    booking.refresh_from_db()
    assert booking.user == owner


def test_attaching_is_limited_against_guessing(client, slot, resident):
    booking = book(slot, 1)
    for n in range(2, 12):
        client.post(ATTACH, {"code": booking.code, "id_number": id_number(n)})
    response = client.post(ATTACH, {"code": booking.code, "id_number": id_number(1)})
    assert response.status_code == 429
    booking.refresh_from_db()
    assert booking.user is None


# --- export and deletion -------------------------------------------------------------------------


def test_the_data_export_holds_the_account_and_its_bookings_with_masked_id_numbers(client, slot):
    user = make_resident(id_n=1)
    client.force_login(user)
    linked = book(slot, 5, user=user, name="孩子")
    same_id = book(slot, 1)
    stranger = book(slot, 2)

    response = client.post("/zh-hans/account/data/")

    data = json.loads(response.content)
    assert data["account"]["mobile_number"] == PHONE
    assert data["account"]["id_number_masked"] == mask_id_number(id_number(1))
    by_code = {b["code"]: b for b in data["bookings"]}
    assert set(by_code) == {linked.code, same_id.code}
    assert stranger.code not in response.content.decode()
    assert by_code[linked.code]["name"] == "孩子"
    assert by_code[linked.code]["id_number_masked"] == mask_id_number(id_number(5))
    assert by_code[linked.code]["linked_to_account"] is True
    assert by_code[same_id.code]["linked_to_account"] is False
    assert by_code[same_id.code]["service"] == same_id.service.name
    text = response.content.decode()
    assert id_number(1) not in text and id_number(5) not in text
    # Readable UTF-8, not \\uXXXX escapes: a resident opens it in any text editor.
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert '"name": "孩子"' in text and "\\u" not in text


def test_deleting_the_account_keeps_its_bookings_anonymous(client, slot):
    user = make_resident(id_n=1)
    client.force_login(user)
    ahead = book(slot, 5, user=user, name="孩子")
    done = past_booking(
        slot=SlotFactory(schedule=slot.schedule, start=NOW - dt.timedelta(days=7)),
        id_number=id_number(1),
        status=BookingStatus.COMPLETED,
        name="张三",
        email="zhang@example.com",
    )
    stranger = book(slot, 2, name="路人")

    response = client.post("/zh-hans/account/delete/", {"password": PASSWORD})

    assert response.status_code == 302
    ahead.refresh_from_db()
    done.refresh_from_db()
    stranger.refresh_from_db()
    for booking in (ahead, done):
        assert (booking.name, booking.phone, booking.email, booking.user) == (
            "已注销用户",
            "",
            "",
            None,
        )
    # Still ahead: the ID number stays (encrypted), to be checked at the counter.
    assert decrypt_text(ahead.id_number_enc) == id_number(5)
    assert ahead.status == BookingStatus.BOOKED
    # Over: only the mask and the keyed digest remain.
    assert done.id_number_enc == ""
    assert done.id_masked == mask_id_number(id_number(1))
    assert done.id_number_hmac == pii_hmac(id_number(1))
    assert (stranger.name, stranger.phone) == ("路人", "13700137000")
    assert not get_user_model().objects.filter(pk=user.pk).exists()
    signin = {"contact": PHONE, "password": PASSWORD}
    assert client.post("/zh-hans/account/signin/", signin).status_code == 400
    # The anonymous booking can still be found with its code at the counter or online.
    found = client.post(
        "/zh-hans/book/manage/", {"code": ahead.code, "id_last4": id_number(5)[-4:]}
    )
    assert found.status_code == 302
