"""Finding: pages with personal data went out without Cache-Control (/account/, /book/mine/).
Every page and API answer is now `private, no-store` unless its view says otherwise; the crawl
(tests/test_crawl.py) checks every resident and staff page it reaches too."""

import pytest
from django.test import Client

from accounts.tests.factories import staff, verify_session
from documents.tests.factories import resident

pytestmark = pytest.mark.django_db


def private(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


def test_account_pages_are_not_cached():
    client = Client()
    client.force_login(resident())
    for url in ("/en/account/", "/zh-hans/book/mine/", "/en/documents/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert private(response), url


def test_a_found_booking_and_its_api_answer_are_not_cached(booking):
    client = Client()
    found = client.post("/en/book/manage/", {"code": booking.code,
                                             "id_last4": booking.id_masked[-4:]})
    page = client.get(found["Location"])
    assert page.status_code == 200 and private(page)
    api = Client().get(f"/api/v1/bookings/{booking.code}/", {"id_last4": booking.id_masked[-4:]})
    assert api.status_code == 200 and private(api)


def test_a_followed_mailbox_message_is_not_cached():
    from feedback import actions
    from services.tests.factories import OfficeFactory

    item, code = actions.mailbox_submit(category="complaint", office=OfficeFactory(),
                                        subject="s", text="t", name="n", phone="13912345678")
    shown = Client().post("/en/feedback/mailbox/follow/",
                          {"reference": item.reference, "code": code})
    assert shown.status_code == 200 and item.reference in shown.content.decode()
    assert private(shown)


def test_staff_pages_are_not_cached():
    client = verify_session(Client(), staff("clerk"))
    for url in ("/en/staff/", "/en/staff/unlock/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert private(response), url
