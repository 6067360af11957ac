"""A new staff member signs in for the first time: password, then sets up an authenticator app by
reading the key off the page (as one would type it into the app), confirms with a code computed
from it, is shown the backup codes once, reaches the staff home, signs out and signs in again
with a fresh code. A demo manager then signs in with the published demo secret.

Locators use ids and URLs rather than texts, so the test holds before and after translation.
`pytest --screenshots` also refreshes docs/screenshots/staff-*.png."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e.otp import code_for, next_code

pytestmark = pytest.mark.e2e
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PASSWORD = "a long staff passphrase"


def fits_the_screen(page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def submit(page) -> None:
    page.locator("main form.form-stack button[type=submit]").click()


def test_enrol_sign_out_and_sign_in_again(request, site, page, time_machine):
    from accounts.actions import staff_member_create, staff_role_grant
    from services.models import Office

    refresh = request.config.getoption("--screenshots")

    def shot(name: str) -> None:
        fits_the_screen(page)
        if refresh:
            OUT.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=OUT / f"staff-{name}-{page.form_factor}.png", full_page=True)

    office = Office.objects.get(code="fr-dingwangtai")
    username = f"newclerk-{page.form_factor}"
    user = staff_member_create(username=username, password=PASSWORD, first_name="New clerk")
    staff_role_grant(user=user, role="clerk", office=office)

    page.goto(site + "/zh-hans/staff/")
    expect(page).to_have_url(re.compile(r"/zh-hans/staff/sign-in/\?next=/zh-hans/staff/$"))
    shot("signin")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    submit(page)

    expect(page).to_have_url(re.compile(r"/zh-hans/staff/sign-in/authenticator/"))
    expect(page.locator("main svg.qr")).to_be_visible()
    secret = page.locator("#totp-secret").get_attribute("data-secret")
    shown = page.locator("#totp-secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret) and re.sub(r"\s", "", shown) == secret
    shot("enrol")
    code, used = code_for(secret)
    page.locator("#id_otp").fill(code)
    submit(page)

    expect(page).to_have_url(re.compile(r"/zh-hans/staff/sign-in/backup-codes/"))
    codes = page.locator("ol.backup-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-7]{8}", c) for c in codes)
    shot("backup-codes")
    page.locator("main a.button-primary").click()

    expect(page).to_have_url(re.compile(r"/zh-hans/staff/$"))
    expect(page.locator("ul.role-list li")).to_have_count(1)
    expect(page.locator("ul.role-list")).to_contain_text(office.name_zh)
    expect(page.locator("main a[href='/zh-hans/admin/appointments/booking/']")).to_be_visible()
    shot("home")

    page.locator(".staff-bar form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/zh-hans/staff/sign-in/$"))
    page.goto(site + "/zh-hans/staff/sign-in/authenticator/")  # not reachable when signed out
    expect(page).to_have_url(re.compile(r"/zh-hans/staff/sign-in/$"))

    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    submit(page)
    expect(page).to_have_url(re.compile(r"/zh-hans/staff/sign-in/code/"))
    expect(page.locator("#totp-secret")).to_have_count(0)  # the key is never shown again
    shot("code")
    # The code used at enrolment cannot be used twice: the app's next code is a fresh one.
    page.locator("#id_otp").fill(next_code(secret, after=used, clock=time_machine))
    submit(page)
    expect(page).to_have_url(re.compile(r"/zh-hans/staff/$"))
    expect(page.locator("ul.role-list")).to_contain_text(office.name_zh)


def test_a_demo_manager_signs_in_with_the_published_secret(site, page):
    from accounts.demo import DEMO_PASSWORD, DEMO_STAFF

    username, _role, office_code, secret, *_ = next(s for s in DEMO_STAFF if s[1] == "manager")
    page.goto(site + "/en/admin/appointments/schedule/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    submit(page)
    page.locator("#id_otp").fill(code_for(secret)[0])
    submit(page)
    expect(page).to_have_url(re.compile(r"/en/admin/appointments/schedule/$"))
    rows = page.locator("#result_list tbody tr")
    expect(rows.first).to_be_visible()
    # The schedules of the manager's office (its business lines and its 一件事 visits), and
    # no other office's.
    from appointments.models import Schedule

    own = Schedule.objects.filter(office__code=office_code)
    assert own.count() < Schedule.objects.count()
    assert rows.count() == own.count()
    listed = set(rows.locator("th.field-name").all_inner_texts())
    assert listed and listed <= set(own.values_list("name", flat=True))
