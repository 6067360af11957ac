"""The Celery tasks in flight and the dead letters in the admin: a read-only list for the
operator (superusers; system administrators, accounts/constants.py), closed to other staff."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from core.models import TaskDelivery

pytestmark = pytest.mark.django_db
LIST = reverse("admin:core_taskdelivery_changelist")


@pytest.fixture
def deliveries():
    failed = TaskDelivery.objects.create(
        task_id="t-failed", name="feedback.tasks.resident_notify", deliveries=4,
        state=TaskDelivery.State.FAILED, error="PoisonMessage: delivered 4 times",
    )
    running = TaskDelivery.objects.create(
        task_id="t-running", name="reports.tasks.figures_rebuild_today", deliveries=1
    )
    return failed, running


def test_a_superuser_sees_the_tasks_their_attempts_and_last_error(admin_client, deliveries):
    failed, running = deliveries
    page = admin_client.get(LIST).content.decode()
    assert failed.name in page and running.name in page
    assert "PoisonMessage: delivered 4 times" in page
    only_failed = admin_client.get(LIST, {"state__exact": "failed"}).content.decode()
    assert failed.name in only_failed and running.name not in only_failed


def test_the_list_is_read_only(admin_client, deliveries):
    failed, _running = deliveries
    detail = reverse("admin:core_taskdelivery_change", args=[failed.pk])
    assert admin_client.get(detail).status_code == 200
    assert admin_client.post(detail, {"error": ""}).status_code == 403
    assert admin_client.get(reverse("admin:core_taskdelivery_add")).status_code == 403
    delete = reverse("admin:core_taskdelivery_delete", args=[failed.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert TaskDelivery.objects.get(pk=failed.pk).error == "PoisonMessage: delivered 4 times"


def test_staff_without_the_permission_cannot_see_it(verified_client, deliveries):
    member = get_user_model().objects.create_user(
        username="staff-no-role", password="x-long-password-1", is_staff=True
    )
    client = verified_client(member)
    assert client.get(LIST).status_code == 403
    assert "taskdelivery" not in client.get(reverse("admin:index")).content.decode()


OUTBOX = reverse("admin:core_outboxmessage_changelist")


@pytest.fixture
def outbox_rows():
    from django.utils import timezone

    from core.models import OutboxMessage

    now = timezone.now()
    failed = OutboxMessage.objects.create(
        task="feedback.tasks.staff_notify", key="k1", args=["case_late", 7], status="failed",
        attempts=8, available_at=now, last_error="OSError: smtp down", secret_args="ow1:x:y",
    )
    pending = OutboxMessage.objects.create(
        task="appointments.tasks.booking_notify", key="k2", args=[3, "confirmed"],
        available_at=now,
    )
    return failed, pending


def test_the_operator_sees_the_outbox_read_only(admin_client, outbox_rows):
    failed, pending = outbox_rows
    page = admin_client.get(OUTBOX, {"status__exact": "failed"}).content.decode()
    detail = reverse("admin:core_outboxmessage_change", args=[failed.pk])
    assert detail in page and "OSError: smtp down" in page
    assert reverse("admin:core_outboxmessage_change", args=[pending.pk]) not in page
    shown = admin_client.get(detail).content.decode()
    assert "case_late" in shown and "ow1:x:y" not in shown  # encrypted arguments never shown
    assert admin_client.post(detail, {"status": "pending"}).status_code == 403
    delete = reverse("admin:core_outboxmessage_delete", args=[failed.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403


def test_staff_without_the_permission_cannot_see_the_outbox(verified_client, outbox_rows):
    member = get_user_model().objects.create_user(
        username="staff-no-role-2", password="x-long-password-1", is_staff=True
    )
    assert verified_client(member).get(OUTBOX).status_code == 403
