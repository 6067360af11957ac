"""Issue 19: an office manager builds a new online service in the admin, without code (the dog
registration of the demo catalogue), previews it, and a resident applies for it end to end: the
reviewer approves, the certificate is issued and a third party verifies it at /verify/."""

import json
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e.otp import code_for
from e2e.test_documents import _approve_as_reviewer, _code_and_link, _png, _submit

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("E2E_SHOTS_DIR")
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"

SERVICE = "za-dog-registration"  # in the demo catalogue, offered at the demo office
FIELDS = [
    {"key": "breed", "type": "text", "label_zh": "犬只品种", "label_en": "Breed",
     "help_zh": "如：柯基", "help_en": "E.g. corgi", "required": True, "max_length": 40},
    {"key": "size", "type": "choice", "label_zh": "体型", "label_en": "Size", "required": True,
     "choices": [{"value": "small", "label_zh": "小型犬", "label_en": "Small"},
                 {"value": "large", "label_zh": "大型犬", "label_en": "Large"}]},
    {"key": "fence", "type": "yes_no", "label_zh": "有封闭院落", "label_en": "Fenced yard",
     "required": True, "show_if": {"key": "size", "equals": "large"}},
]
MATERIALS = [
    {"kind": "vaccine", "label_zh": "犬只免疫证明", "label_en": "Vaccination certificate",
     "required": "always", "max_files": 1, "formats": ["pdf", "jpeg", "png"], "max_mb": 5},
]


def _shot(page, name: str, refresh: bool) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)
    if refresh:
        page.screenshot(path=OUT / f"{name}.png", full_page=True)


def _define_as_manager(page, site: str, refresh: bool) -> None:
    from accounts.demo import DEMO_PASSWORD, DEMO_STAFF

    username, _role, _office, secret, *_ = next(s for s in DEMO_STAFF if s[1] == "manager")
    page.goto(site + "/zh-hans/admin/documents/documenttype/add/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    _submit(page)
    page.locator("#id_otp").fill(code_for(secret)[0])
    _submit(page)
    expect(page).to_have_url(re.compile(r"/admin/documents/documenttype/add/$"))
    page.locator("#id_code").fill("dog-registration")
    from services.models import Service

    page.locator("#id_service").select_option(str(Service.objects.get(code=SERVICE).pk))
    page.locator("#id_name_zh").fill("养犬登记证")
    page.locator("#id_name_en").fill("Dog registration")
    page.locator("#id_fields").fill(json.dumps(FIELDS, ensure_ascii=False))
    page.locator("#id_materials").fill(json.dumps(MATERIALS, ensure_ascii=False))
    page.locator("#id_number_prefix").fill("YQ")
    page.locator("#id_statement_zh").fill("准予养犬登记。")
    page.locator("#id_statement_en").fill("The dog is registered.")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_contain_text("1")
    row = page.locator("#result_list tr", has_text="dog-registration")
    row.get_by_role("link", name="预览表单").click()
    expect(page.locator("main")).to_contain_text("犬只品种")
    expect(page.locator("main button[type=submit]")).to_be_disabled()
    _shot(page, "online-service-preview", refresh)


def _apply_as_resident(page, site: str, tmp_path: Path, refresh: bool) -> str:
    from accounts.demo import DEMO_OFFICE
    from core.tests.factories import id_number
    from documents.demo import DEMO_RESIDENT_PASSWORD, DEMO_RESIDENT_PHONE

    page.goto(site + "/zh-hans/account/signin/")
    page.locator("#id_contact").fill(DEMO_RESIDENT_PHONE)
    page.locator("#id_password").fill(DEMO_RESIDENT_PASSWORD)
    _submit(page)
    page.goto(site + "/zh-hans/documents/apply/dog-registration/")
    fence = page.locator("[data-show-key=size]")
    expect(fence).to_be_hidden()  # asked only for a large dog
    page.locator("#id_office").select_option(DEMO_OFFICE)
    page.locator("#id_applicant_name").fill("张小三")
    page.locator("#id_applicant_id").fill(id_number(733))
    page.locator("#id_phone").fill("13800000001")
    page.locator("#id_breed").fill("柯基")
    page.locator("input[name=size][value=large]").check()
    expect(fence).to_be_visible()
    page.locator("#id_vaccine").set_input_files(str(_png(tmp_path / "vaccine.png")))
    _submit(page)  # the fence question forgotten: refused, linked from the summary
    expect(page.locator("#form-errors a[href='#id_fence']")).to_be_visible()
    _shot(page, "online-service-apply-refused", refresh)
    page.locator("input[name=fence][value=true]").check()
    _submit(page)
    expect(page).to_have_url(re.compile(r"/zh-hans/documents/r/[^/]+/review/$"))
    expect(page.locator("main")).to_contain_text("柯基")
    reference = page.url.rstrip("/").split("/")[-2]
    _submit(page)
    expect(page).to_have_url(re.compile(rf"/zh-hans/documents/r/{reference}/$"))
    return reference


def test_a_manager_defines_a_service_and_a_resident_gets_a_verified_certificate(
    request, site, browser, tmp_path, settings, time_machine
):
    from documents.models import Certificate

    settings.SITE_URL = site
    refresh = request.config.getoption("--screenshots")
    contexts = [browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
                for _ in range(3)]
    for context in contexts:
        context.set_default_timeout(20_000)
    manager, resident, reviewer = (context.new_page() for context in contexts)
    try:
        _define_as_manager(manager, site, refresh)
        reference = _apply_as_resident(resident, site, tmp_path, refresh)
        _approve_as_reviewer(reviewer, site, reference, time_machine)
        resident.reload()
        certificate = Certificate.objects.get(request__reference=reference)
        with resident.expect_download() as download_info:
            resident.locator(f"a[href$='/documents/r/{reference}/certificate.pdf']").first.click()
        pdf = Path(download_info.value.path()).read_bytes()
        code, link = _code_and_link(pdf)
        assert certificate.number.startswith("YQ-")
        verifier = contexts[0].new_page()
        verifier.goto(link)
        expect(verifier.locator(".verdict-title")).to_have_attribute("data-status", "valid")
        verifier.goto(site + "/en/verify/")
        verifier.locator("#id_number").fill(certificate.number)
        verifier.locator("#id_code").fill(code)
        verifier.keyboard.press("Enter")
        expect(verifier.locator(".verdict-title")).to_have_attribute("data-status", "valid")
    finally:
        for context in contexts:
            context.close()


def test_a_bundle_is_found_in_the_catalogue_and_applied_for_once(request, site, browser,
                                                                 tmp_path):
    """求职就业证明一件事: three online certificates in one application; each part then has its
    own status on one page."""
    from core.tests.factories import id_number
    from documents.demo import DEMO_RESIDENT_PASSWORD, DEMO_RESIDENT_PHONE
    from documents.models import BundleApplication

    refresh = request.config.getoption("--screenshots")
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        page.goto(site + "/zh-hans/services/")
        bundles = page.locator("section.bundles")
        expect(bundles).to_contain_text("求职就业证明一件事")
        expect(bundles).to_contain_text("新生儿出生一件事")
        _shot(page, "bundle-1-catalogue", refresh)
        bundles.get_by_role("link", name="求职就业证明一件事").click()
        expect(page.locator("h1")).to_contain_text("求职就业证明一件事")
        _shot(page, "bundle-2-page", refresh)
        page.goto(site + "/zh-hans/account/signin/")
        page.locator("#id_contact").fill(DEMO_RESIDENT_PHONE)
        page.locator("#id_password").fill(DEMO_RESIDENT_PASSWORD)
        _submit(page)
        page.goto(site + "/zh-hans/documents/bundle/job-certificates/apply/")
        expect(page.locator("input[name=receiving_org]")).to_have_count(1)  # asked once
        # Only the service centres handle all three (the traffic police part is not at stations).
        page.locator("#id_office").select_option("city-citizen-centre")
        page.locator("#id_applicant_name").fill("张小三")
        page.locator("#id_applicant_id").fill(id_number(733))
        page.locator("#id_phone").fill("13800000001")
        page.locator("input[name=purpose][value=employment]").check()
        page.locator("#id_receiving_org").fill("星城科技有限公司")
        page.locator("#id_period_from").fill("2022-01-01")
        page.locator("#id_period_to").fill("2026-01-01")
        page.locator("input[name=kind][value=former_name]").check()
        page.locator("#id_licence_number").fill("430100123456")
        for kind in ("id_front", "id_back", "booklet", "licence"):
            page.locator(f"#id_{kind}").set_input_files(str(_png(tmp_path / f"{kind}.png")))
        _shot(page, "bundle-3-apply", refresh)
        _submit(page)
        expect(page).to_have_url(re.compile(r"/zh-hans/documents/b/[^/]+/$"))
        expect(page.locator("table.bundle-parts tbody tr")).to_have_count(3)
        _shot(page, "bundle-4-status", refresh)
        assert BundleApplication.objects.get().parts.count() == 3
    finally:
        context.close()
