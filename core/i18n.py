"""Bilingual model fields: each translated text is stored as `<field>_zh` and `<field>_en`.

Hand-written instead of django-modeltranslation: two fixed languages, explicit columns that the
API, admin and search name directly, and no registration magic. `localized(obj, "name")` picks
the active language and falls back to Chinese when the English text is empty.
`bilingual(build)` pairs texts in two languages for the printouts that show both.
"""

from collections.abc import Callable
from typing import Any

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


def _other_language(language: str) -> str:
    return "en" if language.lower().startswith("zh") else "zh-hans"


def _pair_up(main: Any, sub: Any) -> Any:
    if isinstance(main, dict):
        return {key: _pair_up(main[key], sub[key]) for key in main}
    if isinstance(main, list):
        return [_pair_up(a, b) for a, b in zip(main, sub, strict=True)]
    return (main, "" if sub == main else sub)


def bilingual(build: Callable[[], Any], *, language: str = "zh-hans") -> Any:
    """What `build()` returns (texts, or dicts and lists of them), built once in `language` and
    once in the other language and paired leaf by leaf as (main, subtitle), for the printouts
    that show both (ticket, booking confirmation, daily report). A subtitle equal to the main
    text (an untranslated message, a name with no English form, a number) becomes ""."""
    with translation.override(language):
        main = build()
    with translation.override(_other_language(language)):
        sub = build()
    return _pair_up(main, sub)
