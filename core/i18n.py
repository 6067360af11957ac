"""Bilingual model fields: each translated text is stored as `<field>_zh` and `<field>_en`.

Hand-written instead of django-modeltranslation: two fixed languages, explicit columns that the
API, admin and search name directly, and no registration magic. `localized(obj, "name")` picks
the active language and falls back to Chinese when the English text is empty.
"""

from django.utils import translation


def is_english() -> bool:
    return (translation.get_language() or "zh-hans").lower().startswith("en")


def localized(obj: object, field: str) -> str:
    if is_english():
        text = getattr(obj, f"{field}_en", "") or ""
        if text:
            return text
    return getattr(obj, f"{field}_zh", "") or ""


class Localized:
    """Descriptor: `name = Localized("name")` reads name_zh or name_en for the active language."""

    def __init__(self, field: str) -> None:
        self.field = field

    def __get__(self, obj: object, objtype: type | None = None) -> str:
        if obj is None:
            return self  # type: ignore[return-value]
        return localized(obj, self.field)
