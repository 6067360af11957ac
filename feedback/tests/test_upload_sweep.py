"""A mailbox attachment is a file the nightly sweep (core.uploads.private_orphans_sweep) keeps
while its message names it, and deletes when the message's transaction rolled back."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.functional import empty

from core.tests.test_uploads import pdf_bytes
from core.uploads import check_upload, private_orphans_sweep, private_storage
from feedback import actions
from feedback.models import MailboxItem

pytestmark = pytest.mark.django_db
LATER = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    private_storage._wrapped = empty
    yield tmp_path
    private_storage._wrapped = empty


def submit(office):
    item, _code = actions.mailbox_submit(
        category="complaint", office=office, subject="收据", text="见附件。", name="张三",
        phone="13800138000",
        attachment=check_upload(SimpleUploadedFile("收据.pdf", pdf_bytes(), "application/pdf")),
    )
    return item


def test_an_attachment_in_use_stays_and_a_rolled_back_one_goes(place, private_root):
    office, _service, _counter = place
    kept = submit(office)
    with pytest.raises(RuntimeError), transaction.atomic():
        lost = submit(office)
        raise RuntimeError("the request failed after the message was saved")
    assert not MailboxItem.objects.filter(pk=lost.pk).exists()
    assert private_storage.exists(lost.attachment.name)

    assert private_orphans_sweep(now=timezone.now() + LATER) == 1
    assert private_storage.exists(kept.attachment.name)
    assert not private_storage.exists(lost.attachment.name)
