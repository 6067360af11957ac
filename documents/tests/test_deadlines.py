"""Time limits in working days: weekends, public holidays (closures without an office), the
pause while the resident is asked for more, and the daily escalation to the office managers."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from accounts.tests.factories import staff
from appointments.models import Closure
from documents import deadlines, workflow
from documents.actions.notify import requests_escalate
from documents.constants import RequestStatus, Transition
from documents.models import DocumentRequest

from .factories import request_in, resident

pytestmark = pytest.mark.django_db
S, T = RequestStatus, Transition
ZONE = ZoneInfo("Asia/Shanghai")
# 2026: National Day holiday Thursday 1 October – Wednesday 7 October.
NATIONAL_DAY = (dt.date(2026, 10, 1), dt.date(2026, 10, 7))


def holiday(first: dt.date, last: dt.date | None = None) -> Closure:
    return Closure.objects.create(start_date=first, end_date=last or first, reason_zh="假日",
                                  reason_en="Holiday")


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZONE)


def test_a_request_submitted_on_friday_is_due_on_wednesday():
    assert deadlines.due_on_submit(day=dt.date(2026, 12, 4), limit_days=3) == dt.date(2026, 12, 9)


def test_the_national_day_week_does_not_count():
    holiday(*NATIONAL_DAY)
    # Tuesday 29 Sep: Wednesday 30 counts, then 1–7 Oct are holidays, Thursday 8 and Friday 9.
    assert deadlines.due_on_submit(day=dt.date(2026, 9, 29), limit_days=3) == dt.date(2026, 10, 9)


def test_an_office_closure_is_not_a_public_holiday():
    from services.tests.factories import OfficeFactory

    Closure.objects.create(office=OfficeFactory(), start_date=dt.date(2026, 12, 7),
                           end_date=dt.date(2026, 12, 7), reason_zh="装修")
    assert deadlines.due_on_submit(day=dt.date(2026, 12, 4), limit_days=1) == dt.date(2026, 12, 7)


def test_submitting_sets_the_due_date_by_the_types_limit(django_capture_on_commit_callbacks):
    req = request_in(S.DRAFT, user=resident(), submitted_at=None, due_on=None)
    req.doc_type.time_limit_days = 1
    req.doc_type.save()
    with time_machine.travel(at(dt.date(2026, 12, 4)), tick=False):  # a Friday
        workflow.request_transition(request=req, transition=T.SUBMIT, actor=req.user)
    assert req.due_on == dt.date(2026, 12, 7)


def test_the_clock_stops_while_the_resident_is_asked_and_moves_the_due_date_on_resubmit():
    holiday(dt.date(2026, 12, 9))  # a Wednesday
    with time_machine.travel(at(dt.date(2026, 12, 4)), tick=False):  # Friday: due Thursday 10
        req = request_in(S.DRAFT, user=resident(), submitted_at=None, due_on=None)
        workflow.request_transition(request=req, transition=T.SUBMIT, actor=req.user)
        assert req.due_on == dt.date(2026, 12, 10)
    reviewer = staff("reviewer", req.office)
    with time_machine.travel(at(dt.date(2026, 12, 7)), tick=False):  # Monday
        workflow.request_transition(request=req, transition=T.START_REVIEW, actor=reviewer)
        workflow.request_transition(request=req, transition=T.REQUEST_INFO, actor=reviewer,
                                    message="请补充身份证反面")
    with time_machine.travel(at(dt.date(2026, 12, 10)), tick=False):  # Thursday
        workflow.request_transition(request=req, transition=T.RESUBMIT, actor=req.user)
    # Stood Tuesday 8 and Thursday 10 (Wednesday 9 is a holiday): two working days, so the
    # due date moves from Thursday 10 over Friday 11 to Monday 14.
    assert req.due_on == dt.date(2026, 12, 14)
    assert req.paused_at is None


def test_a_reply_on_the_same_day_moves_nothing():
    req = request_in(S.NEEDS_INFO, user=resident(), due_on=dt.date(2026, 12, 10),
                     paused_at=at(dt.date(2026, 12, 7), 9))
    with time_machine.travel(at(dt.date(2026, 12, 7), 16), tick=False):
        workflow.request_transition(request=req, transition=T.RESUBMIT, actor=req.user)
    assert req.due_on == dt.date(2026, 12, 10)


@pytest.mark.parametrize(
    ("today", "late", "near"),
    [
        (dt.date(2026, 12, 7), False, False),  # Monday, due Wednesday: 2 working days left
        (dt.date(2026, 12, 8), False, True),  # 1 left
        (dt.date(2026, 12, 9), False, True),  # the last day
        (dt.date(2026, 12, 10), True, False),
    ],
)
def test_late_and_near_late_marks(today, late, near):
    mark = deadlines.deadline_of(due_on=dt.date(2026, 12, 9), today=today, paused=False)
    assert (mark.late, mark.near) == (late, near)


def test_the_weekend_before_a_monday_due_date_counts_as_near():
    mark = deadlines.deadline_of(due_on=dt.date(2026, 12, 7), today=dt.date(2026, 12, 5),
                                 paused=False)
    assert mark.near and mark.days_left == 1


# --- escalation ---------------------------------------------------------------------------------


@pytest.fixture
def office_setup():
    req = request_in(S.UNDER_REVIEW, user=resident(), due_on=dt.date(2026, 10, 8))
    manager = staff("manager", req.office, email="boss@station.test")
    staff("manager", None, email="bureau@station.test")  # a bureau-wide manager hears too
    staff("manager", request_in(S.DRAFT).office, email="other@station.test")
    return req, manager


def escalate_on(day: dt.date, capture) -> int:
    """Run the daily task at 07:00 on `day`, with what it does after commit."""
    with time_machine.travel(at(day, 7), tick=False), capture(execute=True):
        return requests_escalate()


def test_escalation_waits_through_the_holiday_week_then_mails_one_digest_per_office(
    office_setup, django_capture_on_commit_callbacks
):
    req, _manager = office_setup
    holiday(*NATIONAL_DAY)
    later = request_in(S.SUBMITTED, user=resident("13900139000"), office=req.office,
                       doc_type=req.doc_type, due_on=dt.date(2026, 10, 9))
    # Friday 25 Sep: Monday 28, Tuesday 29, Wednesday 30, Thursday 8 Oct: far enough.
    assert escalate_on(dt.date(2026, 9, 25), django_capture_on_commit_callbacks) == 0
    # Wednesday 30 Sep: the next working day is Thursday 8 Oct, the due date.
    assert escalate_on(dt.date(2026, 9, 30), django_capture_on_commit_callbacks) == 1
    recipients = sorted(address for m in mail.outbox for address in m.to)
    assert recipients == ["boss@station.test", "bureau@station.test"]
    assert req.reference in mail.outbox[0].body and later.reference not in mail.outbox[0].body
    # The next day (a holiday) nothing new is sent for the same request.
    mail.outbox.clear()
    assert escalate_on(dt.date(2026, 10, 1), django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []
    assert DocumentRequest.objects.get(pk=req.pk).escalated_at is not None


def test_a_request_waiting_for_the_resident_is_not_escalated(office_setup):
    req, _manager = office_setup
    DocumentRequest.objects.filter(pk=req.pk).update(status=S.NEEDS_INFO)
    with time_machine.travel(at(dt.date(2026, 10, 20), 7), tick=False):
        assert requests_escalate() == 0


def test_a_late_request_is_escalated_over_a_weekend(office_setup,
                                                     django_capture_on_commit_callbacks):
    req, _manager = office_setup
    # Saturday 10 October: late.
    assert escalate_on(dt.date(2026, 10, 10), django_capture_on_commit_callbacks) == 1
    assert len(mail.outbox) == 2 and req.reference in mail.outbox[0].body
