"""Applying for a configured online service: every rule of an application in one place.

The resident's page and the API parse their input (forms, serializers) and call `request_apply`;
it checks the applicant, the answers against the service's published form version (its JSON
Schema, documents/definitions.py), the materials against their kinds, counts, formats and sizes,
and the office; then it writes the draft, stores the files and, for the API, submits. A refusal
is one `ApplicationInvalid` carrying field → messages, nothing written."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.actions import audit_record
from accounts.models import AuditAction
from core.crypto import encrypt_text
from core.errors import DomainError
from core.idnumbers import mask_id_number, validate_id_number
from core.uploads import CheckedUpload

from ..constants import Purpose
from ..definitions import (
    MATERIAL_FORMATS,
    answer_keys,
    answers_errors,
    definition_errors,
    localized,
    normalized,
)
from ..models import DocumentRequest, DocumentType, DocumentTypeVersion
from .requests import (
    _check_office,
    material_add,
    request_draft_create,
    request_draft_update,
    request_submit,
)

MOBILE = re.compile(r"^1\d{10}$")
Uploads = Sequence[tuple[str, CheckedUpload]]


class ApplicationInvalid(DomainError):
    """The application breaks rules of its service: `errors` maps a field (or a material kind,
    or "materials", or "office") to translated messages."""

    code = "invalid"
    message = gettext_lazy("Please correct the marked fields.")

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__()
        self.errors = errors


class DefinitionInvalid(DomainError):
    code = "definition_invalid"
    message = gettext_lazy("The form definition is not valid: %(problems)s")


# --- versions -------------------------------------------------------------------------------------


@transaction.atomic
def doc_type_publish(*, doc_type: DocumentType, actor: Any = None) -> DocumentTypeVersion:
    """Freeze the document type's current form as a new version (the same version again when
    nothing changed). Requests made before keep the version they were made with."""
    problems = definition_errors(doc_type.fields, doc_type.materials)
    if problems:
        raise DefinitionInvalid(problems=" ".join(problems))
    locked = DocumentType.objects.select_for_update().get(pk=doc_type.pk)
    latest = locked.versions.order_by("-number").first()
    if latest and latest.fields == doc_type.fields and latest.materials == doc_type.materials:
        return latest
    number = (latest.number if latest else 0) + 1
    version = DocumentTypeVersion.objects.create(
        doc_type=locked, number=number, fields=doc_type.fields, materials=doc_type.materials,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    DocumentType.objects.filter(pk=locked.pk).update(version=number)
    doc_type.version = number
    audit_record(actor=actor if getattr(actor, "pk", None) else None, action=AuditAction.CHANGE,
                 obj=locked, details={"published_version": number},
                 actor_username="" if getattr(actor, "pk", None) else "system")
    return version


def version_current(doc_type: DocumentType) -> DocumentTypeVersion:
    """The version residents answer now (published on first use of a type never published)."""
    latest = doc_type.versions.order_by("-number").first()
    return latest or doc_type_publish(doc_type=doc_type)


# --- the rules ------------------------------------------------------------------------------------


def _applicant_errors(person: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not person["applicant_name"].strip():
        errors["applicant_name"] = [_("Please enter your full name.")]
    for key, needed in (("applicant_id", True), ("holder_id", person["on_behalf"])):
        if not needed:
            continue
        if not person[key]:
            errors[key] = [_("Please enter the ID number.")]
            continue
        try:
            person[key] = validate_id_number(person[key])
        except ValidationError as error:
            errors[key] = list(error.messages)
    if person["on_behalf"] and not person["holder_name"].strip():
        errors["holder_name"] = [_("Please enter the name of the person concerned.")]
    if not MOBILE.match(person["phone"]):
        errors["phone"] = [_("A mobile number has 11 digits and starts with 1.")]
    if person["email"]:
        try:
            validate_email(person["email"])
        except ValidationError:
            errors["email"] = [_("Enter a valid e-mail address.")]
    return errors


def _material_errors(
    materials: list[dict], uploads: Uploads, have: dict[str, int], on_behalf: bool
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    by_kind = {m["kind"]: m for m in materials}
    counts = dict(have)
    for kind, checked in uploads:
        spec = by_kind.get(kind)
        if spec is None:
            errors.setdefault("materials", []).append(
                _("“%(kind)s” is not a material of this service.") % {"kind": kind[:30]})
            continue
        if checked.kind not in spec.get("formats", MATERIAL_FORMATS):
            errors[kind] = [_("This file must be one of: %(formats)s.")
                            % {"formats": ", ".join(spec["formats"]).upper()}]
        elif len(checked.content) > spec.get("max_mb", 5) * 1024 * 1024:
            errors[kind] = [_("The file is too large: at most %(size)s MB.")
                            % {"size": spec.get("max_mb", 5)}]
        limit = spec.get("max_files", 1)
        counts[kind] = 1 if limit == 1 else counts.get(kind, 0) + 1
        if counts[kind] > limit:
            errors[kind] = [_("At most %(n)s files of this kind.") % {"n": limit}]
    for spec in materials:
        needed = spec.get("required", "always")
        if (needed == "always" or (needed == "on_behalf" and on_behalf)) and (
            not counts.get(spec["kind"]) and spec["kind"] not in errors
        ):
            errors[spec["kind"]] = [_("Please upload this file.")]
    return errors


def materials_missing_labels(req: DocumentRequest) -> list[str]:
    """The labels of the required materials the request still lacks (its own form version)."""
    version = req.form_version
    if version is None:
        return []
    have = set(req.materials.values_list("kind", flat=True))
    return [localized(spec, "label") for spec in version.materials
            if spec["kind"] not in have and (spec.get("required", "always") == "always" or (
                spec.get("required") == "on_behalf" and req.on_behalf))]


def _legacy_columns(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers the certificate prints, copied to the request's own columns."""
    purpose = answers.get("purpose", "")
    period_from, period_to = answers.get("period_from"), answers.get("period_to")
    return {
        "purpose": purpose if purpose in Purpose.values else "",
        "purpose_other": str(answers.get("purpose_other", "")),
        "receiving_org": str(answers.get("receiving_org", "")),
        "period_from": dt.date.fromisoformat(period_from) if period_from else None,
        "period_to": dt.date.fromisoformat(period_to) if period_to else None,
    }


def _private_answers(fields: list[dict], answers: dict[str, Any]) -> tuple[dict, str]:
    """ID numbers in the answers: masked in the readable copy, whole only encrypted."""
    secret = {f["key"]: answers[f["key"]] for f in fields
              if f["type"] == "id_number" and f["key"] in answers}
    shown = {k: (mask_id_number(v) if k in secret else v) for k, v in answers.items()}
    return shown, encrypt_text(json.dumps(secret)) if secret else ""


# --- the action -----------------------------------------------------------------------------------


def application_check(
    *, version: DocumentTypeVersion, person: dict[str, Any], answers: dict[str, Any],
    uploads: Uploads, have: dict[str, int] | None = None,
) -> dict[str, Any]:
    """The normalized answers, or ApplicationInvalid with every problem found at once."""
    errors = _applicant_errors(person)
    clean = normalized(version.fields, answers)
    holder = person["holder_id"] if person["on_behalf"] else person["applicant_id"]
    holder = holder if "holder_id" not in errors and "applicant_id" not in errors else ""
    for key, message in answers_errors(version.fields, clean, holder_id=holder).items():
        errors.setdefault(key or "answers", []).append(message)
    errors.update(_material_errors(version.materials, uploads, have or {}, person["on_behalf"]))
    if errors:
        raise ApplicationInvalid(errors)
    return clean


def application_validate(
    *, doc_type: DocumentType, office: Any, person: dict[str, Any], answers: dict[str, Any],
    uploads: Uploads = (), draft: DocumentRequest | None = None,
) -> tuple[DocumentTypeVersion, dict[str, Any], dict[str, Any]]:
    """Every rule of an application, writing nothing: (the form version, the normalized
    answers, the applicant block normalized) or ApplicationInvalid. A page may call it before
    spending a one-time token; request_apply calls it again inside its transaction."""
    version = draft.form_version if draft is not None and draft.form_version else (
        version_current(doc_type))
    if office is None:
        raise ApplicationInvalid({"office": [_("Choose an office.")]})
    try:
        _check_office(doc_type, office)
    except DomainError as refusal:
        raise ApplicationInvalid({"office": [str(refusal)]}) from None
    person = {**person, "applicant_id": person["applicant_id"].strip().upper(),
              "holder_id": person.get("holder_id", "").strip().upper(),
              "phone": person["phone"].strip(), "email": person.get("email", "").strip(),
              "holder_name": person.get("holder_name", ""),
              "on_behalf": bool(person.get("on_behalf"))}
    have: dict[str, int] = {}
    if draft is not None:
        for kind in draft.materials.values_list("kind", flat=True):
            have[kind] = have.get(kind, 0) + 1
    clean = application_check(version=version, person=person, answers=answers,
                              uploads=list(uploads), have=have)
    return version, clean, person


@transaction.atomic
def request_apply(
    *, doc_type: DocumentType, office: Any, user: Any = None, api_client: str = "",
    language: str = "zh-hans", applicant_name: str, applicant_id: str, phone: str,
    email: str = "", on_behalf: bool = False, holder_name: str = "", holder_id: str = "",
    answers: dict[str, Any], uploads: Uploads = (), draft: DocumentRequest | None = None,
    submit: bool = False,
) -> DocumentRequest:
    """Check and save an application (a new draft, or the resident's draft changed), store its
    files, and submit it when asked (the API's single call). Nothing is written on a refusal."""
    uploads = list(uploads)
    person = {"applicant_name": applicant_name, "applicant_id": applicant_id, "phone": phone,
              "email": email, "on_behalf": on_behalf, "holder_name": holder_name,
              "holder_id": holder_id}
    version, clean, person = application_validate(
        doc_type=doc_type, office=office, person=person, answers=answers, uploads=uploads,
        draft=draft)
    shown, secret = _private_answers(version.fields, clean)
    values = {**person, **_legacy_columns(clean)}
    if draft is None:
        req = request_draft_create(doc_type=doc_type, office=office, user=user,
                                   api_client=api_client, language=language, **values)
    else:
        req = request_draft_update(request=draft, actor=user, office=office, **values)
    DocumentRequest.objects.filter(pk=req.pk).update(
        form_version=version, answers=shown, answers_enc=secret)
    req.form_version, req.answers, req.answers_enc = version, shown, secret
    for kind, checked in uploads:
        material_add(request=req, actor=user, kind=kind, checked=checked)
    if submit:
        req = request_submit(request=req, actor=user)
    return req


def answer_keys_of(version: DocumentTypeVersion) -> list[str]:
    return [key for f in version.fields for key in answer_keys(f)]
