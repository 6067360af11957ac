"""Prometheus metrics at /metrics (core/metrics.py): who may read them, and that the figures
an operator watches move when the site does."""

import pytest
from django.db import OperationalError, transaction
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from appointments import actions as booking_actions
from appointments.errors import SlotFull
from appointments.tests.factories import SlotFactory
from core.models import TaskDelivery
from core.outbox import outbox_enqueue
from core.tests.factories import id_number
from queues import actions as queue_actions
from queues.tests.queue_setup import at, new_service, office_with, walk_in

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-for-tests"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def scrape(client, token) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_nobody_reads_the_metrics_without_the_token_or_an_allowed_address(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_an_internal_network_reads_them_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
    # A forwarded address is believed only from a trusted proxy (core.client_ip).
    forged = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert forged.status_code == 404


def test_no_token_and_no_network_configured_means_nobody(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_request_latency_is_counted_by_url_name(client, token):
    name = "onewindow_http_request_duration_seconds_count"
    before = value(name, view="healthz", method="GET", status="200")
    client.get("/healthz")
    client.get("/healthz")
    samples = scrape(client, token)
    key = (name, (("method", "GET"), ("status", "200"), ("view", "healthz")))
    assert samples[key] == before + 2


def test_booking_outcomes_count_bookings_and_refusals_by_code(django_capture_on_commit_callbacks):
    slot = SlotFactory()
    service = slot.schedule.services.first()
    booked, full = value("onewindow_bookings_total", outcome="booked"), value(
        "onewindow_bookings_total", outcome="slot_full"
    )
    made = 0
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(SlotFull):
        for person in range(1, 20):
            booking_actions.booking_create(
                slot_id=slot.pk, service=service, name="张三", id_number=id_number(person),
                phone="13800138000",
            )
            made += 1
    assert made >= 1
    assert value("onewindow_bookings_total", outcome="booked") == booked + made
    assert value("onewindow_bookings_total", outcome="slot_full") == full + 1


def test_a_rolled_back_booking_is_not_counted_as_booked():
    slot = SlotFactory()
    booked = value("onewindow_bookings_total", outcome="booked")
    with transaction.atomic():
        booking_actions.booking_create(
            slot_id=slot.pk, service=slot.schedule.services.first(), name="张三",
            id_number=id_number(1), phone="13800138000",
        )
        transaction.set_rollback(True)
    assert value("onewindow_bookings_total", outcome="booked") == booked


def test_call_next_is_timed():
    service = new_service()
    office, [counter] = office_with(service)
    queue_actions.counter_open(counter=counter, clerk=None)
    walk_in(office, service, at(9, 0))
    before = value("onewindow_call_next_duration_seconds_count")
    queue_actions.ticket_call_next(counter=counter, clerk=None, now=at(9, 5))
    assert value("onewindow_call_next_duration_seconds_count") == before + 1


def test_outbox_backlog_and_failed_tasks_are_read_from_the_database(client, token, settings):
    settings.OUTBOX_HAND_OVER_AFTER_COMMIT = False  # the row waits for the relay
    with transaction.atomic():
        outbox_enqueue("appointments.tasks.booking_notify", 1, "confirmed")
    TaskDelivery.objects.create(
        task_id="t-1", name="documents.tasks.certificate_generate", state="failed"
    )
    samples = scrape(client, token)
    assert samples[("onewindow_outbox_rows", (("status", "pending"),))] == 1
    assert samples[("onewindow_outbox_rows", (("status", "failed"),))] == 0
    assert samples[("onewindow_outbox_oldest_unfinished_seconds", ())] >= 0
    failures = ("onewindow_task_failures", (("task", "documents.tasks.certificate_generate"),))
    assert samples[failures] == 1
    assert samples[("onewindow_metrics_database_up", ())] == 1


def test_the_processes_metrics_are_served_with_the_database_away(client, token, monkeypatch):
    def away(**_kwargs):
        raise OperationalError("the database is away")

    monkeypatch.setattr("core.outbox.outbox_summary", away)
    samples = scrape(client, token)
    assert samples[("onewindow_metrics_database_up", ())] == 0
    assert not [name for name, _labels in samples if name.startswith("onewindow_outbox")]
