"""Invitations, ratings and the follow-up cases a bad rating opens."""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts.actions import audit_record
from accounts.models import AuditAction, User
from core.crypto import encrypt_text
from core.outbox import outbox_enqueue
from core.workdays import working_days_after
from queues.constants import TicketStatus
from queues.models import Ticket
from services.models import Counter, Office, Service

from ..codes import ticket_subject_ref, token_hash, token_new
from ..constants import (
    ACTION_MAX,
    CASE_TRANSITIONS,
    COMMENT_MAX,
    LOW_RATINGS,
    TAGS,
    TAGS_BY_KIND,
    CaseStatus,
    InvitationKind,
)
from ..errors import (
    ActionMissing,
    AlreadyClosed,
    InvitationExpired,
    InvitationInvalid,
    InvitationUsed,
    RatingInvalid,
)
from ..models import Evaluation, FollowUpCase, Invitation, InviteCursor
from ._common import escalate_once, tell_resident, tell_staff


def _rules() -> dict:
    return settings.FEEDBACK


@transaction.atomic
def evaluation_invite(
    *,
    kind: str,
    office: Office,
    service: Service,
    counter: Counter | None = None,
    subject_ref: str,
    phone: str = "",
    email: str = "",
    language: str = "zh-hans",
    visit_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Invitation | None:
    """Invite the resident to rate a finished visit or a decided request, once per subject:
    a second call for the same kind and subject returns the first invitation and sends
    nothing. Without a phone or an e-mail nobody can be invited (None)."""
    if kind not in InvitationKind.values:
        raise ValueError(f"unknown invitation kind {kind!r}")
    if not subject_ref or not (phone or email):
        return None
    existing = Invitation.objects.filter(kind=kind, subject_ref=subject_ref).first()
    if existing is not None:
        return existing
    now = now or timezone.now()
    token = token_new()
    invitation = Invitation(
        kind=kind,
        subject_ref=subject_ref,
        office=office,
        service=service,
        counter=counter,
        visit_at=visit_at or now,
        token_hash=token_hash(token),
        phone_enc=encrypt_text(phone) if phone else "",
        email_enc=encrypt_text(email) if email else "",
        language=language,
        expires_at=now + dt.timedelta(days=_rules()["INVITATION_DAYS"]),
    )
    try:
        with transaction.atomic():  # a savepoint: a concurrent invite for the same subject wins
            invitation.save(force_insert=True)
    except IntegrityError:
        return Invitation.objects.get(kind=kind, subject_ref=subject_ref)
    _send_invitation(invitation.pk, token)
    return invitation


def _send_invitation(invitation_id: int, token: str) -> None:
    # The database keeps the token's hash; the outbox holds it encrypted until it is sent.
    outbox_enqueue(
        "feedback.tasks.invitation_send", invitation_id, key=str(invitation_id), secret_args=[token]
    )


@transaction.atomic
def evaluation_invite_finished_tickets(*, now: dt.datetime | None = None) -> int:
    """Invite the residents of counter visits finished since the last run (beat, every few
    minutes). The window reaches back a little before the last run, so a ticket whose
    transaction committed late is not missed; invitations are unique per ticket anyway."""
    now = now or timezone.now()
    cursor, _created = InviteCursor.objects.select_for_update().get_or_create(
        name="tickets", defaults={"position": now - dt.timedelta(days=1)}
    )
    since = cursor.position - dt.timedelta(minutes=10)
    invited = 0
    for ticket in _finished_tickets(since, now):
        phone, email, language = _ticket_contact(ticket)
        made = evaluation_invite(
            kind=InvitationKind.COUNTER,
            office=ticket.office,
            service=ticket.service,
            counter=ticket.counter,
            subject_ref=ticket_subject_ref(ticket.pk),
            phone=phone,
            email=email,
            language=language,
            visit_at=ticket.finished_at,
            now=now,
        )
        invited += made is not None
    cursor.position = now
    cursor.save(update_fields=["position"])
    return invited


def _finished_tickets(since: dt.datetime, now: dt.datetime) -> QuerySet[Ticket]:
    done = Ticket.objects.filter(
        status=TicketStatus.DONE, finished_at__gt=since, finished_at__lte=now
    ).select_related("office", "service", "counter", "booking")
    invited = Invitation.objects.filter(kind=InvitationKind.COUNTER).values("subject_ref")
    refs = {ticket_subject_ref(pk): pk for pk in done.values_list("pk", flat=True)}
    taken = set(invited.filter(subject_ref__in=refs).values_list("subject_ref", flat=True))
    return done.filter(pk__in=[pk for ref, pk in refs.items() if ref not in taken])


def _ticket_contact(ticket: Ticket) -> tuple[str, str, str]:
    booking = ticket.booking
    if booking is not None:
        return booking.phone or ticket.phone, booking.email, booking.language
    return ticket.phone, "", "zh-hans"


@transaction.atomic
def evaluation_record(
    *,
    token: str,
    rating: int,
    comment: str = "",
    tags: list[str] | tuple[str, ...] = (),
    now: dt.datetime | None = None,
) -> Evaluation:
    """Record the rating of an invitation, once. Two submits at the same moment (two tabs)
    queue on the invitation's row lock; the second finds it used. A rating of 1 or 2 opens a
    follow-up case for the office's managers."""
    now = now or timezone.now()
    invitation = _usable_invitation(token, now, lock=True)
    comment = (comment or "").strip()
    allowed = TAGS_BY_KIND[invitation.kind]
    if rating not in range(1, 6) or len(comment) > COMMENT_MAX or set(tags) - set(allowed):
        raise RatingInvalid()
    # The conditional update is the guard even where the row lock is a no-op (SQLite).
    if not Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True).update(used_at=now):
        raise InvitationUsed()
    evaluation = Evaluation.objects.create(
        invitation=invitation,
        kind=invitation.kind,
        office_id=invitation.office_id,
        service_id=invitation.service_id,
        counter_id=invitation.counter_id,
        visit_on=timezone.localtime(invitation.visit_at).date(),
        rating=rating,
        comment=comment,
        tags=[code for code in TAGS if code in set(tags)],
    )
    audit_record(
        actor=None,
        actor_username="resident",
        action=AuditAction.CREATE,
        obj=evaluation,
        details={"rating": rating},
    )
    if rating in LOW_RATINGS:
        case_open(evaluation=evaluation, now=now)
    return evaluation


def _usable_invitation(token: str, now: dt.datetime, *, lock: bool = False) -> Invitation:
    rows = Invitation.objects.select_related("office", "service", "counter")
    if lock:
        rows = rows.select_for_update(of=("self",))
    invitation = rows.filter(token_hash=token_hash(token or "")).first()
    if invitation is None:
        raise InvitationInvalid()
    if invitation.used_at is not None:
        raise InvitationUsed()
    if invitation.expires_at <= now:
        raise InvitationExpired(days=_rules()["INVITATION_DAYS"])
    return invitation


def invitation_check(*, token: str, now: dt.datetime | None = None) -> Invitation:
    """The invitation a link opens, if it can still be used (the rating page's GET)."""
    return _usable_invitation(token, now or timezone.now())


def case_open(*, evaluation: Evaluation, now: dt.datetime | None = None) -> FollowUpCase:
    now = now or timezone.now()
    case = FollowUpCase.objects.create(
        evaluation=evaluation,
        office_id=evaluation.office_id,
        due_on=working_days_after(
            start=timezone.localtime(now).date(), days=_rules()["CASE_WORKING_DAYS"]
        ),
    )
    audit_record(actor=None, actor_username="resident", action=AuditAction.CREATE, obj=case)
    tell_staff("case_opened", case.pk)
    return case


@transaction.atomic
def case_close(
    *, case: FollowUpCase, actor: User, action_taken: str, now: dt.datetime | None = None
) -> FollowUpCase:
    """Record what was done and close; the resident is told by SMS and e-mail."""
    now = now or timezone.now()
    case = FollowUpCase.objects.select_for_update().get(pk=case.pk)
    if CaseStatus.CLOSED not in CASE_TRANSITIONS[case.status]:
        raise AlreadyClosed()
    action_taken = (action_taken or "").strip()
    if not action_taken:
        raise ActionMissing()
    case.status = CaseStatus.CLOSED
    case.action_taken = action_taken[:ACTION_MAX]
    case.closed_by = actor
    case.closed_at = now
    case.save(update_fields=["status", "action_taken", "closed_by", "closed_at"])
    audit_record(
        actor=actor,
        action=AuditAction.STATUS_CHANGE,
        obj=case,
        details={"status": CaseStatus.CLOSED},
    )
    tell_resident("case_closed", case.pk)
    return case


@transaction.atomic
def case_escalate_late(*, today: dt.date | None = None, now: dt.datetime | None = None) -> int:
    """Open cases past their deadline, not yet escalated: bureau and office managers are told
    (beat, daily). Each case is escalated once."""
    now = now or timezone.now()
    today = today or timezone.localtime(now).date()
    late = FollowUpCase.objects.filter(status=CaseStatus.OPEN, due_on__lt=today)
    return escalate_once(late, kind="case_late", now=now)


def case_contact_reveal(
    *, case: FollowUpCase, actor: User, request: HttpRequest | None = None
) -> dict[str, str]:
    """The phone and e-mail a manager may call back; a staff read of personal data, audited."""
    invitation = case.evaluation.invitation
    audit_record(
        actor=actor,
        action=AuditAction.VIEW,
        obj=case,
        request=request,
        details={"page": "contact"},
    )
    return {"phone": invitation.phone, "email": invitation.email}
