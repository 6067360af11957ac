"""一件事: one online application for the online parts of a bundle of services.

The applicant block and every question the parts share are asked once, shared materials are
uploaded once; each part becomes its own request (its own form version, reviewed and decided by
its office on its own) under one bundle reference. Every rule is request_apply's: the merged form
is checked first, so a refusal names every problem at once and writes nothing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import audit_record
from accounts.models import AuditAction
from core.codes import random_code
from services.models import Bundle

from ..constants import CODE_ALPHABET
from ..definitions import answer_keys, merged
from ..models import BundleApplication, DocumentType, DocumentTypeVersion
from .apply import ApplicationInvalid, Uploads, application_check, request_apply, version_current

BUNDLE_PREFIX = "YJS"  # 一件事


def bundle_form(parts: list[DocumentType]) -> tuple[dict[int, DocumentTypeVersion], Any]:
    """Each part's current version, and the merged form (fields, materials) asked once."""
    versions = {part.pk: version_current(part) for part in parts}
    fields, materials = merged((v.fields, v.materials) for v in versions.values())
    return versions, SimpleNamespace(fields=fields, materials=materials, number=0)


def _reference_new() -> str:
    today = timezone.localdate()
    return f"{BUNDLE_PREFIX}-{today:%y%m}-{random_code(6, CODE_ALPHABET)}"


@transaction.atomic
def bundle_apply(
    *, bundle: Bundle, parts: list[DocumentType], office: Any, user: Any = None,
    api_client: str = "", language: str = "zh-hans", person: dict[str, Any],
    answers: dict[str, Any], uploads: Uploads = (),
) -> BundleApplication:
    """Apply once for every online part of the bundle; each part is submitted to its office:
    `office` is one office for every part, or a dict part code → office."""
    if not parts:
        raise ApplicationInvalid({"service": [_("This bundle has no part that can be done "
                                                "online.")]})
    uploads = list(uploads)
    versions, form = bundle_form(parts)
    errors: dict[str, list[str]] = {}
    chosen = office if isinstance(office, dict) else {p.code: office for p in parts}
    for part in parts:
        place = chosen.get(part.code)
        if place is None or not place.services.filter(pk=part.service_id).exists():
            key = "office" if not isinstance(office, dict) else f"office__{part.code}"
            errors[key] = [_("Choose an office that handles every part.")
                           if key == "office" else _("Choose an office for this part.")]
    try:
        application_check(version=form, person=dict(person), answers=answers, uploads=uploads)
    except ApplicationInvalid as invalid:
        errors.update(invalid.errors)
    if errors:
        raise ApplicationInvalid(errors)
    application = _create(bundle, user, api_client)
    for part in parts:
        version = versions[part.pk]
        keys = {k for f in version.fields for k in answer_keys(f)}
        kinds = {m["kind"] for m in version.materials}
        req = request_apply(
            doc_type=part, office=chosen[part.code], user=user, api_client=api_client,
            language=language,
            answers={k: v for k, v in answers.items() if k in keys},
            uploads=[(kind, checked) for kind, checked in uploads if kind in kinds],
            submit=True, **person,
        )
        type(req).objects.filter(pk=req.pk).update(bundle_application=application)
    return application


def _create(bundle: Bundle, user: Any, api_client: str) -> BundleApplication:
    for _attempt in range(5):
        reference = _reference_new()
        if not BundleApplication.objects.filter(reference=reference).exists():
            break
    application = BundleApplication.objects.create(
        reference=reference, bundle=bundle, user=user, api_client=api_client)
    audit_record(actor=user, action=AuditAction.CREATE, obj=application,
                 actor_username="" if user else f"api:{api_client}")
    return application
