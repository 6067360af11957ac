"""Issued exactly once (documents/actions/certificates.py, tasks.certificate_generate): run
twice in a row, twice at once (threads on PostgreSQL), and again after a worker "died" between
rendering the PDF and committing: always one PDF, one ISSUE event, one notification."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from core.models import OutboxMessage
from core.outbox import outbox_relay
from core.uploads import private_storage
from documents import certificate_pdf as pdf_module
from documents import tasks
from documents.actions import certificates as actions
from documents.constants import RequestStatus, Transition
from documents.models import Certificate, DocumentRequest, RequestEvent
from notifications import actions as outbox
from notifications.models import Message

from .certificate_helpers import prepared, signing_keys, stored_pdf  # noqa: F401
from .factories import request_in

pytestmark = pytest.mark.usefixtures("signing_keys")
on_postgres = pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="needs PostgreSQL: SQLite serialises whole transactions, so there is no race to lose",
)


def _files() -> list[str]:
    return private_storage.listdir("certificates")[1] if private_storage.exists(
        "certificates") else []


def _outcome(certificate: Certificate) -> dict:
    certificate.refresh_from_db()
    return {
        "status": DocumentRequest.objects.get(pk=certificate.request_id).status,
        "issues": RequestEvent.objects.filter(
            request_id=certificate.request_id, transition=Transition.ISSUE
        ).count(),
        "files": len(_files()),
        "messages": Message.objects.filter(kind=actions.NOTIFY_KIND, ref=certificate.number)
        .count(),
        "code_cleared": certificate.code_enc == "",
    }


ONCE = {"status": RequestStatus.ISSUED, "issues": 1, "files": 1, "messages": 2,
        "code_cleared": True}


@pytest.mark.django_db
def test_the_task_run_twice_issues_once(django_capture_on_commit_callbacks):
    certificate, _code = prepared(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.certificate_generate.delay(certificate.pk)
    first = stored_pdf(certificate)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.certificate_generate.delay(certificate.pk)
    assert _outcome(certificate) == ONCE
    assert stored_pdf(certificate) == first


@pytest.mark.django_db
def test_a_worker_that_dies_before_the_commit_leaves_nothing_and_the_rerun_issues_once(
    django_capture_on_commit_callbacks, monkeypatch
):
    certificate, _code = prepared(django_capture_on_commit_callbacks)
    real = actions.workflow.request_transition

    def dies_after_writing(**kwargs):
        real(**kwargs)  # the PDF row, the ISSUE event and the status are written …
        raise SystemExit("worker killed")  # … and the process goes before COMMIT

    monkeypatch.setattr(actions.workflow, "request_transition", dies_after_writing)
    with pytest.raises(SystemExit), django_capture_on_commit_callbacks(execute=True):
        actions.certificate_generate_pdf(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    assert certificate.pdf == "" and certificate.code_enc != ""
    assert certificate.request.status == RequestStatus.APPROVED
    assert certificate.request.events.filter(transition=Transition.ISSUE).count() == 0
    assert Message.objects.filter(kind=actions.NOTIFY_KIND).count() == 0
    assert _files() == []  # the rendered file went with the transaction

    monkeypatch.setattr(actions.workflow, "request_transition", real)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.certificate_generate.delay(certificate.pk)
    assert _outcome(certificate) == ONCE


@pytest.mark.django_db
def test_a_failed_delivery_is_retried_without_sending_twice(
    django_capture_on_commit_callbacks, monkeypatch, mailoutbox
):
    certificate, _code = prepared(django_capture_on_commit_callbacks)
    real = outbox._hand_to_backend

    def email_down(message, attachments):
        if message.channel == "email":
            raise OSError("smtp down")
        return real(message, attachments)

    with django_capture_on_commit_callbacks(execute=False):
        actions.certificate_generate_pdf(certificate_id=certificate.pk)
    monkeypatch.setattr(outbox, "_hand_to_backend", email_down)
    with pytest.raises(outbox.DeliveryFailed):
        actions.certificate_notify(certificate_id=certificate.pk)
    monkeypatch.setattr(outbox, "_hand_to_backend", real)
    actions.certificate_notify(certificate_id=certificate.pk)
    actions.certificate_notify(certificate_id=certificate.pk)
    sent = Message.objects.filter(kind=actions.NOTIFY_KIND, status="sent")
    assert sorted(sent.values_list("channel", flat=True)) == ["email", "sms"]
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_a_certificate_whose_task_was_lost_is_made_by_the_outbox_relay(
    django_capture_on_commit_callbacks
):
    """The approval committed but its task never reached a worker (broker down): the outbox
    row waits, and the relay hands it out, with no repair job of the certificates' own."""
    certificate, _code = prepared(django_capture_on_commit_callbacks)  # nothing handed over
    [row] = OutboxMessage.objects.filter(task="documents.tasks.certificate_generate")
    assert (row.status, row.args) == ("pending", [certificate.pk])
    assert outbox_relay() == 0  # not due yet: the fast path may still be on its way
    later = timezone.now() + dt.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_relay(now=later) == 1
    assert _outcome(certificate) == ONCE
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"done"}


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_issue_once(monkeypatch, settings, tmp_path):
    monkeypatch.setattr(actions, "_generate_after_commit", lambda certificate_id: None)
    certificate = actions.certificate_prepare(request=request_in(RequestStatus.APPROVED))
    barrier = threading.Barrier(2, timeout=60)
    real = pdf_module.certificate_pdf

    def render_then_wait(*args, **kwargs):
        pdf = real(*args, **kwargs)
        barrier.wait()  # both have a signed PDF in hand before either stores it
        return pdf

    monkeypatch.setattr(pdf_module, "certificate_pdf", render_then_wait)
    errors = []

    def worker():
        try:
            actions.certificate_generate_pdf(certificate_id=certificate.pk)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert _outcome(certificate) == ONCE


@pytest.mark.django_db
def test_the_rating_invitation_comes_after_the_issue_notice(django_capture_on_commit_callbacks):
    from feedback.models import Invitation

    certificate, _code = prepared(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.certificate_generate.delay(certificate.pk)
    kinds = list(
        Message.objects.filter(channel="sms").order_by("created_at", "pk")
        .values_list("kind", flat=True)
    )
    assert kinds[0] == actions.NOTIFY_KIND and len(kinds) == 2, kinds
    invitation = Invitation.objects.get(subject_ref=f"request:{certificate.request_id}")
    certificate.refresh_from_db()
    assert invitation.created_at >= certificate.notified_at
