"""The director's mailbox: a message gets a reference and a follow-up code, reaches the office's
managers, is answered within a limit or escalates, and the resident follows it."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.functional import empty
from PIL import Image

from accounts.models import AuditEntry
from accounts.tests.factories import staff
from appointments.models import Closure
from core.uploads import private_storage
from feedback import actions, tasks
from feedback.constants import REFERENCE_ALPHABET
from feedback.models import MailboxItem
from feedback.tests.factories import manager_of, office_setup
from notifications.models import Message

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
PHONE = "13687654321"


def _local(month, day, hour, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _clean(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    private_storage._wrapped = empty  # re-read the setting
    cache.clear()
    yield
    cache.clear()
    private_storage._wrapped = empty


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


def _form(office, **extra):
    data = {
        "category": "complaint",
        "office": office.code,
        "subject": "窗口人员态度",
        "text": "3月2日上午在二号窗口办理户口迁移时，工作人员态度生硬。",
        "name": "张三",
        "phone": PHONE,
        "email": "zhang@example.com",
    }
    data.update(extra)
    return data


def _submit(client, office, commit, **extra):
    with commit():
        return client.post(reverse("feedback:mailbox"), _form(office, **extra))


def test_a_message_gets_a_reference_and_code_and_reaches_the_manager(client, place, commit):
    office, _service, _counter = place
    head = manager_of(office, email="head@station.test")
    manager_of(office_setup()[0], email="other@station.test")
    answer = _submit(client, office, commit)
    assert answer.status_code == 302 and answer["Location"] == reverse("feedback:mailbox_sent")
    item = MailboxItem.objects.get()
    page = client.get(answer["Location"]).content.decode()
    assert item.reference in page
    assert len(item.reference) == 8 and set(item.reference) <= set(REFERENCE_ALPHABET)
    sms = Message.objects.get(channel="sms", kind="feedback_mailbox_received")
    code = sms.body.split("查询码 ")[1][:6]
    assert code.isdigit() and code in page and item.reference in sms.body
    # Personal data at rest: encrypted, the code only as a keyed digest.
    assert "张三" not in item.name_enc and PHONE not in item.phone_enc and item.name == "张三"
    assert code not in item.follow_code_hmac and item.phone_masked == "136****4321"
    staff_mail = [m for m in mail.outbox if m.to == [head.email]]
    assert len(staff_mail) == 1 and item.reference in staff_mail[0].subject
    assert "张三" not in staff_mail[0].body and PHONE not in staff_mail[0].body
    assert not [m for m in mail.outbox if m.to == ["other@station.test"]]


def test_references_are_random_not_sequential(place, commit):
    office, _service, _counter = place
    made = []
    for n in range(3):
        with commit():
            made.append(actions.mailbox_submit(
                category="other", office=office, subject=f"第{n}封", text="内容", name="某人",
                phone=PHONE,
            ))
    references = [item.reference for item, _code in made]
    assert len(set(references)) == 3 and len({ref[:4] for ref in references}) == 3


def test_follow_with_reference_and_code(client, place, commit):
    office, _service, _counter = place
    with commit():
        item, code = actions.mailbox_submit(
            category="suggestion", office=office, subject="延长周六办公", text="希望周六也能办理。",
            name="李四", phone=PHONE,
        )
    url = reverse("feedback:mailbox_follow")
    page = client.post(url, {"reference": item.reference.lower(), "code": code})
    html = page.content.decode()
    assert page.status_code == 200 and "已受理，办理中" in html and "李四" not in html
    other_code = f"{(int(code) + 1) % 10**6:06d}"
    wrong = client.post(url, {"reference": item.reference, "code": other_code})
    assert wrong.status_code == 404
    assert "没有与此受理编号和查询码相符的信件" in wrong.content.decode()
    assert item.reference not in wrong.content.decode().split("<main")[1].split("</form>")[1]
    nobody = client.post(url, {"reference": "ZZZZZZZZ", "code": code})
    assert nobody.status_code == 404


def test_answer_is_told_and_shown_on_the_follow_page(client, place, commit, verified_client):
    office, _service, _counter = place
    head = manager_of(office)
    with commit():
        item, code = actions.mailbox_submit(
            category="complaint", office=office, subject="排队太久", text="等了两个小时。",
            name="王五", phone=PHONE, email="wang@example.com",
        )
    manager = verified_client(head)
    page = manager.get(reverse("feedback_staff:mailbox_item", args=[item.pk])).content.decode()
    assert "等了两个小时" in page and "王五" not in page and "136****4321" in page
    with commit():
        manager.post(
            reverse("feedback_staff:mailbox_item", args=[item.pk]),
            {"answer": "已增开一个窗口，感谢您的监督。"},
        )
    item.refresh_from_db()
    assert item.status == "answered" and item.answered_by == head
    sms = Message.objects.get(channel="sms", kind="feedback_mailbox_answered")
    assert sms.recipient == PHONE and item.reference in sms.body
    email = Message.objects.get(channel="email", kind="feedback_mailbox_answered")
    assert "已增开一个窗口" in email.body
    follow = client.post(
        reverse("feedback:mailbox_follow"), {"reference": item.reference, "code": code}
    ).content.decode()
    assert "已答复" in follow and "已增开一个窗口，感谢您的监督。" in follow


def test_a_renamed_executable_is_refused_and_nothing_is_stored(client, place, commit):
    office, _service, _counter = place
    exe = SimpleUploadedFile("照片.pdf", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf")
    page = _submit(client, office, commit, attachment=exe)
    assert page.status_code == 400 and "只能上传" in page.content.decode()
    assert not MailboxItem.objects.exists() and not Message.objects.exists()


def test_attachment_downloads_only_for_the_offices_staff_and_audited(
    client, place, commit, verified_client
):
    office, _service, _counter = place
    photo = SimpleUploadedFile("photo.png", _png(), "image/png")
    _submit(client, office, commit, attachment=photo)
    item = MailboxItem.objects.get()
    assert item.attachment.name.startswith("mailbox/") and item.attachment_name == "photo.png"
    url = reverse("feedback_staff:mailbox_attachment", args=[item.pk])
    head = manager_of(office)
    download = verified_client(head).get(url)
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")
    entry = AuditEntry.objects.get(object_type="feedback.mailboxitem", action="view")
    assert entry.actor == head and entry.details == {"page": "attachment"}
    assert verified_client(manager_of(office_setup()[0])).get(url).status_code == 404
    assert verified_client(staff("clerk", office)).get(url).status_code == 403
    assert client.get(url).status_code == 302  # not signed in: to the staff sign-in


def test_bad_input_is_refused_with_a_message(client, place, commit):
    office, _service, _counter = place
    page = _submit(client, office, commit, phone="12345", text="")
    assert page.status_code == 400 and "手机号码" in page.content.decode()
    assert not MailboxItem.objects.exists()


def test_submissions_are_rate_limited_per_address(client, place, commit, settings):
    office, _service, _counter = place
    settings.FEEDBACK = {**settings.FEEDBACK, "MAILBOX_PER_ADDRESS_PER_HOUR": 2}
    assert _submit(client, office, commit).status_code == 302
    assert _submit(client, office, commit).status_code == 302
    third = _submit(client, office, commit)
    assert third.status_code == 429 and MailboxItem.objects.count() == 2


def test_a_late_message_escalates_to_the_bureau_after_a_weekend_and_a_holiday(place, commit):
    office, _service, _counter = place
    manager_of(office, email="head@station.test")
    staff("manager", None, email="bureau@city.test")
    Closure.objects.create(
        start_date=dt.date(2026, 3, 9), end_date=dt.date(2026, 3, 9), reason_zh="测试假日"
    )
    with time_machine.travel(_local(3, 6, 16, 0), tick=False), commit():
        item, _code = actions.mailbox_submit(
            category="complaint", office=office, subject="超期", text="测试", name="赵六",
            phone=PHONE,
        )
    # 15 working days from Friday 6 March, the holiday Monday 9 March skipped.
    assert item.due_on == dt.date(2026, 3, 30)
    mail.outbox.clear()
    with time_machine.travel(_local(3, 30, 8, 30), tick=False), commit():
        assert tasks.feedback_escalate_late() == 0
    with time_machine.travel(_local(3, 31, 8, 30), tick=False), commit():
        assert tasks.feedback_escalate_late() == 1
    late = sorted(m.to[0] for m in mail.outbox if "超期" in m.subject)
    assert late == ["bureau@city.test", "head@station.test"]


def test_another_offices_manager_gets_404(place, commit, verified_client):
    office, _service, _counter = place
    with commit():
        item, _code = actions.mailbox_submit(
            category="praise", office=office, subject="表扬", text="谢谢", name="钱七", phone=PHONE
        )
    other = verified_client(manager_of(office_setup()[0]))
    assert other.get(reverse("feedback_staff:mailbox_item", args=[item.pk])).status_code == 404
    contact = other.post(reverse("feedback_staff:mailbox_contact", args=[item.pk]))
    assert contact.status_code == 404
    assert item.reference not in other.get(reverse("feedback_staff:mailbox")).content.decode()
