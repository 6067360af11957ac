"""Staff sign-in: the second factor guards every staff and admin URL (found by walking the URL
conf, not listed by hand), enrolment, codes, backup codes, idle timeout, and lockout."""

import datetime as dt
import re

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import LocalePrefixPattern, RoutePattern
from django.utils import translation
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.middleware import guarded_prefixes
from accounts.tests.factories import PASSWORD, staff, totp_device, totp_now, verify_session

pytestmark = pytest.mark.django_db

SIGNIN = "/zh-hans/staff/sign-in/"
SAMPLES = {"int": "1", "str": "sample", "slug": "sample", "path": "1", "uuid": "0" * 8}
EXEMPT = {"staff:signin", "staff:verify", "staff:enrol", "staff:signout"}


# --- walking the URL conf ------------------------------------------------------------------------


def _sample(pattern) -> str:
    """A concrete piece of URL matching `pattern`: sample values for converters and groups."""
    if isinstance(pattern, LocalePrefixPattern):
        return pattern.language_prefix
    text = str(pattern)
    if isinstance(pattern, RoutePattern):
        return re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES.get(m.group(1) or "str", "1"), text)

    def group(match: re.Match) -> str:
        body = match.group(2)
        return body.split("|")[0] if re.fullmatch(r"[\w|-]+", body) else "1"

    text = re.sub(r"\(\?P<(\w+)>((?:[^()]|\([^()]*\))*)\)", group, text.lstrip("^").rstrip("$"))
    return text.replace("\\", "")


def _walk(resolver, prefix: str = "/"):
    for entry in resolver.url_patterns:
        piece = _sample(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry, prefix + piece)
        elif isinstance(entry, URLPattern):
            yield prefix + piece


def guarded_urls() -> list[str]:
    """Every URL of the staff and admin sections, in every language."""
    urls = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            urls |= {url for url in _walk(get_resolver()) if url.startswith(guarded_prefixes())}
    return sorted(urls)


def _name(url: str) -> str:
    language = url.split("/")[1]
    with translation.override(language):
        match = resolve(url)
    return f"{match.namespace}:{match.url_name}"


def test_the_walk_finds_the_staff_and_admin_pages_in_both_languages():
    urls = guarded_urls()
    for expected in (
        "/zh-hans/staff/",
        "/en/staff/sign-in/",
        "/zh-hans/admin/",
        "/en/admin/appointments/booking/1/change/",
        "/zh-hans/admin/accounts/staffrole/",
        "/en/admin/axes/accessattempt/",
        "/zh-hans/admin/login/",
    ):
        assert expected in urls
    assert len(urls) > 150
    assert {_name(url) for url in urls if url.startswith("/en/")} == {
        _name(url) for url in urls if url.startswith("/zh-hans/")
    }


@pytest.fixture
def password_only():
    """A staff member who gave the right password but no code yet."""
    client = Client()
    user = staff("manager", is_superuser=True)
    totp_device(user)
    client.force_login(user)
    return client


def test_a_password_only_session_is_sent_to_sign_in_from_every_staff_and_admin_url(password_only):
    checked = 0
    for url in guarded_urls():
        if _name(url) in EXEMPT:
            continue
        for method in (password_only.get, password_only.post):
            response = method(url)
            assert response.status_code == 302, (url, response.status_code)
            assert re.match(r"^/(zh-hans|en)/staff/sign-in/\?next=", response["Location"]), url
            checked += 1
    assert checked > 300


def test_an_anonymous_visitor_is_sent_to_sign_in_too(client):
    for url in guarded_urls():
        if _name(url) not in EXEMPT:
            response = client.get(url)
            assert response.status_code == 302 and "/staff/sign-in/" in response["Location"], url


def test_only_the_sign_in_steps_answer_before_the_second_factor():
    exempt = {
        _name(url)
        for url in guarded_urls()
        if getattr(resolve_func(url), "second_factor_exempt", False)
    }
    assert exempt == EXEMPT


def resolve_func(url: str):
    with translation.override(url.split("/")[1]):
        return resolve(url).func


def test_urls_that_do_not_exist_under_the_prefixes_are_guarded_too(password_only):
    for url in ("/zh-hans/staff/nothing-here/", "/en/admin/no/such/page/"):
        response = password_only.get(url)
        assert response.status_code == 302 and "/staff/sign-in/" in response["Location"]


def test_a_verified_session_reaches_the_staff_home_and_every_admin_list(verified_client):
    from django.contrib import admin

    user = staff("sysadmin", is_superuser=True)
    client = verified_client(user)
    assert client.get("/zh-hans/staff/").status_code == 200
    assert client.get("/en/admin/").status_code == 200
    for model in admin.site._registry:
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(url).status_code == 200, url


# --- the admin's own login page -----------------------------------------------------------------


def test_the_admin_login_page_shows_no_form_and_signs_nobody_in(client):
    user = staff("sysadmin", is_superuser=True)
    totp_device(user)
    page = client.get("/zh-hans/admin/login/?next=/zh-hans/admin/")
    assert page.status_code == 302 and page["Location"].startswith(SIGNIN)
    attempt = client.post(
        "/zh-hans/admin/login/", {"username": user.username, "password": PASSWORD}
    )
    assert attempt.status_code == 302 and attempt["Location"].startswith(SIGNIN)
    assert "_auth_user_id" not in client.session
    assert client.get("/zh-hans/admin/").status_code == 302


def test_without_the_middleware_the_admin_still_refuses_a_password_only_session(
    settings, password_only
):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "StaffSecondFactor" not in m]
    index = password_only.get("/zh-hans/admin/")
    assert index.status_code == 302 and "/admin/login/" in index["Location"]
    login = password_only.get(index["Location"])
    assert login.status_code == 302 and login["Location"].startswith(SIGNIN)
    changelist = password_only.get("/zh-hans/admin/accounts/user/")
    assert changelist.status_code == 302


# --- sign-in, enrolment, codes ------------------------------------------------------------------


def _sign_in(client, user, password=PASSWORD, path=SIGNIN, **extra):
    return client.post(path, {"username": user.username, "password": password}, **extra)


def test_first_sign_in_enrols_an_authenticator_and_shows_backup_codes_once(client):
    user = staff("clerk")
    response = _sign_in(client, user)
    assert (
        response.status_code == 302
        and response["Location"] == "/zh-hans/staff/sign-in/authenticator/"
    )
    page = client.get(response["Location"])
    html = page.content.decode()
    secret = re.search(r'data-secret="([A-Z2-7]+)"', html).group(1)
    assert "<svg" in html and 'class="qr"' in html
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert device.config_url.split("secret=")[1].startswith(secret)
    assert client.get("/zh-hans/staff/").status_code == 302  # not verified yet

    confirmed = client.post(response["Location"], {"otp": totp_now(device)})
    assert confirmed["Location"] == "/zh-hans/staff/sign-in/backup-codes/"
    codes_page = client.get(confirmed["Location"]).content.decode()
    codes = re.findall(r"<code>([a-z2-7]{8})</code>", codes_page)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert set(codes) == set(
        StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    )
    again = client.get(confirmed["Location"]).content.decode()
    assert not re.findall(r"<code>", again)
    assert client.get("/zh-hans/staff/").status_code == 200


def test_the_enrolment_page_is_closed_once_an_authenticator_is_set_up(client):
    user = staff("clerk")
    totp_device(user)
    _sign_in(client, user)
    response = client.get("/zh-hans/staff/sign-in/authenticator/")
    assert response.status_code == 302 and response["Location"] == "/zh-hans/staff/sign-in/code/"
    client.post("/zh-hans/staff/sign-in/authenticator/", {"otp": "123456"})
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_a_wrong_enrolment_code_is_refused(client):
    user = staff("clerk")
    _sign_in(client, user)
    client.get("/en/staff/sign-in/authenticator/")
    response = client.post("/en/staff/sign-in/authenticator/", {"otp": "000000"})
    assert response.status_code == 200
    assert "This code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_sign_in_with_a_code_from_the_app(client):
    user = staff("manager")
    device = totp_device(user)
    first = _sign_in(client, user)
    assert first["Location"] == "/zh-hans/staff/sign-in/code/"
    verified = client.post(first["Location"], {"otp": totp_now(device)})
    assert verified.status_code == 302 and verified["Location"] == "/zh-hans/staff/"
    home = client.get("/zh-hans/staff/").content.decode()
    assert user.username in home


def test_after_sign_in_the_page_asked_for_is_shown():
    client = Client()
    user = staff("manager")
    device = totp_device(user)
    asked = client.get("/en/admin/appointments/schedule/")
    assert asked["Location"] == "/en/staff/sign-in/?next=/en/admin/appointments/schedule/"
    code_step = client.post(
        asked["Location"],
        {
            "username": user.username,
            "password": PASSWORD,
            "next": "/en/admin/appointments/schedule/",
        },
    )
    assert code_step["Location"].startswith("/en/staff/sign-in/code/?next=")
    done = client.post(code_step["Location"], {"otp": totp_now(device)})
    assert done["Location"] == "/en/admin/appointments/schedule/"


def test_a_next_address_on_another_site_is_ignored(client):
    user = staff("manager")
    device = totp_device(user)
    client.post(SIGNIN, {"username": user.username, "password": PASSWORD})
    done = client.post(
        "/zh-hans/staff/sign-in/code/?next=https://evil.example/", {"otp": totp_now(device)}
    )
    assert done["Location"] == "/zh-hans/staff/"


def test_wrong_codes_slow_down_further_attempts():
    client = Client()
    user = staff("clerk")
    device = totp_device(user)
    with time_machine.travel(dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        _sign_in(client, user)
        for _ in range(3):  # each after the previous wait: 1 s, 2 s, then 4 s
            clock.shift(dt.timedelta(seconds=60))
            wrong = client.post("/en/staff/sign-in/code/", {"otp": "000000"})
            assert "This code is not right" in wrong.content.decode()
        blocked = client.post("/en/staff/sign-in/code/", {"otp": totp_now(device)})
        assert blocked.status_code == 200
        assert "Please wait 4 s and try again" in blocked.content.decode()
        clock.shift(dt.timedelta(seconds=10))
        passed = client.post("/en/staff/sign-in/code/", {"otp": totp_now(device)})
        assert passed.status_code == 302 and passed["Location"] == "/en/staff/"


def test_a_backup_code_signs_in_once(client):
    from accounts.actions import staff_backup_codes_replace

    user = staff("clerk")
    totp_device(user)
    code = staff_backup_codes_replace(user=user)[0]
    _sign_in(client, user)
    used = client.post("/zh-hans/staff/sign-in/code/", {"otp": code.upper()})
    assert used["Location"] == "/zh-hans/staff/"
    client.post("/zh-hans/staff/sign-out/")
    other = Client()
    _sign_in(other, user)
    again = other.post("/zh-hans/staff/sign-in/code/", {"otp": code})
    assert again.status_code == 200
    assert other.get("/zh-hans/staff/").status_code == 302


def test_residents_cannot_use_the_staff_sign_in(client):
    resident = staff(None)
    response = _sign_in(client, resident, path="/en/staff/sign-in/")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "This account has no staff access" in response.content.decode()


def test_sign_out_ends_the_session_and_needs_a_post(verified_client):
    client = verified_client(staff("clerk"))
    assert client.get("/zh-hans/staff/sign-out/").status_code == 405
    response = client.post("/zh-hans/staff/sign-out/")
    assert response["Location"] == SIGNIN
    assert client.get("/zh-hans/staff/").status_code == 302


def test_the_session_id_changes_when_the_second_factor_is_passed(client):
    user = staff("clerk")
    device = totp_device(user)
    _sign_in(client, user)
    before = client.session.session_key
    client.post("/zh-hans/staff/sign-in/code/", {"otp": totp_now(device)})
    assert client.session.session_key != before


# --- session lifetime ---------------------------------------------------------------------------


def test_staff_are_signed_out_after_15_idle_minutes(verified_client):
    start = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client = verified_client(staff("clerk"))
        assert client.get("/zh-hans/staff/").status_code == 200
        clock.shift(dt.timedelta(minutes=14))
        assert client.get("/zh-hans/staff/").status_code == 200  # activity restarts the clock
        clock.shift(dt.timedelta(minutes=14))
        assert client.get("/zh-hans/staff/").status_code == 200
        clock.shift(dt.timedelta(minutes=15, seconds=1))
        expired = client.get("/en/staff/", follow=True)
        assert expired.redirect_chain[0][0].startswith("/en/staff/sign-in/")
        assert "signed out after 15 minutes without activity" in expired.content.decode()
        assert "_auth_user_id" not in client.session


def test_the_idle_limit_is_a_setting(settings, verified_client):
    settings.STAFF_IDLE_MINUTES = 5
    with time_machine.travel(dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        client = verified_client(staff("clerk"))
        client.get("/en/staff/")
        clock.shift(dt.timedelta(minutes=6))
        assert client.get("/en/staff/").status_code == 302


def test_the_session_cookie_ends_with_the_browser(client):
    user = staff("clerk")
    response = _sign_in(client, user)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == "" and cookie["max-age"] == ""


# --- lockout ------------------------------------------------------------------------------------


def test_five_failures_lock_that_username_from_that_address_only(client):
    user = staff("clerk")
    totp_device(user)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(client, user, "wrong", REMOTE_ADDR="10.0.0.1").status_code == 200
    locked = _sign_in(client, user, "wrong", path="/en/staff/sign-in/", REMOTE_ADDR="10.0.0.1")
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "After 5 failed sign-ins" in text and "try again in 30 minutes" in text
    # Even the right password is refused now, from that address.
    assert _sign_in(Client(), user, REMOTE_ADDR="10.0.0.1").status_code == 429
    # The same person from elsewhere, and a colleague from the same address, still get in.
    assert _sign_in(Client(), user, REMOTE_ADDR="10.0.0.2").status_code == 302
    colleague = staff("clerk")
    assert _sign_in(Client(), colleague, REMOTE_ADDR="10.0.0.1").status_code == 302


def test_the_lock_ends_after_30_minutes(client):
    user = staff("clerk")
    with time_machine.travel(dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _sign_in(client, user, "wrong", REMOTE_ADDR="10.0.0.1")
        clock.shift(dt.timedelta(minutes=29))
        assert _sign_in(Client(), user, REMOTE_ADDR="10.0.0.1").status_code == 429
        clock.shift(dt.timedelta(minutes=2))
        assert _sign_in(Client(), user, REMOTE_ADDR="10.0.0.1").status_code == 302


def test_behind_a_proxy_the_client_address_counts_not_the_proxy(settings):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    user = staff("clerk")
    proxy = {"REMOTE_ADDR": "192.168.0.1"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(Client(), user, "wrong", HTTP_X_FORWARDED_FOR="10.1.1.1", **proxy)
    assert _sign_in(Client(), user, HTTP_X_FORWARDED_FOR="10.1.1.1", **proxy).status_code == 429
    assert _sign_in(Client(), user, HTTP_X_FORWARDED_FOR="10.1.1.2", **proxy).status_code == 302
    # A forged address in front of the real one changes nothing: the proxy appends the real one.
    forged = _sign_in(Client(), user, HTTP_X_FORWARDED_FOR="6.6.6.6, 10.1.1.1", **proxy)
    assert forged.status_code == 429


def test_a_system_administrator_sees_and_lifts_the_lock(verified_client):
    user = staff("clerk")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(Client(), user, "wrong", REMOTE_ADDR="10.0.0.1")
    assert _sign_in(Client(), user, REMOTE_ADDR="10.0.0.1").status_code == 429

    admin = verified_client(staff("sysadmin"))
    listing = admin.get("/zh-hans/admin/axes/accessattempt/")
    assert listing.status_code == 200 and user.username in listing.content.decode()
    attempt = AccessAttempt.objects.get(username=user.username)
    delete_url = f"/zh-hans/admin/axes/accessattempt/{attempt.pk}/delete/"
    assert admin.post(delete_url, {"post": "yes"}).status_code == 302
    assert _sign_in(Client(), user, REMOTE_ADDR="10.0.0.1").status_code == 302


def test_an_auditor_sees_the_locks_but_cannot_lift_them(verified_client):
    user = staff("clerk")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(Client(), user, "wrong", REMOTE_ADDR="10.0.0.1")
    attempt = AccessAttempt.objects.get(username=user.username)
    auditor = verified_client(staff("auditor"))
    assert auditor.get("/zh-hans/admin/axes/accessattempt/").status_code == 200
    delete_url = f"/zh-hans/admin/axes/accessattempt/{attempt.pk}/delete/"
    assert auditor.post(delete_url, {"post": "yes"}).status_code == 403
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_verify_session_helper_is_what_the_sign_in_leaves(client):
    """The fixture other tests rely on must match a real sign-in, or they prove nothing."""
    user = staff("clerk")
    device = totp_device(user)
    _sign_in(client, user)
    client.post("/zh-hans/staff/sign-in/code/", {"otp": totp_now(device)})
    helper = verify_session(Client(), user)
    keys = {"_auth_user_id", "otp_device_id"}
    assert {k: client.session[k] for k in keys} == {k: helper.session[k] for k in keys}


# --- demo staff ---------------------------------------------------------------------------------


def _code_from_secret(secret: str) -> str:
    import base64

    from django_otp.oath import totp

    return f"{totp(base64.b32decode(secret)):06d}"


def test_each_demo_account_signs_in_with_the_published_password_and_secret(seeded):
    from accounts.demo import DEMO_PASSWORD, DEMO_STAFF
    from accounts.models import Role

    for username, role, office_code, secret, *_names in DEMO_STAFF:
        client = Client()
        signed = client.post(SIGNIN, {"username": username, "password": DEMO_PASSWORD})
        assert signed["Location"] == "/zh-hans/staff/sign-in/code/", username
        verified = client.post(signed["Location"], {"otp": _code_from_secret(secret)})
        assert verified["Location"] == "/zh-hans/staff/", username
        home = client.get("/en/staff/").content.decode()
        assert str(Role(role).label) in home
        assert (office_code is None) == ("All offices" in home)


def test_the_readme_and_the_seed_output_show_the_demo_staff_table():
    import io
    from pathlib import Path

    from django.core.management import call_command

    from accounts.demo import DEMO_PASSWORD, DEMO_STAFF

    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    for username, role, office_code, secret, *_names in DEMO_STAFF:
        where = office_code or "all offices"
        assert f"| `{username}` | {role} | {where} | `{DEMO_PASSWORD}` | `{secret}` |" in readme
        assert re.search(
            rf"{username}\s+{role}\s+{office_code or 'all offices'}\s+"
            rf"{DEMO_PASSWORD}\s+{secret}",
            out.getvalue(),
        )


def test_background_polls_do_not_keep_an_idle_console_signed_in(verified_client, settings):
    """A console left open refreshes itself every 2 s; that must not count as activity."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("idle-poller", is_staff=True)
    client = verified_client(user)
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        assert client.get("/zh-hans/staff/").status_code == 200
        for _ in range(20):
            clock.shift(60)
            client.get("/zh-hans/staff/", HTTP_X_ONEWINDOW_POLL="1", HTTP_HX_REQUEST="true")
        response = client.get("/zh-hans/staff/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("staff:signin")
