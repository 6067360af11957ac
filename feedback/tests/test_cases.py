"""A bad rating reaches the station head as a case; the manager closes it and the resident is
told; late cases escalate to the bureau; other offices' managers see nothing."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import AuditEntry
from accounts.tests.factories import staff
from appointments.models import Closure
from feedback import actions, tasks
from feedback.models import FollowUpCase
from feedback.tests.factories import PHONE, invite, manager_of, office_setup
from notifications.models import Message

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
FRIDAY = dt.datetime(2026, 3, 6, 10, 0, tzinfo=SHANGHAI)
HOLIDAY = dt.date(2026, 3, 9)  # the Monday after


def _local(month, day, hour, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def _holiday():
    Closure.objects.create(start_date=HOLIDAY, end_date=HOLIDAY, reason_zh="测试假日")


def _rate(place, rating: int, *, commit, ref: str = "ticket:1", **kwargs):
    office, service, counter = place
    _invitation, token = invite(office, service, counter, ref=ref, email="r@example.com")
    with commit():
        return actions.evaluation_record(token=token, rating=rating, **kwargs)


def test_a_bad_rating_reaches_the_office_manager_as_a_case(place, commit):
    office, _service, _counter = place
    head = manager_of(office, email="head@station.test")
    manager_of(office_setup()[0], email="elsewhere@station.test")
    staff("clerk", office, email="clerk@station.test")
    evaluation = _rate(place, 2, commit=commit, tags=["long_wait"], comment="等了两个小时")
    case = FollowUpCase.objects.get(evaluation=evaluation)
    assert case.office == office and case.status == "open" and case.due_on > evaluation.visit_on
    sent_to = [m.to[0] for m in mail.outbox if "回访工单" in m.subject]
    assert sent_to == [head.email]


@pytest.mark.parametrize("rating", [3, 4, 5])
def test_a_fair_or_good_rating_opens_no_case(place, commit, rating):
    _rate(place, rating, commit=commit)
    assert not FollowUpCase.objects.exists()


def test_manager_closes_the_case_and_the_resident_is_told(place, commit, verified_client):
    office, _service, _counter = place
    head = manager_of(office)
    evaluation = _rate(place, 1, commit=commit, tags=["rude"], comment="态度很差")
    case = evaluation.case
    client = verified_client(head)
    listing = client.get(reverse("feedback_staff:cases")).content.decode()
    assert reverse("feedback_staff:case", args=[case.pk]) in listing
    page = client.get(reverse("feedback_staff:case", args=[case.pk])).content.decode()
    assert "态度很差" in page and "态度不好" in page and PHONE not in page
    with commit():
        done = client.post(
            reverse("feedback_staff:case", args=[case.pk]),
            {"action_taken": "已向当事民警核实并批评教育，已电话致歉。"},
        )
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.status == "closed" and case.closed_by == head
    sms = Message.objects.get(channel="sms", kind="feedback_case_closed")
    assert sms.recipient == PHONE and "已电话致歉" in sms.body
    assert Message.objects.filter(channel="email", kind="feedback_case_closed").exists()
    again = client.post(
        reverse("feedback_staff:case", args=[case.pk]), {"action_taken": "再次办结"}
    )
    assert again.status_code == 409
    assert Message.objects.filter(kind="feedback_case_closed", channel="sms").count() == 1


def test_closing_needs_what_was_done(place, commit, verified_client):
    office, _service, _counter = place
    client = verified_client(manager_of(office))
    case = _rate(place, 2, commit=commit).case
    page = client.post(reverse("feedback_staff:case", args=[case.pk]), {"action_taken": " "})
    assert page.status_code == 200 and 'role="alert"' in page.content.decode()
    case.refresh_from_db()
    assert case.status == "open"


def test_showing_the_contact_is_audited(place, commit, verified_client):
    office, _service, _counter = place
    head = manager_of(office)
    case = _rate(place, 2, commit=commit).case
    page = verified_client(head).post(reverse("feedback_staff:case_contact", args=[case.pk]))
    assert PHONE in page.content.decode()
    entry = AuditEntry.objects.filter(action="view", object_type="feedback.followupcase").get()
    assert entry.actor == head and entry.details == {"page": "contact"}


def test_another_offices_manager_gets_404_and_a_clerk_403(place, commit, verified_client):
    office, _service, _counter = place
    case = _rate(place, 1, commit=commit).case
    other = verified_client(manager_of(office_setup()[0]))
    for name in ("feedback_staff:case", "feedback_staff:case_contact"):
        url = reverse(name, args=[case.pk])
        answer = other.post(url) if name.endswith("contact") else other.get(url)
        assert answer.status_code == 404
    assert reverse("feedback_staff:case", args=[case.pk]) not in other.get(
        reverse("feedback_staff:cases")
    ).content.decode()
    clerk = verified_client(staff("clerk", office))
    assert clerk.get(reverse("feedback_staff:cases")).status_code == 403
    bureau = verified_client(staff("manager", None))
    assert bureau.get(reverse("feedback_staff:case", args=[case.pk])).status_code == 200


def test_staff_pages_need_the_second_factor(place, commit, client):
    office, _service, _counter = place
    client.force_login(manager_of(office))
    page = client.get(reverse("feedback_staff:cases"))
    assert page.status_code == 302 and "/staff/" in page["Location"]


def test_a_late_case_escalates_after_a_weekend_and_a_holiday(place, commit):
    office, _service, _counter = place
    manager_of(office, email="head@station.test")
    staff("manager", None, email="bureau@city.test")
    _holiday()
    with time_machine.travel(FRIDAY, tick=False):
        case = _rate(place, 2, commit=commit).case
    # 5 working days from Friday: not the weekend, not the holiday Monday.
    assert case.due_on == dt.date(2026, 3, 16)
    mail.outbox.clear()
    with time_machine.travel(_local(3, 16, 8, 30), tick=False), commit():
        assert tasks.feedback_escalate_late() == 0
    with time_machine.travel(_local(3, 17, 8, 30), tick=False):
        with commit():
            assert tasks.feedback_escalate_late() == 1
        with commit():
            assert tasks.feedback_escalate_late() == 0  # once per case
    late = sorted(m.to[0] for m in mail.outbox if "超期" in m.subject)
    assert late == ["bureau@city.test", "head@station.test"]


def test_the_case_list_flags_late_cases_first(place, commit, verified_client):
    office, _service, _counter = place
    with time_machine.travel(FRIDAY, tick=False):
        early = _rate(place, 2, commit=commit, ref="ticket:1").case
    later = _rate(place, 1, commit=commit, ref="ticket:2").case
    page = verified_client(manager_of(office)).get(reverse("feedback_staff:cases"))
    html = page.content.decode()
    first = html.index(reverse("feedback_staff:case", args=[early.pk]))
    assert first < html.index(reverse("feedback_staff:case", args=[later.pk]))
    assert html.count("已超期") == 1
