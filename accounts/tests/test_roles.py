"""Roles by post: permissions come from the one table (accounts/constants.py), office scoping
refuses every row of another office in every staff admin, and each role sees exactly its part
of the admin."""

import datetime as dt

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import models
from django.urls import reverse

from accounts import constants
from accounts.actions import staff_role_grant, staff_role_revoke
from accounts.admin_scoping import OfficeScopedAdminMixin
from accounts.models import Role, StaffRole
from accounts.tests.factories import staff
from appointments.constants import BookingStatus
from appointments.models import Closure, WaitingListEntry
from appointments.tests.factories import ScheduleFactory, SlotFactory, past_booking
from core.crypto import encrypt_text, pii_hmac
from core.idnumbers import mask_id_number
from core.tests.factories import id_number
from documents.models import Certificate, PendingDecision
from documents.tests.factories import DocumentTypeFactory, request_in
from feedback.tests.factories import evaluation_for, mailbox_item_for
from queues import actions as queue_actions
from queues.models import ServiceLevel
from queues.tests.factories import kiosk_for
from services.models import Office
from services.tests.factories import CounterFactory, OfficeFactory, ServiceFactory

pytestmark = pytest.mark.django_db

# What each role finds in the admin, written out by hand: a slip in the mapping shows up here.
EXPECTED_LISTS = {
    "clerk": {"appointments.booking", "queues.ticket"},
    "reviewer": {
        "appointments.booking",
        "documents.documentrequest",
        "documents.pendingdecision",
        "documents.certificate",
    },
    "manager": {
        "appointments.schedule",
        "appointments.closure",
        "appointments.slot",
        "appointments.booking",
        "appointments.waitinglistentry",
        "services.office",
        "services.counter",
        "accounts.staffrole",
        "queues.ticket",
        "queues.kiosk",
        "queues.servicelevel",
        "feedback.invitation",
        "feedback.evaluation",
        "feedback.followupcase",
        "feedback.mailboxitem",
        "documents.documentrequest",
        "documents.pendingdecision",
        "documents.documenttype",
        "documents.certificate",
        "services.bundle",  # 一件事 bundles, defined by managers (issue 19)
    },
    "auditor": {
        "accounts.auditentry",
        "accounts.staffrole",
        "axes.accessattempt",
        "axes.accesslog",
        "axes.accessfailurelog",
    },
    "sysadmin": {
        "accounts.user",
        "accounts.staffrole",
        "accounts.apiclient",
        "axes.accessattempt",
        "axes.accesslog",
        "axes.accessfailurelog",
        "otp_totp.totpdevice",
        "otp_static.staticdevice",
        "core.taskdelivery", "core.outboxmessage",
    },
}


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def object_url(obj, view: str = "change") -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=[obj.pk])


# --- the one mapping ----------------------------------------------------------------------------


def test_every_role_has_an_entry_and_nothing_else_does():
    assert set(constants.ROLE_PERMISSIONS) == set(Role.values)


def test_every_mapped_permission_exists_once_its_model_does():
    for role, perms in constants.ROLE_PERMISSIONS.items():
        for perm in perms:
            app_label, codename = perm.split(".")
            model_name = codename.split("_", 1)[1]
            try:
                apps.get_model(app_label, model_name)
            except LookupError:
                continue  # lands later (queues, documents): named now, checked then
            exists = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).exists()
            assert exists, (role, perm)


@pytest.mark.parametrize("role", Role.values)
def test_a_role_grants_exactly_its_permissions(role):
    user = staff(role, office=OfficeFactory())
    assert user.get_all_permissions() == set(constants.ROLE_PERMISSIONS[role])


def test_permissions_follow_the_mapping_and_nothing_else(monkeypatch):
    user = staff("clerk", office=OfficeFactory())
    assert not user.has_perm("appointments.change_schedule")
    changed = {**constants.ROLE_PERMISSIONS}
    changed["clerk"] = changed["clerk"] | {"appointments.change_schedule", "queues.call_ticket"}
    monkeypatch.setattr(constants, "ROLE_PERMISSIONS", changed)
    user = type(user).objects.get(pk=user.pk)  # permissions are cached per user object
    assert user.has_perm("appointments.change_schedule")
    assert user.has_perm("queues.call_ticket")  # a permission of a model yet to come: no crash
    assert user.has_module_perms("queues")


def test_two_roles_add_up_and_inactive_accounts_have_none():
    office = OfficeFactory()
    user = staff("clerk", office=office)
    staff_role_grant(user=user, role="auditor", office=None)
    expected = constants.ROLE_PERMISSIONS["clerk"] | constants.ROLE_PERMISSIONS["auditor"]
    assert type(user).objects.get(pk=user.pk).get_all_permissions() == set(expected)
    user.is_active = False
    user.save()
    assert type(user).objects.get(pk=user.pk).get_all_permissions() == set()


# --- granting and revoking ----------------------------------------------------------------------


def test_a_role_makes_staff_and_the_last_revoked_role_unmakes_it():
    office = OfficeFactory()
    user = staff(None)
    assert not user.is_staff
    clerk = staff_role_grant(user=user, role="clerk", office=office)
    reviewer = staff_role_grant(user=user, role="reviewer", office=office)
    assert staff_role_grant(user=user, role="clerk", office=office) == clerk  # no duplicate
    user.refresh_from_db()
    assert user.is_staff
    staff_role_revoke(staff_role=clerk)
    user.refresh_from_db()
    assert user.is_staff
    staff_role_revoke(staff_role=reviewer)
    user.refresh_from_db()
    assert not user.is_staff


def test_only_who_may_grant_roles_can_grant_them():
    office = OfficeFactory()
    manager = staff("manager", office=office)
    sysadmin = staff("sysadmin")
    newcomer = staff(None)
    with pytest.raises(PermissionDenied):
        staff_role_grant(user=newcomer, role="manager", office=office, granted_by=manager)
    grant = staff_role_grant(user=newcomer, role="clerk", office=office, granted_by=sysadmin)
    with pytest.raises(PermissionDenied):
        staff_role_revoke(staff_role=grant, revoked_by=manager)
    with pytest.raises(ValueError):
        staff_role_grant(user=newcomer, role="chief", office=office)


def test_a_system_administrator_grants_and_revokes_in_the_admin(verified_client):
    office = OfficeFactory()
    client = verified_client(staff("sysadmin"))
    newcomer = staff(None)
    added = client.post(
        reverse("admin:accounts_staffrole_add"),
        {"user": newcomer.pk, "role": "clerk", "office": office.pk},
    )
    assert added.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.is_staff
    grant = StaffRole.objects.get(user=newcomer)
    deleted = client.post(object_url(grant, "delete"), {"post": "yes"})
    assert deleted.status_code == 302
    newcomer.refresh_from_db()
    assert not newcomer.is_staff and not StaffRole.objects.filter(user=newcomer).exists()


def test_a_system_administrator_cannot_make_or_touch_superusers(verified_client):
    client = verified_client(staff("sysadmin"))
    clerk = staff("clerk", office=OfficeFactory())
    page = client.get(object_url(clerk))
    assert page.status_code == 200
    form_fields = page.context["adminform"].form.fields
    assert "is_superuser" not in form_fields and "user_permissions" not in form_fields
    root = staff(None, is_superuser=True, is_staff=True)
    assert client.post(object_url(root), {"username": "taken-over"}).status_code == 403
    assert client.post(object_url(root, "delete"), {"post": "yes"}).status_code == 403
    root.refresh_from_db()
    assert root.username != "taken-over"


def test_a_manager_sees_the_staff_of_their_office_but_cannot_grant(verified_client):
    office, other = OfficeFactory(), OfficeFactory()
    manager = staff("manager", office=office)
    colleague, stranger = staff("clerk", office=office), staff("clerk", office=other)
    client = verified_client(manager)
    listing = client.get(changelist(StaffRole)).content.decode()
    assert colleague.username in listing and stranger.username not in listing
    assert client.get(reverse("admin:accounts_staffrole_add")).status_code == 403


# --- each role's admin --------------------------------------------------------------------------


@pytest.mark.parametrize("role", Role.values)
def test_each_role_sees_exactly_its_part_of_the_admin(role, verified_client):
    client = verified_client(staff(role, office=OfficeFactory()))
    seen = set()
    for model in admin.site._registry:
        status = client.get(changelist(model)).status_code
        assert status in (200, 403), (model, status)
        if status == 200:
            seen.add(model._meta.label_lower)
    assert seen == EXPECTED_LISTS[role]


def test_the_staff_home_lists_roles_offices_and_what_the_role_can_open(verified_client):
    office = OfficeFactory(name_en="Riverside station")
    clerk = staff("clerk", office=office)
    page = verified_client(clerk).get("/en/staff/").content.decode()
    assert "Counter clerk" in page and "Riverside station" in page
    assert changelist(apps.get_model("appointments", "Booking")) in page
    assert changelist(apps.get_model("appointments", "Schedule")) not in page
    assert "/en/staff/audit/" not in page
    auditor_page = verified_client(staff("auditor")).get("/en/staff/").content.decode()
    assert "/en/staff/audit/" in auditor_page and "All offices" in auditor_page


# --- office scoping in every scoped admin -------------------------------------------------------


def _waiting(office):
    number = id_number(7)
    return WaitingListEntry.objects.create(
        office=office,
        service=ServiceFactory(),
        date=dt.date.today() + dt.timedelta(days=3),
        name="测试",
        id_number_enc=encrypt_text(number),
        id_number_hmac=pii_hmac(number),
        id_masked=mask_id_number(number),
        phone="13800138000",
    )


def _booking(office):
    slot = SlotFactory(schedule=ScheduleFactory(office=office))
    return past_booking(slot=slot, id_number=id_number(3), status=BookingStatus.BOOKED)


def _closure(office):
    today = dt.date.today()
    return Closure.objects.create(office=office, start_date=today, end_date=today, reason_zh="装修")


MAKERS = {
    "appointments.schedule": lambda office: ScheduleFactory(office=office),
    "appointments.closure": _closure,
    "appointments.slot": lambda office: SlotFactory(schedule=ScheduleFactory(office=office)),
    "appointments.booking": _booking,
    "appointments.waitinglistentry": _waiting,
    "services.office": lambda office: office,
    "services.counter": lambda office: CounterFactory(office=office),
    "accounts.staffrole": lambda office: staff("clerk", office=office).staff_roles.get(),
    "queues.ticket": lambda office: _ticket(office),
    "queues.kiosk": lambda office: kiosk_for(office)[0],
    "queues.servicelevel": lambda office: ServiceLevel.objects.create(office=office),
    "feedback.invitation": lambda office: evaluation_for(office, rating=4).invitation,
    "feedback.evaluation": lambda office: evaluation_for(office, rating=4),
    "feedback.followupcase": lambda office: evaluation_for(office, rating=1).case,
    "feedback.mailboxitem": mailbox_item_for,
    "documents.documentrequest": lambda office: request_in("submitted", office=office),
    "documents.pendingdecision": lambda office: PendingDecision.objects.create(
        request=request_in("under_review", office=office), transition="reject", reason="-",
        proposed_by=staff("reviewer", office=office),
    ),
    "documents.certificate": lambda office: _certificate(office),
    # An online service's definition belongs to the offices offering its service.
    "documents.documenttype": lambda office: _definition(office),
}


def _definition(office):
    doc_type = DocumentTypeFactory()
    office.services.add(doc_type.service)
    return doc_type


def _certificate(office):
    req = request_in("issued", office=office)
    today = dt.date.today()
    return Certificate.objects.create(
        request=req, number=f"WFZ-{req.pk:08d}", code_hash="0" * 64, doc_type=req.doc_type,
        office=office, holder_name="张三", holder_id_masked=req.holder_id_masked,
        issued_on=today, valid_until=today + dt.timedelta(days=90),
    )


def _ticket(office):
    service = ServiceFactory()
    office.services.add(service)
    return queue_actions.ticket_take_walk_in(office=office, service=service)


def scoped_admins() -> list[str]:
    return sorted(
        model._meta.label_lower
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, OfficeScopedAdminMixin)
    )


def _has_office_fk(model) -> bool:
    return any(
        isinstance(field, models.ForeignKey) and field.related_model is Office
        for field in model._meta.get_fields()
    )


def test_every_admin_of_office_data_is_scoped():
    unscoped = [
        model._meta.label_lower
        for model, model_admin in admin.site._registry.items()
        if (model is Office or _has_office_fk(model))
        and not isinstance(model_admin, OfficeScopedAdminMixin)
    ]
    assert unscoped == []
    assert set(scoped_admins()) == set(MAKERS)


def _viewing_roles(label: str) -> list[str]:
    app_label, model_name = label.split(".")
    perm = f"{app_label}.view_{model_name}"
    return list(constants.roles_with_permission(perm))


@pytest.mark.parametrize("label", sorted(MAKERS))
def test_rows_of_another_office_are_not_found(label, verified_client):
    roles = _viewing_roles(label)
    assert roles, f"no role may view {label}"
    for role in roles:
        mine, theirs = OfficeFactory(), OfficeFactory()
        client = verified_client(staff(role, office=mine))
        own, other = MAKERS[label](mine), MAKERS[label](theirs)
        listing = client.get(changelist(type(own))).content.decode()
        assert object_url(own) in listing, (label, role)
        assert object_url(other) not in listing, (label, role)
        assert client.get(object_url(own)).status_code == 200, (label, role)
        for view in ("change", "history", "delete"):
            response = client.get(object_url(other, view))
            assert response.status_code == 404, (label, role, view)
        assert client.post(object_url(other, "delete"), {"post": "yes"}).status_code == 404
        assert type(other).objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize("label", sorted(MAKERS))
def test_a_bureau_wide_role_sees_every_office(label, verified_client):
    role = next(iter(_viewing_roles(label)))
    client = verified_client(staff(role, office=None))
    rows = [MAKERS[label](OfficeFactory()) for _ in range(2)]
    listing = client.get(changelist(type(rows[0]))).content.decode()
    for row in rows:
        assert object_url(row) in listing


# --- what a manager may change ------------------------------------------------------------------


def test_a_manager_chooses_only_their_offices(verified_client):
    mine, theirs = OfficeFactory(), OfficeFactory()
    client = verified_client(staff("manager", office=mine))
    page = client.get(reverse("admin:appointments_schedule_add"))
    choices = page.context["adminform"].form.fields["office"].queryset
    assert list(choices) == [mine]
    service = ServiceFactory()
    client.post(
        reverse("admin:appointments_schedule_add"),
        {
            "office": theirs.pk,
            "name": "越权",
            "services": [service.pk],
            "slot_minutes": 30,
            "capacity": 4,
            "walkin_percent": 0,
            "release_days_ahead": 7,
            "release_time": "08:00",
            "close_minutes_before": 60,
            "periods-TOTAL_FORMS": 0,
            "periods-INITIAL_FORMS": 0,
        },
    )
    assert not theirs.schedules.exists()


def _closure_form(office) -> dict:
    today = dt.date.today()
    return {
        "office": office.pk if office else "",
        "service": "",
        "start_date": today.isoformat(),
        "end_date": today.isoformat(),
        "reason_zh": "国庆节",
        "reason_en": "National Day",
    }


def test_only_a_bureau_wide_manager_declares_a_public_holiday(verified_client):
    office = OfficeFactory()
    local = verified_client(staff("manager", office=office))
    refused = local.post(reverse("admin:appointments_closure_add"), _closure_form(None))
    assert refused.status_code == 200 and not Closure.objects.exists()
    assert "office" in refused.context["adminform"].form.errors
    accepted = local.post(reverse("admin:appointments_closure_add"), _closure_form(office))
    assert accepted.status_code == 302 and Closure.objects.get().office == office

    bureau = verified_client(staff("manager", office=None))
    holiday = bureau.post(reverse("admin:appointments_closure_add"), _closure_form(None))
    assert holiday.status_code == 302
    assert Closure.objects.filter(office__isnull=True).count() == 1


def test_a_station_manager_sees_public_holidays_but_cannot_change_them(verified_client):
    office = OfficeFactory()
    holiday = _closure(None)
    client = verified_client(staff("manager", office=office))
    assert object_url(holiday) in client.get(changelist(Closure)).content.decode()
    page = client.get(object_url(holiday))
    assert page.status_code == 200 and not page.context["has_change_permission"]
    changed = client.post(object_url(holiday), _closure_form(office))
    assert changed.status_code == 403
    holiday.refresh_from_db()
    assert holiday.office is None
