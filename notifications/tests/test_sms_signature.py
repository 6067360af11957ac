"""Every SMS carries the gateway's signature 【一窗通办】 once, added in message_send."""

import pytest

from notifications.actions import message_send
from notifications.backends import LocmemSMSBackend

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("您的一窗通办注册验证码为 123456。", "【一窗通办】您的一窗通办注册验证码为 123456。"),
        ("【一窗通办】预约成功。", "【一窗通办】预约成功。"),
        ("[OneWindow] Your appointment is booked.", "【一窗通办】Your appointment is booked."),
    ],
)
def test_every_sms_starts_with_the_signature_once(text, sent):
    LocmemSMSBackend.outbox.clear()
    message = message_send(channel="sms", to="13800138000", body=text, kind="test")
    assert LocmemSMSBackend.outbox[-1]["text"] == sent
    assert message.body == sent


def test_an_email_is_not_signed_like_an_sms(mailoutbox):
    message_send(channel="email", to="a@example.com", subject="s", body="正文", kind="test")
    assert mailoutbox[0].body == "正文"
