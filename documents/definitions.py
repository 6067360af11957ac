"""Online services defined by configuration: a form (typed fields) and the materials to upload.

A definition is plain data (lists of dicts, stored as JSON on DocumentType and frozen in each
DocumentTypeVersion), shaped like Open Forms' form.io components: every field has a `key`, a
`type`, zh/en labels and help, `required`, and an optional `show_if` ({"key": …, "equals": …}).
Answers are flat: a date range `period` is answered as `period_from` and `period_to`.

The JSON Schema made here is what the API publishes and what `request_apply` validates with
(the `jsonschema` library), so the published form and the rule that checks it cannot drift; the
few checks JSON Schema cannot express (a period's length, not before the holder's birth) follow
it in `answers_errors`."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, FormatChecker

from core.idnumbers import validate_id_number

from .periods import range_errors

FIELD_TYPES = {
    "text": gettext_lazy("Text"),
    "date": gettext_lazy("Date"),
    "date_range": gettext_lazy("Date range"),
    "choice": gettext_lazy("Choice"),
    "id_number": gettext_lazy("ID number"),
    "mobile": gettext_lazy("Mobile number"),
    "address": gettext_lazy("Address"),
    "yes_no": gettext_lazy("Yes / no"),
    "number": gettext_lazy("Number"),
}
MATERIAL_FORMATS = ("pdf", "jpeg", "png")
MATERIAL_REQUIRED = ("always", "on_behalf", "optional")
# The applicant block every service asks (and a bundle asks once); configured keys avoid them.
COMMON_KEYS = frozenset({
    "office", "applicant_name", "applicant_id", "applicant_id_number", "phone", "email",
    "on_behalf", "holder_name", "holder_id", "holder_id_number", "materials", "service",
    "document_type", "language", "token", "pending",
})
KEY = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
MOBILE = re.compile(r"^1\d{10}$")
MAX_FIELDS = 40
MAX_MATERIALS = 12

format_checker = FormatChecker()


@format_checker.checks("cn-id-number", raises=ValidationError)
def _is_id_number(value: object) -> bool:
    return not isinstance(value, str) or bool(validate_id_number(value))


@format_checker.checks("cn-mobile")
def _is_mobile(value: object) -> bool:
    return not isinstance(value, str) or bool(MOBILE.match(value))


@format_checker.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    return not isinstance(value, str) or bool(dt.date.fromisoformat(value))


def localized(item: dict, name: str) -> str:
    """item["label_zh"] on a Chinese page, item["label_en"] otherwise (the other as fallback)."""
    zh = (get_language() or "zh-hans").startswith("zh")
    first, second = (f"{name}_zh", f"{name}_en") if zh else (f"{name}_en", f"{name}_zh")
    return str(item.get(first) or item.get(second) or "")


def answer_keys(field: dict) -> list[str]:
    if field["type"] == "date_range":
        return [f"{field['key']}_from", f"{field['key']}_to"]
    return [field["key"]]


def visible(field: dict, answers: dict) -> bool:
    rule = field.get("show_if")
    if not rule:
        return True
    return answers.get(rule["key"]) == rule.get("equals")


# --- checking a definition (the admin's "save") ---------------------------------------------------


def definition_errors(fields: Any, materials: Any) -> list[str]:
    """What is wrong with a definition, in words an office manager understands; empty if fine."""
    if not isinstance(fields, list) or not isinstance(materials, list):
        return [_("The fields and the materials must each be a list.")]
    errors: list[str] = []
    if len(fields) > MAX_FIELDS or len(materials) > MAX_MATERIALS:
        errors.append(_("Too many fields or materials."))
    seen: set[str] = set()
    for field in fields:
        errors.extend(_field_errors(field, seen))
    kinds: set[str] = set()
    for material in materials:
        errors.extend(_material_errors(material, kinds))
    for field in fields:
        rule = field.get("show_if") if isinstance(field, dict) else None
        if rule and (not isinstance(rule, dict) or rule.get("key") not in seen | {"on_behalf"}):
            errors.append(_("Field “%(key)s” depends on a field that does not exist.")
                          % {"key": field.get("key")})
    return errors


def _field_errors(field: Any, seen: set[str]) -> list[str]:
    if not isinstance(field, dict):
        return [_("Each field must be an object.")]
    key = str(field.get("key", ""))
    if not KEY.match(key) or key in COMMON_KEYS or key in seen:
        return [_("“%(key)s” is not a usable field key (lower-case letters, digits, _; unique; "
                  "not one of the applicant's fields).") % {"key": key}]
    seen.update({key, f"{key}_from", f"{key}_to"})
    errors = []
    if field.get("type") not in FIELD_TYPES:
        errors.append(_("Field “%(key)s” has an unknown type.") % {"key": key})
    if not (field.get("label_zh") and field.get("label_en")):
        errors.append(_("Field “%(key)s” needs a Chinese and an English label.") % {"key": key})
    if field.get("type") == "choice":
        options = field.get("choices")
        if not isinstance(options, list) or not options or not all(
            isinstance(o, dict) and o.get("value") and o.get("label_zh") for o in options
        ):
            errors.append(_("Choice field “%(key)s” needs options with a value and labels.")
                          % {"key": key})
    return errors


def _material_errors(material: Any, kinds: set[str]) -> list[str]:
    if not isinstance(material, dict):
        return [_("Each material must be an object.")]
    kind = str(material.get("kind", ""))
    if not KEY.match(kind) or kind in kinds:
        return [_("“%(kind)s” is not a usable material kind.") % {"kind": kind}]
    kinds.add(kind)
    errors = []
    if not (material.get("label_zh") and material.get("label_en")):
        errors.append(_("Material “%(kind)s” needs a Chinese and an English label.")
                      % {"kind": kind})
    if material.get("required", "always") not in MATERIAL_REQUIRED:
        errors.append(_("Material “%(kind)s”: required is always, on_behalf or optional.")
                      % {"kind": kind})
    formats = material.get("formats", list(MATERIAL_FORMATS))
    if not isinstance(formats, list) or not formats or set(formats) - set(MATERIAL_FORMATS):
        errors.append(_("Material “%(kind)s”: formats are pdf, jpeg and png.") % {"kind": kind})
    for name, low, high in (("max_files", 1, 5), ("max_mb", 1, 5)):
        value = material.get(name, 1)
        if not isinstance(value, int) or not low <= value <= high:
            errors.append(_("Material “%(kind)s”: %(name)s is from %(low)s to %(high)s.")
                          % {"kind": kind, "name": name, "low": low, "high": high})
    return errors


# --- the JSON Schema ------------------------------------------------------------------------------


def _property(field: dict) -> dict:
    kind = field["type"]
    title, help_text = localized(field, "label"), localized(field, "help")
    base: dict[str, Any] = {"title": title}
    if help_text:
        base["description"] = help_text
    if kind in ("text", "address"):
        limit = int(field.get("max_length") or (200 if kind == "address" else 100))
        return {**base, "type": "string", "maxLength": limit, "x-widget": kind}
    if kind == "date":
        return {**base, "type": "string", "format": "date"}
    if kind == "choice":
        values = [o["value"] for o in field["choices"]]
        names = [localized(o, "label") for o in field["choices"]]
        return {**base, "type": "string", "enum": values, "x-enumNames": names}
    if kind == "id_number":
        return {**base, "type": "string", "maxLength": 22, "format": "cn-id-number"}
    if kind == "mobile":
        return {**base, "type": "string", "format": "cn-mobile"}
    if kind == "yes_no":
        return {**base, "type": "boolean"}
    number: dict[str, Any] = {**base, "type": "number"}
    for limit in ("minimum", "maximum"):
        if field.get(limit) is not None:
            number[limit] = field[limit]
    return number


def answers_schema(fields: list[dict]) -> dict:
    """The JSON Schema (draft 2020-12) of a service's answers."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    conditions: list[dict] = []
    for field in fields:
        if field["type"] == "date_range":
            label = localized(field, "label")
            for key, part in zip(answer_keys(field), (_("from"), _("until")), strict=True):
                properties[key] = {"title": f"{label} ({part})", "type": "string",
                                   "format": "date"}
        else:
            properties[field["key"]] = _property(field)
        if not field.get("required"):
            continue
        rule = field.get("show_if")
        if rule:
            conditions.append({
                "if": {"properties": {rule["key"]: {"const": rule.get("equals")}},
                       "required": [rule["key"]]},
                "then": {"required": answer_keys(field)},
            })
        else:
            required.extend(answer_keys(field))
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "additionalProperties": False}
    if required:
        schema["required"] = required
    if conditions:
        schema["allOf"] = conditions
    return schema


def materials_public(materials: list[dict]) -> list[dict]:
    """The materials as the API and the page describe them (localized)."""
    return [{
        "kind": m["kind"], "label": localized(m, "label"), "help": localized(m, "help"),
        "required": m.get("required", "always"), "max_files": m.get("max_files", 1),
        "formats": m.get("formats", list(MATERIAL_FORMATS)), "max_mb": m.get("max_mb", 5),
    } for m in materials]


# --- parsing and checking answers -----------------------------------------------------------------


def _messages(error) -> list[tuple[str, str]]:
    """(answer key, translated message) of one jsonschema error (a "required" one names every
    missing key)."""
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in (error.instance or {})]
        return [(key, _("This field is required.")) for key in missing]
    return [_message(error)]


def _message(error) -> tuple[str, str]:
    if error.validator == "additionalProperties":
        return ("", _("The answers contain unknown fields."))
    key = str(error.absolute_path[0]) if error.absolute_path else ""
    messages = {
        "type": _("This value has the wrong type."),
        "maxLength": _("This text is too long."),
        "enum": _("Choose one of the options."),
        "minimum": _("This number is too small."),
        "maximum": _("This number is too large."),
    }
    if error.validator == "format":
        formats = {
            "cn-id-number": _("This is not a valid ID number."),
            "cn-mobile": _("A mobile number has 11 digits and starts with 1."),
            "date": _("Enter a date as YYYY-MM-DD."),
        }
        return key, formats.get(error.validator_value, _("This value is not valid."))
    return key, messages.get(error.validator, _("This value is not valid."))


def normalized(fields: list[dict], raw: dict) -> dict:
    """The answers of the visible fields only, strings stripped, empty ones left out (a hidden
    field's value is dropped: a resident who switched a choice back is not held to it)."""
    answers: dict[str, Any] = {}
    by_key = {k: f for f in fields for k in answer_keys(f)}
    for key, value in raw.items():
        if isinstance(value, str):
            value = value.strip()
            if by_key.get(key, {}).get("type") == "id_number":
                value = value.upper()
        if isinstance(value, dt.date):
            value = value.isoformat()
        if isinstance(value, Decimal):
            value = float(value) if value % 1 else int(value)
        if value in ("", None):
            continue
        answers[key] = value
    return {k: v for k, v in answers.items()
            if k not in by_key or visible(by_key[k], answers)}


def answers_errors(fields: list[dict], answers: dict, *, holder_id: str = "") -> dict[str, str]:
    """Answer key → translated message, from the JSON Schema and then the date ranges."""
    errors: dict[str, str] = {
        key: _("This value is not valid.") for key, value in answers.items()
        if isinstance(value, float) and not math.isfinite(value)  # NaN, Infinity: JSON can't
    }
    validator = Draft202012Validator(answers_schema(fields), format_checker=format_checker)
    for error in sorted(validator.iter_errors(answers), key=lambda e: list(e.absolute_path)):
        for key, message in _messages(error):
            errors.setdefault(key, message)
    for field in fields:
        if field["type"] != "date_range" or not visible(field, answers):
            continue
        first_key, last_key = answer_keys(field)
        if first_key in errors or last_key in errors or first_key not in answers:
            continue
        found = range_errors(
            first=dt.date.fromisoformat(answers[first_key]),
            last=dt.date.fromisoformat(answers[last_key]),
            max_years=field.get("max_years"), holder_id=holder_id,
            not_in_future=field.get("not_in_future", True),
            not_before_birth=field.get("not_before_birth", False),
        )
        errors.update({(first_key if k == "from" else last_key): m for k, m in found.items()})
    return errors


def answers_display(fields: Iterable[dict], answers: dict) -> list[tuple[str, str]]:
    """(label, value) of each answered field, as the resident and the reviewer read them."""
    shown = []
    for field in fields:
        keys = answer_keys(field)
        if not any(k in answers for k in keys):
            continue
        value = answers.get(keys[0])
        if field["type"] == "date_range":
            text = f"{answers.get(keys[0], '')} – {answers.get(keys[1], '')}"
        elif field["type"] == "choice":
            names = {o["value"]: localized(o, "label") for o in field["choices"]}
            text = names.get(value, str(value))
        elif field["type"] == "yes_no":
            text = _("Yes") if value else _("No")
        else:
            text = str(value)
        shown.append((localized(field, "label"), text))
    return shown


def number_parse(value: str) -> float | int | None:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return int(number) if number % 1 == 0 else float(number)


def merged(definitions: Iterable[tuple[list[dict], list[dict]]]) -> tuple[list[dict], list[dict]]:
    """The fields and materials of several services asked once (一件事): a field key or material
    kind two parts share is asked once, as the first part words it; a material is required if
    any part requires it, and takes the most files any part allows."""
    fields: dict[str, dict] = {}
    materials: dict[str, dict] = {}
    rank = {"always": 0, "on_behalf": 1, "optional": 2}
    for part_fields, part_materials in definitions:
        for spec in part_fields:
            fields.setdefault(spec["key"], spec)
        for spec in part_materials:
            have = materials.get(spec["kind"])
            if have is None:
                materials[spec["kind"]] = dict(spec)
                continue
            if rank[spec.get("required", "always")] < rank[have.get("required", "always")]:
                have["required"] = spec.get("required", "always")
            have["max_files"] = max(have.get("max_files", 1), spec.get("max_files", 1))
    return list(fields.values()), list(materials.values())
