"""Findings: guessing a booking's ID digits was stopped only per address (and a forged header
lifted that), while the per-address lock shut out everyone behind a carrier's NAT address.
Now wrong answers count per target: after 5 in 24 hours the booking (or mailbox message) is
locked for everyone, its holder gets an SMS with an unlock link, a clerk can unlock it at the
counter, and failures and locks are audited."""

import re

import pytest
from django.test import Client

from accounts.models import AuditAction, AuditEntry
from accounts.tests.factories import staff, verify_session

from .conftest import PHONE

pytestmark = pytest.mark.django_db
_peer = iter(range(1, 10_000))


def from_new_address() -> Client:
    return Client(REMOTE_ADDR=f"10.9.{next(_peer) // 250}.{next(_peer) % 250 + 1}")


def page_lookup(client: Client, code: str, last4: str):
    return client.post("/en/book/manage/", {"code": code, "id_last4": last4})


def wrong(booking) -> str:
    return "0000" if booking.id_masked[-4:] != "0000" else "1111"


def unlock_url(outbox) -> str:
    (sms,) = [m for m in outbox if m["phone"] == PHONE and "/unlock/" in m["text"]]
    return re.search(r"https?://[^/]+(/\S+/unlock/\S+/)", sms["text"]).group(1)


def test_five_wrong_digits_from_five_addresses_lock_the_booking_for_everyone(booking, _sms_outbox):
    for _ in range(5):
        assert page_lookup(from_new_address(), booking.code, wrong(booking)).status_code == 404
    right = page_lookup(from_new_address(), booking.code, booking.id_masked[-4:])
    assert right.status_code == 423
    assert "locked for everyone" in right.content.decode()
    api = Client().get(f"/api/v1/bookings/{booking.code}/", {"id_last4": booking.id_masked[-4:]})
    assert api.status_code == 423 and api.json()["error"] == "lookup_locked"
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions.count(AuditAction.LOOKUP_FAILED) == 5
    assert actions.count(AuditAction.LOOKUP_LOCKED) == 1


def test_the_holder_unlocks_with_the_link_sent_to_their_phone(
    booking, _sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            page_lookup(from_new_address(), booking.code, wrong(booking))
    url = unlock_url(_sms_outbox)
    holder = Client()
    assert holder.get(url).status_code == 200  # a link preview fetching it unlocks nothing
    assert page_lookup(Client(), booking.code, booking.id_masked[-4:]).status_code == 423
    assert holder.post(url).status_code == 200
    assert page_lookup(Client(), booking.code, booking.id_masked[-4:]).status_code == 302
    assert holder.post(url).status_code == 400  # used: the link unlocks this lock only
    lifted = AuditEntry.objects.filter(action=AuditAction.LOCKOUT_LIFTED).get()
    assert lifted.details["via"] == "sms_link"


def test_a_clerk_unlocks_at_the_counter(booking):
    for _ in range(5):
        page_lookup(from_new_address(), booking.code, wrong(booking))
    clerk = verify_session(Client(), staff("clerk", office=booking.office))
    other = verify_session(Client(), staff("clerk", office=None, username="elsewhere"))
    stranger = staff("clerk", username="other-office")
    from services.tests.factories import OfficeFactory

    stranger.staff_roles.update(office=OfficeFactory())
    refused = verify_session(Client(), stranger).post(
        "/en/staff/unlock/", {"kind": "booking", "reference": booking.code})
    assert refused.status_code == 404  # another office's booking is not theirs to unlock
    assert other.get("/en/staff/unlock/").status_code == 200
    done = clerk.post("/en/staff/unlock/", {"kind": "booking", "reference": booking.code.lower()})
    assert done.status_code == 302
    assert page_lookup(Client(), booking.code, booking.id_masked[-4:]).status_code == 302
    lifted = AuditEntry.objects.filter(action=AuditAction.LOCKOUT_LIFTED).get()
    assert lifted.details["via"] == "counter" and lifted.actor_id is not None


def test_residents_behind_one_carrier_address_are_not_locked_out_together(booking):
    """The red team's 9 wrong attempts locked a whole NAT address for 10 minutes."""
    carrier = "10.200.0.1"
    for n in range(15):
        page_lookup(Client(REMOTE_ADDR=carrier), f"ZZZZZZ{n:02d}", "1234")
    neighbour = page_lookup(Client(REMOTE_ADDR=carrier), booking.code, booking.id_masked[-4:])
    assert neighbour.status_code == 302


def test_wrong_follow_up_codes_lock_a_mailbox_message(
    _sms_outbox, django_capture_on_commit_callbacks
):
    from feedback.tests.factories import PHONE as WRITER
    from feedback.tests.factories import mailbox_item_for
    from services.tests.factories import OfficeFactory

    item = mailbox_item_for(OfficeFactory())
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            wrong_code = from_new_address().post(
                "/en/feedback/mailbox/follow/", {"reference": item.reference, "code": f"{n:06d}"})
            assert wrong_code.status_code == 404
    locked = from_new_address().post(
        "/en/feedback/mailbox/follow/", {"reference": item.reference, "code": "123456"})
    assert locked.status_code == 423
    assert any(m["phone"] == WRITER and "/unlock/" in m["text"] for m in _sms_outbox)


def test_wrong_answers_count_for_24_hours(booking):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now() - dt.timedelta(hours=25)):
        for _ in range(4):
            page_lookup(from_new_address(), booking.code, wrong(booking))
    for _ in range(4):
        page_lookup(from_new_address(), booking.code, wrong(booking))
    assert page_lookup(Client(), booking.code, booking.id_masked[-4:]).status_code == 302


def test_the_nightly_retention_drops_quiet_counts_and_keeps_live_locks(booking):
    import datetime as dt

    from django.utils import timezone

    from accounts.models import LookupLock
    from accounts.tasks import retention_apply

    for _ in range(5):
        page_lookup(from_new_address(), booking.code, wrong(booking))
    page_lookup(from_new_address(), "ZZZZZZZZ", "0000")  # no such booking: nothing counted
    other = LookupLock.objects.create(kind="mailbox", target="QUIET123", failures=[])
    LookupLock.objects.filter(pk=other.pk).update(
        updated_at=timezone.now() - dt.timedelta(days=2))
    assert retention_apply()["lookup_locks_purged"] == 1
    assert list(LookupLock.objects.values_list("target", flat=True)) == [booking.code]
