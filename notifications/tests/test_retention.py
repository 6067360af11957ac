"""Retention of the outbox: after RETENTION["MESSAGE_DAYS"] a message keeps whether and when it
went out, not to whom nor what it said (verification codes, names, booking details)."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from notifications import tasks
from notifications.actions import message_send
from notifications.models import Channel, Message, MessageStatus

pytestmark = pytest.mark.django_db


def test_old_messages_lose_address_and_text_and_keep_their_delivery_record(settings):
    sent_at = timezone.now()
    with time_machine.travel(sent_at, tick=False):
        old = message_send(
            channel=Channel.SMS, to="13800138000", body="验证码 123456", kind="signup", ref="r1"
        )
    with time_machine.travel(sent_at + dt.timedelta(days=20), tick=False):
        recent = message_send(
            channel=Channel.SMS, to="13900139000", body="验证码 654321", kind="signup", ref="r2"
        )

    with time_machine.travel(sent_at + dt.timedelta(days=settings.RETENTION["MESSAGE_DAYS"] + 1)):
        assert tasks.retention_apply() == {"messages_anonymised": 1}
        assert tasks.retention_apply() == {"messages_anonymised": 0}

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.recipient, old.recipient_masked, old.body, old.subject) == ("", "", "", "")
    assert (old.channel, old.kind, old.ref, old.status) == ("sms", "signup", "r1", "sent")
    assert old.sent_at is not None and old.attempts == 1
    assert recent.body == "【一窗通办】验证码 654321" and recent.recipient == "13900139000"


def test_a_message_left_queued_by_a_dead_worker_is_delivered_on_the_same_row():
    """A worker killed inside the backend leaves the row QUEUED; the task's redelivery sends it
    through that row instead of adding a second one."""
    stuck = Message.objects.create(
        channel=Channel.SMS,
        recipient="13800138000",
        recipient_masked="138****8000",
        body="预约成功",
        kind="confirmed",
        ref="ABCD1234",
    )
    again = message_send(
        channel=Channel.SMS, to="13800138000", body="预约成功", kind="confirmed", ref="ABCD1234"
    )
    assert again.pk == stuck.pk
    assert again.status == MessageStatus.SENT
    assert Message.objects.count() == 1
