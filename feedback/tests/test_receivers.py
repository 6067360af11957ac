"""A resident's data export lists their messages to the director's mailbox and their ratings;
deleting the account anonymises them as the retention job would, except a message still being
handled, which keeps its text for the office that must answer it."""

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django.utils.functional import empty

from accounts.models import ResidentProfile
from accounts.tests.factories import resident_data_export
from appointments.tests.factories import ScheduleFactory, SlotFactory, past_booking
from core.tests.factories import id_number
from core.tests.test_uploads import pdf_bytes
from core.uploads import check_upload, private_storage
from documents.tests.factories import resident
from feedback import actions, errors
from feedback.models import Evaluation, Invitation, MailboxItem
from feedback.tests.factories import invite, manager_of, office_setup
from notifications.models import Message
from queues import actions as queue_actions

pytestmark = pytest.mark.django_db
PHONE = "13800138000"  # the resident's verified mobile number
PASSWORD = "resident-pass-1"  # documents.tests.factories.resident
DAY = dt.date(2026, 3, 2)  # a Monday


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    private_storage._wrapped = empty
    yield tmp_path
    private_storage._wrapped = empty


def at(hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(DAY, dt.time(hour, minute)))


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def export(user) -> dict:
    return resident_data_export(user)


def delete_account(user, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(user).post("/zh-hans/account/delete/", {"password": PASSWORD})
    assert response.status_code == 302


def write(
    office, *, phone=PHONE, text="二号窗口的工作人员态度生硬。", attachment=None,
    email="zhang@example.com",
):
    item, _code = actions.mailbox_submit(
        category="complaint", office=office, subject="窗口态度", text=text, name="张三",
        phone=phone, email=email, attachment=attachment,
    )
    return item


def receipt():
    return check_upload(SimpleUploadedFile("收据.pdf", pdf_bytes(), "application/pdf"))


def visit(office, service, *, user=None, n: int = 1):
    """A finished counter visit of a booking (for the ID number `n`, made by `user` if given)."""
    schedule = ScheduleFactory(office=office, services=[service])
    start = at(9, 0) + dt.timedelta(minutes=30 * n)
    slot = SlotFactory(schedule=schedule, start=start, end=start + dt.timedelta(minutes=30))
    booking = past_booking(
        slot=slot, id_number=id_number(n), status="booked", service=service, user=user,
        code=f"BK{n:06d}",
    )
    return queue_actions.ticket_check_in_booking(
        office=office, code=booking.code, now=start - dt.timedelta(minutes=10)
    )


def rated(office, service, counter, ticket, *, comment="等了很久"):
    invitation, token = invite(
        office, service, counter, ref=actions.ticket_subject_ref(ticket.pk),
        email="zhang@example.com", visit_at=ticket.arrived_at,
    )
    actions.evaluation_record(token=token, rating=2, comment=comment, tags=["long_wait"])
    return invitation


# --- the data export -----------------------------------------------------------------------------


def test_the_export_lists_the_messages_written_with_the_residents_number(
    django_capture_on_commit_callbacks,
):
    office, _service, _counter = office_setup()
    user = resident(PHONE)
    answered = write(office, attachment=receipt())
    actions.mailbox_answer(item=answered, actor=manager_of(office), answer="已约谈当事人。")
    waiting = write(office, text="请延长周六的办公时间。")
    someone_elses = write(office, phone="13900139000", text="别人的来信")

    data = export(user)

    by_reference = {m["reference"]: m for m in data["mailbox"]}
    assert set(by_reference) == {answered.reference, waiting.reference}
    mine = by_reference[answered.reference]
    assert (mine["category"], mine["office"], mine["text"]) == (
        "complaint", office.name, "二号窗口的工作人员态度生硬。",
    )
    assert (mine["status"], mine["answer"]) == ("answered", "已约谈当事人。")
    assert mine["received_at"] and mine["answered_at"] and mine["answer_due_on"]
    assert mine["mobile_number"] == PHONE and mine["name"] == "张三"
    assert mine["attachment"] == "收据.pdf"  # by its name: the file itself stays on the server
    assert by_reference[waiting.reference]["status"] == "received"
    assert by_reference[waiting.reference]["attachment"] is None
    assert someone_elses.reference not in json.dumps(data, ensure_ascii=False)


def email_resident(address: str = "zhang@example.com"):
    user = get_user_model().objects.create_user(username=address, password=PASSWORD)
    ResidentProfile.objects.create(user=user, verified_email=address)
    return user


def test_an_account_by_e_mail_only_finds_the_messages_written_with_its_address(
    django_capture_on_commit_callbacks,
):
    # The follow-up code went to that address too; the address is matched lower-cased.
    office, _service, _counter = office_setup()
    user = email_resident()
    mine = write(office, phone="13700137000", email="Zhang@Example.com")
    someone_elses = write(office, phone="13900139000", email="li@example.com", text="别人的来信")

    exported = export(user)["mailbox"]

    assert [m["reference"] for m in exported] == [mine.reference]
    assert exported[0]["email"] == "zhang@example.com"
    assert someone_elses.reference not in json.dumps(exported, ensure_ascii=False)


def test_deleting_an_account_by_e_mail_only_anonymises_its_messages(
    django_capture_on_commit_callbacks,
):
    office, _service, _counter = office_setup()
    user = email_resident()
    item = write(office, phone="13700137000", email="zhang@example.com")
    actions.mailbox_answer(item=item, actor=manager_of(office), answer="已处理。")
    other = write(office, phone="13900139000", email="li@example.com")

    delete_account(user, django_capture_on_commit_callbacks)

    item.refresh_from_db()
    other.refresh_from_db()
    assert (item.email, item.email_hmac, item.phone, item.text) == ("", "", "", "")
    assert other.email == "li@example.com" and other.text


def test_the_export_lists_the_ratings_of_the_residents_visits_booked_or_walked_in(
    django_capture_on_commit_callbacks,
):
    office, service, counter = office_setup()
    user = resident(PHONE)  # no ID number linked: the booking is theirs by the account only
    rated(office, service, counter, visit(office, service, user=user, n=5))
    rated(office, service, counter, visit(office, service, n=2), comment="别人的")
    walked_in = queue_actions.ticket_take_walk_in(
        office=office, service=service, phone=PHONE, now=at(11, 0)
    )
    rated(office, service, counter, walked_in, comment="取号后等了一小时")

    by_comment = {e["rating"]["comment"]: e for e in export(user)["evaluations"]}

    assert set(by_comment) == {"等了很久", "取号后等了一小时"}  # not the stranger's
    exported = by_comment["等了很久"]
    assert exported["office"] == office.name and exported["service"] == service.name
    assert exported["email"] == "zhang@example.com"
    assert exported["rating"]["rating"] == 2
    assert exported["rating"]["tags"] == ["long_wait"]


# --- deleting the account ------------------------------------------------------------------------


def test_answered_messages_are_anonymised_and_their_attachment_removed(
    django_capture_on_commit_callbacks,
):
    office, _service, _counter = office_setup()
    user = resident(PHONE)
    item = write(office, attachment=receipt())
    stored = item.attachment.name
    actions.mailbox_answer(item=item, actor=manager_of(office), answer="已约谈当事人。")

    delete_account(user, django_capture_on_commit_callbacks)

    item.refresh_from_db()
    assert (item.name, item.phone, item.email, item.phone_masked) == ("", "", "", "")
    assert (item.text, item.answer, item.attachment_name) == ("", "", "")
    assert not private_storage.exists(stored)
    assert item.anonymised_at is not None
    assert (item.reference, item.category, item.office, item.status) == (
        item.reference, "complaint", office, "answered",
    )


def test_a_message_still_being_handled_stays_for_the_office_without_its_writer(
    django_capture_on_commit_callbacks, verified_client
):
    office, _service, _counter = office_setup()
    user = resident(PHONE)
    item = write(office, attachment=receipt())

    delete_account(user, django_capture_on_commit_callbacks)

    item.refresh_from_db()
    assert (item.name, item.phone, item.email, item.phone_masked) == ("", "", "", "")
    assert item.text == "二号窗口的工作人员态度生硬。"
    assert private_storage.exists(item.attachment.name)
    assert item.status == "received" and item.anonymised_at is None
    # Detached: a new account with the same number does not get it.
    assert export(resident(PHONE))["mailbox"] == []
    # The office still answers it; nobody can be told, the follow page shows it.
    manager = manager_of(office)
    page = verified_client(manager).get(f"/en/staff/feedback/mailbox/{item.pk}/")
    assert "二号窗口的工作人员态度生硬" in page.content.decode()
    assert "The writer has deleted their account" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        actions.mailbox_answer(item=item, actor=manager, answer="已处理。")
    assert not Message.objects.filter(kind="feedback_mailbox_answered").exists()
    # The retention job still drops its text in time.
    with django_capture_on_commit_callbacks(execute=True):
        actions.mailbox_anonymise_before(cutoff=timezone.now() + dt.timedelta(seconds=1))
    item.refresh_from_db()
    assert (item.text, item.answer, item.attachment) == ("", "", "")


def test_another_persons_messages_are_left_alone(django_capture_on_commit_callbacks):
    office, _service, _counter = office_setup()
    user = resident(PHONE)
    other = write(office, phone="13900139000")
    delete_account(user, django_capture_on_commit_callbacks)
    other.refresh_from_db()
    assert other.phone == "13900139000" and other.name == "张三"


def test_the_ratings_of_the_residents_visits_lose_contact_and_comment(
    django_capture_on_commit_callbacks,
):
    office, service, counter = office_setup()
    user = resident(PHONE)
    mine = rated(office, service, counter, visit(office, service, user=user, n=5))
    unused, token = invite(
        office, service, counter,
        ref=actions.ticket_subject_ref(visit(office, service, user=user, n=6).pk),
    )
    stranger = rated(office, service, counter, visit(office, service, n=2), comment="别人的")

    delete_account(user, django_capture_on_commit_callbacks)

    for invitation in (mine, unused):
        invitation.refresh_from_db()
        assert (invitation.phone, invitation.email) == ("", "")
    kept = Evaluation.objects.get(invitation=mine)
    assert (kept.rating, kept.tags, kept.comment) == (2, ["long_wait"], "")
    assert hasattr(kept, "case")  # the follow-up case stays for the office
    with pytest.raises(errors.InvitationExpired):
        actions.evaluation_record(token=token, rating=5, comment="我是张三")
    assert Evaluation.objects.get(invitation=stranger).comment == "别人的"
    assert Invitation.objects.get(pk=stranger.pk).email == "zhang@example.com"


def test_the_migration_gives_existing_messages_their_address_digest():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("feedback.migrations.0003_mailbox_email_hmac")
    office, _service, _counter = office_setup()
    item = write(office, phone="13700137000", email="Zhang@Example.com")
    MailboxItem.objects.filter(pk=item.pk).update(email_hmac="")  # as before the migration

    migration.digest_existing(apps, None)

    assert [m["reference"] for m in export(email_resident())["mailbox"]] == [item.reference]
