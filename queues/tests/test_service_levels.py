"""Service levels: green / amber / red against the target, and the managers' alert."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.tests.factories import staff
from queues import actions, tasks
from queues.constants import WaitLevel
from queues.models import ServiceLevel
from queues.selectors.console import service_level_targets, target_for, wait_level

from .queue_setup import at, new_service, office_with, walk_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("minutes", "level"),
    [
        (0, WaitLevel.GREEN),
        (14, WaitLevel.GREEN),
        (15, WaitLevel.AMBER),  # three quarters of 20
        (20, WaitLevel.AMBER),  # at the target: not yet over it
        (21, WaitLevel.RED),
    ],
)
def test_colour_against_a_twenty_minute_target(minutes, level):
    assert wait_level(minutes, 20) == level


def test_the_service_target_beats_the_office_target_which_beats_the_default(settings):
    settings.QUEUES = {**settings.QUEUES, "DEFAULT_TARGET_MINUTES": 25}
    service, other, third = new_service(), new_service(), new_service()
    office, _ = office_with(service, other, third)
    assert target_for(service_level_targets(office.pk), service.pk) == 25
    ServiceLevel.objects.create(office=office, service=None, target_minutes=30)
    ServiceLevel.objects.create(office=office, service=service, target_minutes=10)
    targets = service_level_targets(office.pk)
    assert (target_for(targets, service.pk), target_for(targets, other.pk)) == (10, 30)


def test_the_console_colours_each_waiting_ticket(verified_client):
    service = new_service()
    office, (counter,) = office_with(service)
    ServiceLevel.objects.create(office=office, service=service, target_minutes=20)
    for minutes_ago in (30, 16, 2):
        walk_in(office, service, at(10, 0) - dt.timedelta(minutes=minutes_ago))
    client = verified_client(staff("clerk", office=office))
    with time_machine.travel(at(10, 0), tick=False):
        page = client.get(
            reverse("console:counter", args=[counter.pk]), {"part": "queue"}, HTTP_HX_REQUEST="true"
        ).content.decode()
    table = page.split("</table>")[0]
    levels = [table.index(f"wait wait-{colour}") for colour in ("red", "amber", "green")]
    assert levels == sorted(levels)  # the longest wait is called first, and is red


@pytest.fixture
def offices():
    service = new_service()
    office, _ = office_with(service)
    other_office, _ = office_with(service)
    ServiceLevel.objects.create(office=office, service=service, target_minutes=15)
    people = {
        "manager": staff("manager", office=office, email="zhang@station.test"),
        "clerk": staff("clerk", office=office, email="li@station.test"),
        "other_manager": staff("manager", office=other_office, email="wang@elsewhere.test"),
    }
    return office, other_office, service, people


def check(now, capture):
    with capture(execute=True):
        return actions.service_level_check(now=now)


def test_managers_hear_once_per_half_hour_when_the_wait_passes_the_target(
    offices, django_capture_on_commit_callbacks
):
    office, _other, service, _people = offices
    walk_in(office, service, at(9, 0))
    assert check(at(9, 15), django_capture_on_commit_callbacks) == 0  # 15 min: at the target
    assert check(at(9, 16), django_capture_on_commit_callbacks) == 1
    assert len(mail.outbox) == 1
    assert service.name_zh in mail.outbox[0].body and "16" in mail.outbox[0].body
    assert reverse("console:office_live", args=[office.pk]) in mail.outbox[0].body
    assert check(at(9, 30), django_capture_on_commit_callbacks) == 0
    assert check(at(9, 46), django_capture_on_commit_callbacks) == 0  # exactly 30 min later
    assert len(mail.outbox) == 1
    assert check(at(9, 47), django_capture_on_commit_callbacks) == 1
    assert len(mail.outbox) == 2
    assert ServiceLevel.objects.get(office=office, service=service).alerted_at == at(9, 47)


def test_only_that_offices_managers_are_told(offices, django_capture_on_commit_callbacks):
    office, _other, service, _people = offices
    bureau = staff("manager", office=None, email="ju@bureau.test")
    staff("auditor", office=None, email="audit@bureau.test")
    walk_in(office, service, at(9, 0))
    check(at(9, 20), django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(["zhang@station.test", bureau.email])


def test_an_office_without_service_levels_uses_the_default_target(
    settings, offices, django_capture_on_commit_callbacks
):
    settings.QUEUES = {**settings.QUEUES, "DEFAULT_TARGET_MINUTES": 40}
    _office, other_office, service, _people = offices
    walk_in(other_office, service, at(9, 0))
    assert check(at(9, 40), django_capture_on_commit_callbacks) == 0
    assert check(at(9, 41), django_capture_on_commit_callbacks) == 1
    assert [m.to for m in mail.outbox] == [["wang@elsewhere.test"]]
    row = ServiceLevel.objects.get(office=other_office)
    assert (row.service, row.target_minutes) == (None, 40)


def test_the_beat_task_runs_the_check(offices, django_capture_on_commit_callbacks):
    office, _other, service, _people = offices
    walk_in(office, service, at(9, 0))
    with (
        time_machine.travel(at(9, 30), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert tasks.queue_service_level_check() == 1
    assert len(mail.outbox) == 1
