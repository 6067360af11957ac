"""The audit trail: what is recorded, that it cannot be edited, that tampering is detected, and
the auditors' search (issue 4, items 4, 5 and 7)."""

import io
import logging
import re

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import actions
from accounts.actions import audit_export, audit_record, staff_role_grant, staff_role_revoke
from accounts.models import ApiClient, AuditAction, AuditEntry, StaffRole, User
from appointments.actions import booking_cancel
from appointments.models import WaitingListEntry
from appointments.tests.factories import book
from core.crypto import encrypt_text, pii_hmac
from core.idnumbers import mask_id_number
from core.logging import MaskIdNumbersFilter
from core.tests.factories import id_number
from notifications.models import Message
from services.tests.factories import OfficeFactory

RESIDENT = id_number(7)
OTHER_RESIDENT = id_number(8)
PASSWORD = "correct-horse-battery-staple"

on_postgres = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="needs PostgreSQL (trigger, row locks)"
)


# --- helpers -------------------------------------------------------------------------------------


def staff(username: str, *roles: tuple[str, object], superuser: bool = False) -> User:
    user = User.objects.create_user(
        username,
        password=PASSWORD,
        is_staff=True,
        is_superuser=superuser,
        date_joined=timezone.now().replace(microsecond=0),
    )
    for role, office in roles:
        StaffRole.objects.create(user=user, role=role, office=office)
    return user


def verified(client, user: User):
    """Signed in with password and second factor, as after the staff sign-in."""
    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def entries(**filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(**filters).order_by("id"))


def verify() -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("verify_audit", stdout=out)
    except CommandError as error:
        assert error.returncode == 1
        return False, out.getvalue()
    return True, out.getvalue()


def seal_and_verify() -> tuple[bool, str]:
    call_command("seal_audit", wait=0, stdout=io.StringIO())
    return verify()


@pytest.fixture
def booking(slot, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return book(slot, RESIDENT)


@pytest.fixture
def clerk(booking):
    return staff("clerk1", ("clerk", booking.office))


@pytest.fixture
def auditor(db):
    return staff("auditor1", ("auditor", None))


# --- staff views of personal data ----------------------------------------------------------------


def test_a_staff_members_look_at_a_booking_is_recorded_with_the_residents_digest(
    client, clerk, booking
):
    verified(client, clerk)
    url = reverse("admin:appointments_booking_change", args=[booking.pk])
    response = client.get(url, HTTP_USER_AGENT="TestBrowser/1.0")

    assert response.status_code == 200
    assert RESIDENT not in response.content.decode()
    [entry] = entries(action=AuditAction.VIEW, object_type="appointments.booking")
    assert entry.actor == clerk and entry.actor_username == "clerk1"
    assert entry.object_id == str(booking.pk) and entry.object_label == booking.code
    assert entry.subject_hmac == pii_hmac(RESIDENT)
    assert entry.office_id == booking.office_id
    assert entry.ip == "127.0.0.1" and entry.user_agent == "TestBrowser/1.0"
    assert RESIDENT not in str(entry.details) + entry.object_label


def test_the_history_of_a_booking_is_a_view_too(client, clerk, booking):
    verified(client, clerk)
    client.get(reverse("admin:appointments_booking_history", args=[booking.pk]))

    [entry] = entries(action=AuditAction.VIEW, object_type="appointments.booking")
    assert entry.details == {"page": "history"} and entry.subject_hmac == pii_hmac(RESIDENT)


def test_the_booking_list_is_one_view_entry_with_its_filters(client, clerk, booking, slot):
    book(slot, OTHER_RESIDENT)
    verified(client, clerk)
    response = client.get(reverse("admin:appointments_booking_changelist") + "?status=booked")

    assert response.status_code == 200
    html = response.content.decode()
    assert RESIDENT not in html and OTHER_RESIDENT not in html and mask_id_number(RESIDENT) in html
    [entry] = entries(action=AuditAction.VIEW, object_type="appointments.booking")
    assert entry.object_id == "" and entry.details == {"page": "list", "query": "status=booked"}


def test_a_waiting_list_entry_viewed_in_the_admin_is_recorded(client, slot):
    office = slot.office
    manager = staff("manager1", ("manager", office))
    entry = WaitingListEntry.objects.create(
        office=office,
        service=slot.schedule.services.first(),
        date=timezone.localdate(),
        name="李四",
        id_number_enc=encrypt_text(RESIDENT),
        id_number_hmac=pii_hmac(RESIDENT),
        id_masked=mask_id_number(RESIDENT),
        phone="13900139000",
    )
    verified(client, manager)
    response = client.get(reverse("admin:appointments_waitinglistentry_change", args=[entry.pk]))

    assert response.status_code == 200
    [view] = entries(action=AuditAction.VIEW, object_type="appointments.waitinglistentry")
    assert view.subject_hmac == pii_hmac(RESIDENT) and view.actor == manager


def test_a_refused_look_leaves_no_view_entry(client, booking):
    stranger = staff("clerk2", ("clerk", OfficeFactory()))
    verified(client, stranger)
    client.get(reverse("admin:appointments_booking_change", args=[booking.pk]))

    assert entries(action=AuditAction.VIEW, actor=stranger, object_id=str(booking.pk)) == []


# --- changes (written by the actions and the admin: accounts/audit_changes.py) ------------------


def test_creating_and_cancelling_a_booking_are_entries_without_the_id_number(
    slot, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(slot, RESIDENT)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking)

    [created] = entries(action=AuditAction.CREATE, object_type="appointments.booking")
    [cancelled] = entries(action=AuditAction.STATUS_CHANGE, object_type="appointments.booking")
    assert cancelled.details["changes"]["status"] == ["booked", "cancelled"]
    assert cancelled.subject_hmac == created.subject_hmac == pii_hmac(RESIDENT)
    assert cancelled.office_id == slot.office_id
    for entry in (created, cancelled):
        text = str(entry.details)
        assert "id_number_enc" not in text and "id_number_hmac" not in text
        assert RESIDENT not in text
    assert "13800138000" not in str(created.details)  # the phone number is masked
    assert seal_and_verify()[0]


def test_a_change_in_the_admin_names_who_made_it(client, db, django_capture_on_commit_callbacks):
    admin_user = staff("root", superuser=True)
    api_client = ApiClient.objects.create(name="partner", token_prefix="abcd", token_hash="x" * 64)
    verified(client, admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_apiclient_change", args=[api_client.pk]),
            {"rate": "60/minute"},  # "active" unticked: the token is revoked
        )

    assert response.status_code == 302
    [entry] = entries(action=AuditAction.CHANGE, object_type="accounts.apiclient")
    assert entry.actor == admin_user and entry.ip == "127.0.0.1"
    assert entry.details["changes"]["is_active"] == ["True", "False"]
    assert "token_hash" not in entry.details["changes"]


def test_granting_and_revoking_a_role_are_role_changes_of_the_staff_member(
    db, django_capture_on_commit_callbacks
):
    admin_user = staff("root", superuser=True)
    clerk = User.objects.create_user("clerk9")
    office = OfficeFactory()
    with django_capture_on_commit_callbacks(execute=True):
        role = staff_role_grant(user=clerk, role="clerk", office=office, granted_by=admin_user)
        staff_role_revoke(staff_role=role, revoked_by=admin_user)

    changes = entries(action=AuditAction.ROLE_CHANGE, object_id=str(clerk.pk))
    # The role given and taken; staff standing given and taken with it.
    assert [e.details.get("operation") for e in changes] == ["create", None, "delete", None]
    for entry in changes:
        assert entry.actor == admin_user
        assert (entry.object_type, entry.object_id) == ("accounts.user", str(clerk.pk))
    assert changes[0].office_id == office.pk and changes[0].details["role"] == "clerk"
    assert changes[1].details["changes"] == {"is_staff": ["False", "True"]}
    assert len(entries(object_type="accounts.staffrole")) == 2  # the changes themselves


def _user_form(user: User, **changed) -> dict:
    """The admin's change form of `user` as the page fills it, with `changed` typed in. (The
    form shows whole seconds: `staff()` users are made so.)"""
    local = timezone.localtime(user.date_joined)
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "phone": user.phone,
        "is_active": "on",
        "date_joined_0": local.date().isoformat(),
        "date_joined_1": local.time().strftime("%H:%M:%S"),
        "last_login_0": "",
        "last_login_1": "",
    }
    for flag in ("is_staff", "is_superuser"):
        if getattr(user, flag):
            data[flag] = "on"
    data.update(changed)
    return {k: v for k, v in data.items() if v is not None}


def test_making_someone_a_superuser_is_a_role_change_but_a_new_resident_is_not(
    client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        actions.resident_signup_start(destination="13800138000")
    code = re.search(r"\b(\d{6})\b", Message.objects.get(recipient="13800138000").body)[1]
    user = actions.resident_signup_confirm(
        destination="13800138000", code=code, password_hash=make_password(PASSWORD)
    )
    [created] = entries(action=AuditAction.CREATE, object_id=str(user.pk))
    assert created.details["changes"]["username"] == ["None", "*****138000"]
    assert entries(action=AuditAction.ROLE_CHANGE) == []

    admin_user = staff("root", superuser=True)
    verified(client, admin_user)
    url = reverse("admin:accounts_user_change", args=[user.pk])
    response = client.post(url, _user_form(user, is_superuser="on"))
    assert response.status_code == 302

    [entry] = entries(action=AuditAction.ROLE_CHANGE, object_id=str(user.pk))
    assert entry.details["changes"]["is_superuser"] == ["False", "True"]
    assert entry.actor == admin_user and entry.ip == "127.0.0.1"


def test_a_change_in_the_admin_records_the_fields_that_changed_once(client, db):
    user = staff("clerk7")
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    admin_user = staff("root", superuser=True)
    verified(client, admin_user)
    count = AuditEntry.objects.count()
    url = reverse("admin:accounts_user_change", args=[user.pk])
    response = client.post(url, _user_form(user, first_name="小"))
    assert response.status_code == 302

    [entry] = entries(action=AuditAction.CHANGE, object_id=str(user.pk))
    assert entry.details == {"changes": {"first_name": ["", "小"]}}  # not last_login
    assert entry.actor == admin_user
    assert AuditEntry.objects.count() == count + 1


def test_a_group_given_in_the_admin_is_a_role_change(client, db):
    from django.contrib.auth.models import Group

    user = staff("clerk8")
    group = Group.objects.create(name="counter leads")
    admin_user = staff("root", superuser=True)
    verified(client, admin_user)
    url = reverse("admin:accounts_user_change", args=[user.pk])
    response = client.post(url, _user_form(user, groups=str(group.pk)))
    assert response.status_code == 302

    [change] = entries(action=AuditAction.CHANGE, object_id=str(user.pk))
    expected = {"groups": {"type": "m2m", "operation": "add", "objects": ["counter leads"]}}
    assert change.details["changes"] == expected
    [role] = entries(action=AuditAction.ROLE_CHANGE, object_id=str(user.pk))
    assert role.details["changes"] == expected and role.actor == admin_user


# --- sign-ins, lockouts, exports -----------------------------------------------------------------


def test_sign_in_failure_and_sign_out_are_recorded(client, db):
    user = staff("clerk5")
    signin = reverse("staff:signin")
    client.post(signin, {"username": "clerk5", "password": "wrong"})
    client.post(signin, {"username": "clerk5", "password": PASSWORD})
    client.post(reverse("staff:signout"))

    recorded = entries(actor_username="clerk5")
    assert [e.action for e in recorded] == ["sign_in_failed", "sign_in", "sign_out"]
    assert recorded[0].actor is None and recorded[0].details == {"username": "clerk5"}
    assert recorded[1].actor == recorded[2].actor == user
    assert all(e.ip == "127.0.0.1" for e in recorded)
    assert PASSWORD not in str([e.details for e in recorded])


def test_an_id_number_typed_as_a_username_is_masked(client, db):
    client.post(reverse("staff:signin"), {"username": RESIDENT, "password": "wrong"})

    [failed] = entries(action=AuditAction.SIGN_IN_FAILED)
    assert failed.actor_username == mask_id_number(RESIDENT)
    assert RESIDENT not in str(failed.details)


def test_a_lockout_and_its_lifting_are_recorded(client, db, settings):
    staff("clerk6")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("staff:signin"), {"username": "clerk6", "password": "wrong"})

    [lockout] = entries(action=AuditAction.LOCKOUT)
    assert lockout.actor_username == "clerk6" and lockout.ip == "127.0.0.1"

    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.get(username="clerk6")
    admin_user = staff("root", superuser=True)
    admin_client = verified(client.__class__(), admin_user)
    response = admin_client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    [lifted] = entries(action=AuditAction.LOCKOUT_LIFTED)
    assert lifted.actor == admin_user and lifted.details["username"] == "clerk6"


def test_an_export_is_recorded_with_its_size_and_filters(rf, db):
    user = staff("manager2")
    request = rf.get("/")
    request.user = user
    audit_export(
        actor=user, what="bookings.csv", count=42, request=request, filters={"day": "2026-05-04"}
    )

    [entry] = entries(action=AuditAction.EXPORT)
    assert entry.actor == user and entry.object_label == "bookings.csv"
    assert entry.details == {"what": "bookings.csv", "count": 42, "filters": {"day": "2026-05-04"}}


def test_id_numbers_in_details_and_labels_are_masked(db):
    entry = audit_record(
        actor=None,
        action=AuditAction.VIEW,
        object_label=f"call about {RESIDENT}",
        details={"note": f"resident {RESIDENT} phoned", RESIDENT: [RESIDENT]},
        subject_id_number=RESIDENT,
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    masked = mask_id_number(RESIDENT)
    assert stored.object_label == f"call about {masked}"
    assert stored.details == {"note": f"resident {masked} phoned", masked: [masked]}
    assert stored.subject_hmac == pii_hmac(RESIDENT)


# --- append-only ---------------------------------------------------------------------------------


def _some_entries(n: int = 3) -> list[AuditEntry]:
    return [audit_record(actor=None, action=AuditAction.VIEW, details={"n": i}) for i in range(n)]


def test_entries_cannot_be_changed_or_deleted_through_the_orm(db):
    entry = _some_entries(1)[0]
    entry.details = {"n": "forged"}
    refusals = [
        entry.save,
        entry.delete,
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(details={}),
        lambda: AuditEntry.objects.all().delete(),
        lambda: AuditEntry.objects.bulk_update([entry], ["details"]),
        # Not through accounts.audit: refused.
        lambda: AuditEntry.objects.create(action=AuditAction.VIEW, timestamp=timezone.now()),
    ]
    for attempt in refusals:
        with translation.override("en"), pytest.raises(Exception, match="appended|written by"):
            attempt()
    assert AuditEntry.objects.get(pk=entry.pk).details == {"n": 0}


def test_the_admin_shows_the_trail_read_only(client, db):
    admin_user = staff("root", superuser=True)
    entry = _some_entries(1)[0]
    verified(client, admin_user)

    assert client.get(reverse("admin:accounts_auditentry_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_auditentry_add")).status_code == 403
    assert client.get(reverse("admin:accounts_auditentry_delete", args=[entry.pk])).status_code in (
        403,
        302,
    )
    page = client.get(reverse("admin:accounts_auditentry_change", args=[entry.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@on_postgres
def test_postgresql_refuses_sql_updates_and_deletes(db):
    entry = _some_entries(1)[0]
    for sql in (
        "UPDATE accounts_auditentry SET details = '{}' WHERE id = %s",
        "DELETE FROM accounts_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).details == {"n": 0}


def test_deleting_a_user_keeps_their_entries_and_the_chain(db):
    user = staff("resident1")
    audit_record(actor=user, action=AuditAction.SIGN_IN, obj=user)
    user.delete()

    [entry] = entries(action=AuditAction.SIGN_IN)
    assert entry.actor is None and entry.actor_username == "resident1"
    assert seal_and_verify()[0]


# --- the auditors' search ------------------------------------------------------------------------


def _looked_at(client_class, clerk, *bookings) -> None:
    c = verified(client_class(), clerk)
    for b in bookings:
        c.get(reverse("admin:appointments_booking_change", args=[b.pk]))


def test_an_auditor_finds_every_look_at_a_resident_by_id_number(client, clerk, booking, slot):
    other = book(slot, OTHER_RESIDENT)
    _looked_at(client.__class__, clerk, booking, other)
    auditor = staff("auditor1", ("auditor", None))
    verified(client, auditor)
    url = reverse("audit:list")

    response = client.post(url, {"id_number": RESIDENT})
    assert response.status_code == 302
    location = response["Location"]
    assert RESIDENT not in location and pii_hmac(RESIDENT) not in location

    page = client.get(location)
    html = page.content.decode()
    assert page.status_code == 200
    assert RESIDENT not in html and mask_id_number(RESIDENT) in html
    rows = page.context["rows"]
    assert rows and all(r["entry"].subject_hmac == pii_hmac(RESIDENT) for r in rows)
    assert {r["entry"].object_id for r in rows if r["entry"].action == "view"} == {str(booking.pk)}
    assert str(other.code) not in html

    [search] = entries(actor=auditor, object_type="accounts.auditentry")
    assert search.subject_hmac == pii_hmac(RESIDENT)
    assert search.details["filters"] == {"id_number": mask_id_number(RESIDENT)}
    assert RESIDENT not in str(search.details)


def test_clearing_the_id_number_shows_every_resident_again(client, auditor, booking):
    verified(client, auditor)
    url = reverse("audit:list")
    client.post(url, {"id_number": OTHER_RESIDENT})
    assert client.get(url).context["rows"] == []

    client.post(url, {"clear_subject": "1"})
    assert client.get(url).context["rows"] != []


def test_an_invalid_id_number_is_refused_and_not_written_back(client, auditor):
    verified(client, auditor)
    wrong = RESIDENT[:-1] + ("0" if RESIDENT[-1] != "0" else "1")
    response = client.post(reverse("audit:list"), {"id_number": wrong})

    assert response.status_code == 400
    assert wrong not in response.content.decode()
    assert response.context["form"].errors.as_data()["id_number"][0].code == "checksum"


def test_the_search_filters_by_staff_action_office_and_date(client, clerk, booking, auditor):
    _looked_at(client.__class__, clerk, booking)
    verified(client, auditor)
    url = reverse("audit:list")
    today = timezone.localdate()

    def seqs(**query):
        return {r["entry"].pk for r in client.get(url, query).context["rows"]}

    by_clerk = seqs(username="clerk1", action="view")
    assert by_clerk == {e.pk for e in entries(actor=clerk, action="view")} != set()
    assert seqs(office=booking.office_id) == {e.pk for e in entries(office_id=booking.office_id)}
    assert seqs(date_from=today.isoformat(), username="clerk1") == seqs(username="clerk1")
    assert seqs(date_to=(today - timezone.timedelta(days=1)).isoformat()) == set()


def test_an_office_auditor_sees_only_their_offices_entries(client, booking):
    other_office = OfficeFactory()
    audit_record(actor=None, action=AuditAction.VIEW, office_id=other_office.pk)
    auditor = staff("auditor2", ("auditor", booking.office))
    verified(client, auditor)

    page = client.get(reverse("audit:list"))
    offices = {r["entry"].office_id for r in page.context["rows"]}
    assert offices == {booking.office_id}
    response = client.get(reverse("audit:list"), {"office": other_office.pk})
    assert response.context["form"].errors and response.context["rows"] != []
    assert {r["entry"].office_id for r in response.context["rows"]} == {booking.office_id}


def test_only_verified_auditors_may_search(client, clerk, auditor):
    url = reverse("audit:list")
    assert verified(client, clerk).get(url).status_code == 403

    client.logout()
    client.force_login(auditor)  # password only, no second factor
    response = client.get(url)
    assert response.status_code == 302 and reverse("staff:signin") in response["Location"]


# --- logs ----------------------------------------------------------------------------------------


def _configured_handlers() -> list[logging.Handler]:
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    return [
        handler
        for logger in loggers
        for handler in logger.handlers
        if not type(handler).__module__.startswith("_pytest")
        and not isinstance(handler, logging.NullHandler)  # writes nothing
    ]


def test_every_log_handler_masks_id_numbers():
    handlers = _configured_handlers()
    assert handlers
    for handler in handlers:
        assert any(isinstance(f, MaskIdNumbersFilter) for f in handler.filters), handler


def test_a_log_line_never_holds_a_full_id_number():
    [console] = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        logging.getLogger("x").warning("id %s", "430102199005170076")
        try:
            raise ValueError(f"bad number {RESIDENT}")
        except ValueError:
            logging.getLogger("x").exception("lookup failed")
    finally:
        console.setStream(previous)

    written = stream.getvalue()
    assert "id 430***********0076" in written
    assert "430102199005170076" not in written
    assert RESIDENT not in written and mask_id_number(RESIDENT) in written
    assert re.search(r"ValueError: bad number 430\*{11}", written)


@pytest.mark.django_db
def test_an_entry_built_to_insert_later_is_the_one_audit_record_appends():
    """The queue's events and the booking's outbox row insert their entry themselves, in one
    statement with their own row: it reads exactly as one appended by audit_record."""
    office = OfficeFactory()
    same = {"actor": None, "action": AuditAction.CHANGE, "obj": office,
            "details": {"note": f"ID {id_number(5)}"}, "actor_username": "kiosk", "ip": "10.1.2.3"}
    built = actions.audit_entry_new(**same)
    stored = AuditEntry.objects.get(pk=audit_record(**same).pk)
    fields = ("actor_id", "actor_username", "action", "office_id", "subject_hmac", "ip",
              "details", "object_type", "object_id", "object_label")
    assert [getattr(stored, f) for f in fields] == [getattr(built, f) for f in fields]
    assert id_number(5) not in str(stored.details)  # masked either way
