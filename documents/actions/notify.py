"""What residents are told about their requests (SMS always, e-mail when given) and what office
managers are told about requests near or past their time limit. Run by the Celery tasks in
documents/tasks.py with ids; a message already sent for the same kind and request is not sent
again, so a retried task repeats only what failed."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role, User
from core.links import site_reverse
from core.outbox import outbox_enqueue
from notifications.actions import DeliveryFailed, message_send
from notifications.models import Channel, Message, MessageStatus

from .. import deadlines
from ..constants import CLOCK_RUNNING, Transition
from ..models import DocumentRequest


def _texts(kind: str, req: DocumentRequest) -> tuple[str, str]:
    """(subject, sentence) in the active language."""
    values = {"ref": req.reference, "doc": req.doc_type.name}
    due = req.due_on.isoformat() if req.due_on else ""
    table: dict[str, tuple[str, str]] = {
        Transition.SUBMIT: (
            _("Request %(ref)s received"),
            _("We have received your request %(ref)s for %(doc)s. It will be decided by %(due)s."),
        ),
        Transition.REQUEST_INFO: (
            _("Request %(ref)s: more information needed"),
            _("Your request %(ref)s for %(doc)s needs more information: %(message)s"),
        ),
        Transition.APPROVE: (
            _("Request %(ref)s approved"),
            _("Your request %(ref)s for %(doc)s is approved. The certificate follows shortly."),
        ),
        Transition.REJECT: (
            _("Request %(ref)s refused"),
            _("Your request %(ref)s for %(doc)s was refused. Reason: %(message)s"),
        ),
        Transition.WITHDRAW: (
            _("Request %(ref)s withdrawn"),
            _("Your request %(ref)s for %(doc)s has been withdrawn."),
        ),
        Transition.REVOKE: (
            _("Certificate of request %(ref)s revoked"),
            _("The certificate issued for your request %(ref)s was revoked. Reason: %(message)s"),
        ),
    }
    subject, sentence = table[kind]
    message = req.info_request if kind == Transition.REQUEST_INFO else req.decision_reason
    return subject % values, sentence % {**values, "due": due, "message": message}


def request_page_url(req: DocumentRequest) -> str:
    return site_reverse("documents:request_detail", args=[req.reference], language=req.language)


def _already_sent(*, channel: str, kind: str, ref: str) -> bool:
    return Message.objects.filter(
        channel=channel, kind=kind, ref=ref, status=MessageStatus.SENT
    ).exists()


def request_message_send(*, request_id: int, kind: str) -> list[Message]:
    """Tell the resident about a change of their request, in their language."""
    req = DocumentRequest.objects.select_related("doc_type").get(pk=request_id)
    with translation.override(req.language):
        subject, sentence = _texts(kind, req)
        url = request_page_url(req)
        sms = f"{sentence} {url}"
        body = f"{req.applicant_name}:\n\n{sentence}\n\n{_('Your request')}: {url}\n"
    msg_kind = f"document_{kind}"
    sent = []
    for channel, to, text in ((Channel.SMS, req.phone, sms), (Channel.EMAIL, req.email, body)):
        if not to or _already_sent(channel=channel, kind=msg_kind, ref=req.reference):
            continue
        sent.append(message_send(
            channel=channel, to=to, subject=subject, body=text, kind=msg_kind, ref=req.reference
        ))
    failed = [m.channel for m in sent if m.status == MessageStatus.FAILED]
    if failed:
        raise DeliveryFailed(f"{msg_kind} {req.reference}: {', '.join(failed)} not delivered")
    return sent


# --- escalation ----------------------------------------------------------------------------------


def requests_due_for_escalation(*, today: dt.date) -> list[DocumentRequest]:
    """Open requests whose clock runs and that are within the configured working days of their
    due date, or past it, and not yet escalated in this run of the clock."""
    candidates = DocumentRequest.objects.filter(
        status__in=CLOCK_RUNNING, due_on__isnull=False, escalated_at__isnull=True
    ).select_related("office", "doc_type")
    due = []
    for req in candidates:
        mark = deadlines.deadline_of(due_on=req.due_on, today=today, paused=False)
        if mark.late or mark.near:
            due.append(req)
    return due


def office_managers(office_id: int) -> QuerySet[User]:
    """Active users who are manager of this office or of every office, with an e-mail."""
    return User.objects.filter(
        Q(staff_roles__office_id=office_id) | Q(staff_roles__office__isnull=True),
        staff_roles__role=Role.MANAGER, is_active=True,
    ).exclude(email="").distinct()


@transaction.atomic
def requests_escalate(*, now: dt.datetime | None = None) -> int:
    """E-mail each office's managers one digest of its requests near or past their limit, and
    mark them escalated. The conditional update decides who sends: overlapping runs never
    escalate a request twice."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    by_office: dict[int, list[DocumentRequest]] = {}
    for req in requests_due_for_escalation(today=today):
        marked = DocumentRequest.objects.filter(pk=req.pk, escalated_at__isnull=True).update(
            escalated_at=now
        )
        if marked:
            by_office.setdefault(req.office_id, []).append(req)
    for office_id, reqs in by_office.items():
        ids = [r.pk for r in reqs]
        outbox_enqueue("documents.tasks.requests_escalation_digest", office_id, ids)
    return sum(len(r) for r in by_office.values())


def escalation_digest_send(*, office_id: int, request_ids: list[int], today: dt.date) -> int:
    reqs = list(
        DocumentRequest.objects.filter(pk__in=request_ids).select_related("office", "doc_type")
        .order_by("due_on")
    )
    if not reqs:
        return 0
    sent = 0
    for manager in office_managers(office_id):
        with translation.override(settings.LANGUAGE_CODE):
            lines = []
            for req in reqs:
                mark = deadlines.deadline_of(due_on=req.due_on, today=today, paused=False)
                state = _("late") if mark.late else _("due soon")
                lines.append(f"- {req.reference} · {req.doc_type.name} · {req.due_on} · {state}")
            subject = _("%(office)s: %(count)s document requests near or past their time limit") % {
                "office": reqs[0].office.name, "count": len(reqs)
            }
            body = "\n".join([subject, "", *lines, ""])
        message_send(
            channel=Channel.EMAIL, to=manager.email, subject=subject, body=body,
            kind="document_escalation", ref=f"office-{office_id}-{today}",
        )
        sent += 1
    return sent
