"""Retention drops personal data and keeps what the statistics need; the statistics selector
counts ratings per office, service, counter and day."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone
from django.utils.functional import empty

from core.tests.test_uploads import pdf_bytes
from core.uploads import check_upload, private_storage
from feedback import actions, tasks
from feedback.models import Evaluation, Invitation, MailboxItem
from feedback.selectors import evaluation_counts_by_office_day
from feedback.tests.factories import invite, office_setup

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    private_storage._wrapped = empty
    yield tmp_path
    private_storage._wrapped = empty


def _days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def test_old_evaluations_lose_contact_and_comment_and_keep_the_rating(place):
    office, service, counter = place
    old, old_token = invite(office, service, counter, ref="ticket:1", email="a@example.com",
                            visit_at=_days_ago(200))
    new, new_token = invite(office, service, counter, ref="ticket:2", visit_at=_days_ago(10))
    actions.evaluation_record(token=old_token, rating=2, comment="我叫张三", tags=["long_wait"])
    actions.evaluation_record(token=new_token, rating=5, comment="很好")
    assert tasks.feedback_retention() == {"evaluations": 1, "mailbox": 0}
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.phone_enc, old.email_enc, old.phone) == ("", "", "")
    assert old.anonymised_at is not None and new.phone and new.anonymised_at is None
    kept = Evaluation.objects.get(invitation=old)
    assert (kept.rating, kept.tags, kept.comment, kept.office, kept.counter) == (
        2, ["long_wait"], "", office, counter,
    )
    assert Evaluation.objects.get(invitation=new).comment == "很好"
    assert hasattr(kept, "case")  # the case stays for the record
    assert actions.evaluation_anonymise_before(cutoff=_days_ago(180)) == 0


def test_old_mailbox_messages_lose_personal_data_and_attachment(place, private_root):
    office, _service, _counter = place
    upload = check_upload(SimpleUploadedFile("receipt.pdf", pdf_bytes(), "application/pdf"))
    item, _code = actions.mailbox_submit(
        category="complaint", office=office, subject="旧信", text="我的身份证在窗口丢了",
        name="孙八", phone="13511112222", email="sun@example.com", attachment=upload,
    )
    stored = item.attachment.name
    assert private_storage.exists(stored)
    MailboxItem.objects.filter(pk=item.pk).update(created_at=_days_ago(181))
    with TestCase.captureOnCommitCallbacks(execute=True):  # the file goes after the commit
        assert actions.mailbox_anonymise_before(cutoff=_days_ago(180)) == 1
    item.refresh_from_db()
    assert (item.name, item.phone, item.email, item.text, item.phone_hmac) == ("", "", "", "", "")
    assert item.attachment == "" and not private_storage.exists(stored)
    assert (item.category, item.office, item.reference) == ("complaint", office, item.reference)


def test_statistics_count_ratings_per_office_service_counter_and_day(place):
    office, service, counter = place
    other_office, other_service, _other_counter = office_setup()
    day = timezone.localdate() - dt.timedelta(days=3)
    when = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
    for n, rating in enumerate((1, 2, 5)):
        _inv, token = invite(office, service, counter, ref=f"ticket:{n}", visit_at=when)
        actions.evaluation_record(token=token, rating=rating)
    _inv, token = invite(other_office, other_service, kind="document", ref="request:1",
                         visit_at=when)
    actions.evaluation_record(token=token, rating=4)
    _inv, token = invite(office, service, counter, ref="ticket:99",
                         visit_at=when - dt.timedelta(days=10))
    actions.evaluation_record(token=token, rating=3)

    rows = evaluation_counts_by_office_day(first=day, last=day)
    assert sorted(rows, key=lambda r: r["office_id"]) == [
        {"office_id": office.pk, "service_id": service.pk, "counter_id": counter.pk, "day": day,
         "count": 3, "total": 8, "low": 2},
        {"office_id": other_office.pk, "service_id": other_service.pk, "counter_id": None,
         "day": day, "count": 1, "total": 4, "low": 0},
    ]
    assert evaluation_counts_by_office_day(first=day + dt.timedelta(days=1), last=day) == []
    assert Invitation.objects.count() == 5
