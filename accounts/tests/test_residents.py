"""Residents' optional accounts: sign-up with a code sent by SMS or e-mail, sign-in, password
reset, data export and deletion, driven through the pages as a browser without JavaScript."""

import datetime as dt
import json
import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils.translation import gettext

from accounts import actions
from accounts.errors import CodeDead, CodeExpired, CodeLimitReached, CodeTooSoon, CodeWrong
from accounts.models import AuditEntry, ResidentProfile, Role, StaffRole, VerificationCode
from notifications.models import Message

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
PHONE = "13912345678"
PASSWORD = "Lantern-river-42"
SIGNUP = "/zh-hans/account/signup/"
SIGNUP_CODE = "/zh-hans/account/signup/code/"
SIGNIN = "/zh-hans/account/signin/"
HOME = "/zh-hans/account/"
EXISTS_NOTICE = (
    "Someone tried to create a OneWindow account with this address, but you already have one. "
    "Sign in at %(url)s or reset your password there. If it was not you, ignore this message."
)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


class CommittingClient:
    """A test client whose requests end like real ones: what waits for the commit (the codes
    go out then) runs when the request is over."""

    def __init__(self, client, capture) -> None:
        self._client, self._capture = client, capture

    def post(self, *args, **kwargs):
        with self._capture(execute=True):
            return self._client.post(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


@pytest.fixture
def client(client, django_capture_on_commit_callbacks):
    return CommittingClient(client, django_capture_on_commit_callbacks)


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    """For calling actions directly: `with committing(): …`."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def sms_to(phone: str) -> list[str]:
    return list(
        Message.objects.filter(channel="sms", recipient=phone)
        .order_by("id")
        .values_list("body", flat=True)
    )


def code_in(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


def last_code(phone: str = PHONE) -> str:
    return code_in(sms_to(phone)[-1])


def start_signup(client, contact: str = PHONE, password: str = PASSWORD):
    return client.post(
        SIGNUP,
        {"contact": contact, "password1": password, "password2": password, "consent": "on"},
    )


@pytest.fixture
def make_resident(committing):
    """Create a resident through the actions, as the pages do."""

    def make(phone: str = PHONE, password: str = PASSWORD):
        with committing():
            actions.resident_signup_start(destination=phone)
        return actions.resident_signup_confirm(
            destination=phone, code=last_code(phone), password_hash=make_password(password)
        )

    return make


def signed_in_user(client):
    return client.get(HOME).wsgi_request.user


# --- sign-up -------------------------------------------------------------------------------------


def test_signing_up_by_phone_with_the_code_from_the_sms_opens_the_account(client):
    response = start_signup(client)
    assert response.status_code == 302 and response["Location"] == SIGNUP_CODE
    page = client.get(SIGNUP_CODE).content.decode()
    assert "139****5678" in page and PHONE not in page
    code = last_code()
    assert get_user_model().objects.filter(username=PHONE).exists() is False

    response = client.post(SIGNUP_CODE, {"code": code})

    assert response.status_code == 302 and response["Location"] == HOME
    user = get_user_model().objects.get(username=PHONE)
    assert user.is_active and user.check_password(PASSWORD)
    assert ResidentProfile.objects.get(user=user).verified_phone == PHONE
    assert signed_in_user(client) == user
    assert PHONE in client.get(HOME).content.decode()


def test_the_code_is_never_stored_only_a_keyed_digest(client):
    start_signup(client)
    code = last_code()
    row = VerificationCode.objects.get()
    stored = " ".join(str(v) for v in VerificationCode.objects.values().get().values())
    assert code not in stored and PHONE not in stored
    assert row.expires_at == NOW + dt.timedelta(minutes=10)


def test_signing_up_by_e_mail_sends_the_code_by_e_mail(client):
    response = start_signup(client, contact="Li.Na@Example.com")
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["li.na@example.com"]
    response = client.post(SIGNUP_CODE, {"code": code_in(mail.outbox[0].body)})
    assert response.status_code == 302
    profile = ResidentProfile.objects.get(verified_email="li.na@example.com")
    assert profile.user.is_active and profile.verified_phone == ""


def test_full_width_digits_typed_by_an_input_method_are_understood(client):
    start_signup(client, contact="１３９ １２３４ ５６７８")
    assert len(sms_to(PHONE)) == 1


BAD_CONTACT = "Enter a mobile number (11 digits starting with 1) or an e-mail address."


@pytest.mark.parametrize(
    ("contact", "password", "problem"),
    [
        (
            "23912345678",
            PASSWORD,
            "Enter a mobile number (11 digits starting with 1) or an e-mail address.",
        ),
        (
            "1391234567",
            PASSWORD,
            "Enter a mobile number (11 digits starting with 1) or an e-mail address.",
        ),
        (PHONE, "12345678", "This password is entirely numeric."),
        (PHONE, "password", "This password is too common."),
        (PHONE, "short", "This password is too short."),
    ],
)
def test_signup_refuses_a_bad_number_or_a_weak_password_before_sending_anything(
    client, contact, password, problem
):
    response = start_signup(client, contact=contact, password=password)
    assert response.status_code == 200
    assert gettext(problem) in response.content.decode()
    assert Message.objects.count() == 0


def test_five_wrong_codes_kill_the_code(client):
    start_signup(client)
    code = last_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        page = client.post(SIGNUP_CODE, {"code": wrong}).content.decode()
        assert str(CodeWrong(left=left)) in page
    page = client.post(SIGNUP_CODE, {"code": wrong}).content.decode()
    assert str(CodeDead()) in page

    response = client.post(SIGNUP_CODE, {"code": code})

    assert response.status_code == 400
    assert str(CodeDead()) in response.content.decode()
    assert not get_user_model().objects.filter(username=PHONE).exists()
    assert not signed_in_user(client).is_authenticated


def test_a_code_works_for_ten_minutes_only(client, clock):
    start_signup(client)
    code = last_code()
    clock.move_to(NOW + dt.timedelta(minutes=10, seconds=1))

    response = client.post(SIGNUP_CODE, {"code": code})

    assert response.status_code == 400
    assert str(CodeExpired()) in response.content.decode()
    assert not get_user_model().objects.filter(username=PHONE).exists()


def test_a_code_still_works_just_before_ten_minutes(client, clock):
    start_signup(client)
    clock.move_to(NOW + dt.timedelta(minutes=9, seconds=59))
    assert client.post(SIGNUP_CODE, {"code": last_code()}).status_code == 302


def test_a_code_works_once(client):
    start_signup(client)
    code = last_code()
    assert client.post(SIGNUP_CODE, {"code": code}).status_code == 302
    with pytest.raises(CodeExpired):
        actions.verification_code_use(purpose="signup", destination=PHONE, code=code)


def test_a_new_code_waits_a_minute_and_replaces_the_old_one(client, clock):
    start_signup(client)
    first = last_code()
    client.post("/zh-hans/account/code/resend/")
    assert len(sms_to(PHONE)) == 1  # too soon: nothing sent
    clock.move_to(NOW + dt.timedelta(seconds=61))
    response = client.post("/zh-hans/account/code/resend/", follow=True)
    assert gettext("A new code is on its way. The earlier one no longer works.") in (
        response.content.decode()
    )
    second = last_code()
    assert len(sms_to(PHONE)) == 2
    if second != first:  # one chance in a million that both are equal
        assert client.post(SIGNUP_CODE, {"code": first}).status_code == 400
    assert client.post(SIGNUP_CODE, {"code": second}).status_code == 302


def test_no_more_than_five_codes_an_hour_go_to_one_number(clock, committing):
    for minute in range(5):
        clock.move_to(NOW + dt.timedelta(minutes=2 * minute))
        with committing():
            actions.resident_signup_start(destination=PHONE)
    clock.move_to(NOW + dt.timedelta(minutes=12))
    with pytest.raises(CodeLimitReached):
        actions.resident_signup_start(destination=PHONE)
    assert len(sms_to(PHONE)) == 5
    clock.move_to(NOW + dt.timedelta(minutes=61))
    with committing():
        actions.resident_signup_start(destination=PHONE)
    assert len(sms_to(PHONE)) == 6


def test_signing_up_with_a_number_that_has_an_account_warns_its_owner_and_changes_nothing(
    client, clock, make_resident, settings
):
    owner = make_resident()
    clock.move_to(NOW + dt.timedelta(minutes=5))
    response = start_signup(client, password="Another-password-77")
    assert response.status_code == 302 and response["Location"] == SIGNUP_CODE  # as usual
    notice = sms_to(PHONE)[-1]
    url = settings.SITE_URL + SIGNIN
    assert notice == "【一窗通办】" + gettext(EXISTS_NOTICE) % {"url": url}
    for guess in ("000000", "123456"):
        client.post(SIGNUP_CODE, {"code": guess})
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    assert get_user_model().objects.filter(username=PHONE).count() == 1


def test_someone_else_typing_my_number_cannot_set_my_password(
    client, clock, django_capture_on_commit_callbacks
):
    """The password belongs to the browser that enters the code, not to whoever typed last."""
    start_signup(client, password=PASSWORD)
    clock.move_to(NOW + dt.timedelta(seconds=61))
    intruder = CommittingClient(Client(), django_capture_on_commit_callbacks)
    start_signup(intruder, password="Intruder-password-1")
    # The real owner enters the latest code, which the intruder's request caused.
    assert client.post(SIGNUP_CODE, {"code": last_code()}).status_code == 302
    user = get_user_model().objects.get(username=PHONE)
    assert user.check_password(PASSWORD) and not user.check_password("Intruder-password-1")


# --- sign-in and sign-out ------------------------------------------------------------------------


def test_a_resident_signs_in_with_the_phone_number_and_out_again(client, make_resident):
    user = make_resident()
    response = client.post(SIGNIN, {"contact": PHONE, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == HOME
    assert signed_in_user(client) == user
    assert gettext("My account") in client.get("/zh-hans/").content.decode()

    response = client.post("/zh-hans/account/signout/")

    assert response.status_code == 302
    assert not signed_in_user(client).is_authenticated
    assert gettext("Sign in") in client.get("/zh-hans/").content.decode()


def test_sign_in_goes_back_to_the_page_asked_for_but_never_to_another_site(client, make_resident):
    make_resident()
    response = client.get("/zh-hans/book/mine/")
    assert response.status_code == 302 and response["Location"].startswith(SIGNIN)
    data = {"contact": PHONE, "password": PASSWORD, "next": "/zh-hans/book/mine/"}
    assert client.post(SIGNIN, data)["Location"] == "/zh-hans/book/mine/"
    client.post("/zh-hans/account/signout/")
    data["next"] = "https://evil.example/"
    assert client.post(SIGNIN, data)["Location"] == HOME


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, make_resident):
    make_resident()
    wrong = client.post(SIGNIN, {"contact": PHONE, "password": "not-it-at-all"})
    unknown = client.post(SIGNIN, {"contact": "13700000000", "password": PASSWORD})
    message = gettext("The mobile number or e-mail address, or the password, is wrong.")
    assert wrong.status_code == unknown.status_code == 400
    assert message in wrong.content.decode() and message in unknown.content.decode()
    assert not signed_in_user(client).is_authenticated


def test_repeated_failures_lock_the_sign_in_even_with_the_right_password(
    client, settings, make_resident
):
    make_resident()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(SIGNIN, {"contact": PHONE, "password": "not-it-at-all"})
    response = client.post(SIGNIN, {"contact": PHONE, "password": PASSWORD})
    assert response.status_code == 429
    assert not signed_in_user(client).is_authenticated


def test_a_staff_account_cannot_sign_in_on_the_resident_page(client):
    staff = get_user_model().objects.create_user(username=PHONE, password=PASSWORD, is_staff=True)
    response = client.post(SIGNIN, {"contact": PHONE, "password": PASSWORD})
    assert response.status_code == 400
    assert not signed_in_user(client).is_authenticated
    # Nor a role holder without is_staff, nor can they open the resident pages.
    staff.is_staff = False
    staff.save()
    StaffRole.objects.create(user=staff, role=Role.CLERK)
    assert client.post(SIGNIN, {"contact": PHONE, "password": PASSWORD}).status_code == 400
    client.force_login(staff)
    assert client.get(HOME).status_code == 403


def test_the_account_pages_ask_a_visitor_to_sign_in(client):
    for url in (HOME, "/zh-hans/account/delete/", "/zh-hans/book/mine/attach/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(SIGNIN + "?next=")


@pytest.mark.parametrize(
    "url",
    ["/zh-hans/admin/", "/zh-hans/admin/appointments/booking/", "/zh-hans/staff/", "/en/admin/"],
)
def test_a_resident_never_reaches_a_staff_page(client, url, make_resident):
    client.force_login(make_resident())
    response = client.get(url)
    # Sent to a sign-in page (the staff one asks for a second factor), refused, or not found.
    assert response.status_code in (302, 403, 404)
    if response.status_code == 302:
        target = urlsplit(response["Location"]).path
        assert target != url and re.search(r"sign-?in|login", target)
    assert signed_in_user(client).is_staff is False


# --- forgotten password --------------------------------------------------------------------------


def test_a_forgotten_password_is_replaced_with_a_code(client, clock, make_resident):
    user = make_resident()
    clock.move_to(NOW + dt.timedelta(minutes=1, seconds=1))  # the sign-up code was just sent
    response = client.post("/zh-hans/account/password/", {"contact": PHONE})
    assert response.status_code == 302
    new = "Bright-harbour-93"
    response = client.post(
        "/zh-hans/account/password/code/",
        {"code": last_code(), "password1": new, "password2": new},
    )
    assert response.status_code == 302 and response["Location"] == HOME
    user.refresh_from_db()
    assert user.check_password(new) and not user.check_password(PASSWORD)


def test_a_reset_for_an_unknown_number_looks_the_same_and_sends_nothing(client):
    response = client.post("/zh-hans/account/password/", {"contact": "13700000000"})
    assert response.status_code == 302
    assert response["Location"] == "/zh-hans/account/password/code/"
    assert Message.objects.count() == 0
    response = client.post(
        "/zh-hans/account/password/code/",
        {"code": "123456", "password1": "Bright-harbour-93", "password2": "Bright-harbour-93"},
    )
    assert response.status_code == 400


def test_a_reset_code_cannot_be_asked_again_within_the_minute(client, make_resident):
    make_resident()
    client.post("/zh-hans/account/password/", {"contact": PHONE})
    with pytest.raises(CodeTooSoon):
        actions.resident_reset_start(destination=PHONE)


# --- data export and deletion --------------------------------------------------------------------


def test_download_my_data_is_a_json_attachment_and_is_audited(client, make_resident):
    user = make_resident()
    client.force_login(user)
    assert client.get("/zh-hans/account/data/").status_code == 405  # a POST, never a prefetch

    response = client.post("/zh-hans/account/data/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["mobile_number"] == PHONE
    assert data["bookings"] == []
    entry = AuditEntry.objects.get(action="export")
    assert entry.actor == user and entry.object_type == "accounts.residentprofile"


def test_deleting_the_account_needs_the_password_and_then_the_resident_cannot_sign_in(
    client, make_resident
):
    user = make_resident()
    client.force_login(user)
    response = client.post("/zh-hans/account/delete/", {"password": "not-it-at-all"})
    assert response.status_code == 400
    assert gettext("This password is wrong.") in response.content.decode()
    assert get_user_model().objects.filter(pk=user.pk).exists()

    response = client.post("/zh-hans/account/delete/", {"password": PASSWORD})

    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=user.pk).exists()
    assert not ResidentProfile.objects.exists() and not VerificationCode.objects.exists()
    assert not signed_in_user(client).is_authenticated
    assert client.post(SIGNIN, {"contact": PHONE, "password": PASSWORD}).status_code == 400
    assert AuditEntry.objects.filter(action="delete", actor_username=PHONE).exists()


def test_the_number_of_a_deleted_account_can_sign_up_again(client, clock, make_resident):
    client.force_login(make_resident())
    client.post("/zh-hans/account/delete/", {"password": PASSWORD})
    clock.move_to(NOW + dt.timedelta(minutes=2))
    start_signup(client, password="Second-life-2026")
    assert client.post(SIGNUP_CODE, {"code": last_code()}).status_code == 302


def test_the_header_links_to_sign_in_and_to_my_account_in_english_too(client, make_resident):
    page = client.get("/en/").content.decode()
    assert 'href="/en/account/signin/"' in page
    client.force_login(make_resident())
    page = client.get("/en/").content.decode()
    assert 'href="/en/account/"' in page and "My account" in page
