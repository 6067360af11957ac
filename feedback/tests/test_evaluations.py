"""Invitations and ratings: the link is single-use, expires, cannot be forged, and two submits
at once record one rating."""

import datetime as dt
import re
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from feedback import actions
from feedback.errors import InvitationExpired, InvitationInvalid, InvitationUsed, RatingInvalid
from feedback.models import Evaluation, Invitation
from feedback.tests.factories import EMAIL, PHONE, invite
from notifications.models import Message

pytestmark = pytest.mark.django_db


def _rate_url(token: str) -> str:
    return reverse("feedback:rate", args=[token])


def test_invitation_sends_a_link_and_stores_only_the_tokens_hash(place):
    office, service, counter = place
    invitation, token = invite(office, service, counter, email=EMAIL)
    assert len(token) >= 43  # 32 random bytes, url-safe base64: 256 bits
    assert invitation.token_hash != token and token not in invitation.token_hash
    assert invitation.phone_enc and PHONE not in invitation.phone_enc  # encrypted at rest
    sms = Message.objects.get(channel="sms", ref=f"invitation:{invitation.pk}")
    assert sms.recipient == PHONE and f"/zh-hans/feedback/rate/{token}/" in sms.body
    assert Message.objects.filter(channel="email", recipient=EMAIL).exists()
    assert invitation.expires_at - invitation.created_at >= dt.timedelta(days=7) - dt.timedelta(
        seconds=5
    )


def test_one_invitation_per_subject(place):
    office, service, counter = place
    first, _token = invite(office, service, counter, ref="ticket:7")
    again, token_again = invite(office, service, counter, ref="ticket:7", phone="13700000000")
    assert again.pk == first.pk and token_again == _token
    assert Invitation.objects.count() == 1
    assert Message.objects.filter(channel="sms").count() == 1


def test_a_decided_document_request_is_invited_with_a_plain_call(place):
    office, service, _counter = place
    invitation, token = invite(office, service, kind="document", ref="request:NCR-42")
    assert invitation.kind == "document" and invitation.counter is None
    actions.evaluation_record(token=token, rating=5)
    assert Evaluation.objects.get().kind == "document"


def test_nobody_to_invite_without_a_contact(place):
    office, service, counter = place
    made = actions.evaluation_invite(
        kind="counter", office=office, service=service, counter=counter, subject_ref="ticket:9"
    )
    assert made is None and not Invitation.objects.exists()


def test_rating_page_shows_the_visit_and_records_one_rating(client, place):
    office, service, counter = place
    _invitation, token = invite(office, service, counter)
    page = client.get(_rate_url(token))
    html = page.content.decode()
    assert page.status_code == 200 and page["Referrer-Policy"] == "same-origin"
    assert service.name_zh in html and office.name_zh in html
    assert "非常不满意" in html and "非常满意" in html
    assert 'type="radio" name="rating"' in html
    done = client.post(_rate_url(token), {"rating": "4", "tags": ["friendly", "efficient"]})
    assert done.status_code == 302 and done["Location"] == reverse("feedback:rate_thanks")
    evaluation = Evaluation.objects.get()
    assert (evaluation.rating, evaluation.tags, evaluation.counter) == (
        4,
        ["friendly", "efficient"],
        counter,
    )
    assert "感谢您的评价" in client.get(done["Location"]).content.decode()


def test_link_used_twice_is_refused_and_changes_nothing(client, place):
    office, service, counter = place
    _invitation, token = invite(office, service, counter)
    client.post(_rate_url(token), {"rating": "5"})
    again = client.post(_rate_url(token), {"rating": "1", "comment": "changed my mind"})
    assert again.status_code == 409 and "已经评价" in again.content.decode()
    assert client.get(_rate_url(token)).status_code == 409
    assert list(Evaluation.objects.values_list("rating", flat=True)) == [5]


def test_expired_link_is_refused(client, place):
    office, service, counter = place
    long_ago = timezone.now() - dt.timedelta(days=7, minutes=1)
    _invitation, token = invite(office, service, counter, now=long_ago)
    page = client.get(_rate_url(token))
    assert page.status_code == 410 and "已过期" in page.content.decode()
    assert client.post(_rate_url(token), {"rating": "3"}).status_code == 410
    assert not Evaluation.objects.exists()
    with pytest.raises(InvitationExpired):
        actions.evaluation_record(token=token, rating=3)


def test_forged_link_is_refused(client, place):
    office, service, counter = place
    _invitation, token = invite(office, service, counter)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    page = client.post(_rate_url(forged), {"rating": "1"})
    assert page.status_code == 404 and "评价链接无效" in page.content.decode()
    with pytest.raises(InvitationInvalid):
        actions.evaluation_record(token="", rating=1)
    assert not Evaluation.objects.exists()
    assert Invitation.objects.get().used_at is None


def test_bad_input_is_refused_and_the_link_stays_usable(client, place):
    office, service, counter = place
    _invitation, token = invite(office, service, counter)
    page = client.post(_rate_url(token), {"rating": "6", "tags": ["made-up"]})
    assert page.status_code == 400 and 'role="alert"' in page.content.decode()
    too_long = client.post(_rate_url(token), {"rating": "3", "comment": "长" * 501})
    assert too_long.status_code == 400
    assert not Evaluation.objects.exists() and Invitation.objects.get().used_at is None


def test_second_submit_of_the_same_link_records_nothing(place):
    office, service, counter = place
    _invitation, token = invite(office, service, counter)
    actions.evaluation_record(token=token, rating=4)
    with pytest.raises(InvitationUsed):
        actions.evaluation_record(token=token, rating=1)
    assert Evaluation.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_tabs_submitting_at_once_record_one_rating():
    if connection.vendor != "postgresql":
        pytest.skip("row locks under concurrency need PostgreSQL (DATABASE_URL=postgres://…)")
    from feedback.tests.factories import office_setup

    office, service, counter = office_setup()
    _invitation, token = invite(office, service, counter)
    barrier, outcomes = threading.Barrier(4), []

    def submit(rating: int) -> None:
        barrier.wait()
        try:
            actions.evaluation_record(token=token, rating=rating)
            outcomes.append("ok")
        except InvitationUsed:
            outcomes.append("used")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(r,)) for r in (1, 2, 4, 5)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(outcomes) == ["ok", "used", "used", "used"]
    assert Evaluation.objects.count() == 1


def test_link_never_carries_an_id_number(place):
    office, service, counter = place
    _invitation, token = invite(office, service, counter)
    assert not re.search(r"\d{17}[\dXx]", token)


def test_a_document_request_is_rated_with_its_own_tags_not_a_counters(client, place):
    office, service, counter = place
    _invitation, token = invite(office, service, kind="document", ref="request:NCR-43")
    html = client.get(_rate_url(token)).content.decode()
    assert "网上申请方便" in html
    assert "等候时间长" not in html and "窗口难找" not in html
    refused = client.post(_rate_url(token), {"rating": "2", "tags": ["long_wait"]})
    assert refused.status_code == 400 and not Evaluation.objects.exists()
    with pytest.raises(RatingInvalid):
        actions.evaluation_record(token=token, rating=2, tags=["hard_to_find"])
    _invitation, counter_token = invite(office, service, counter, ref="ticket:44")
    counter_page = client.get(_rate_url(counter_token)).content.decode()
    assert "等候时间长" in counter_page and "网上申请方便" not in counter_page
