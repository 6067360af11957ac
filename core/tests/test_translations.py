"""Simplified Chinese is complete: every message in the code has a reviewed translation."""

import os
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(settings.BASE_DIR)
ZH_PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _problems(po: polib.POFile) -> list[str]:
    problems = []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        elif not entry.translated():
            problems.append(f"untranslated: {entry.msgid!r}")
    return problems


def test_committed_zh_hans_catalogue_has_no_untranslated_or_fuzzy_message():
    assert _problems(polib.pofile(str(ZH_PO))) == []


def test_every_message_in_the_code_is_in_the_zh_hans_catalogue():
    """Re-extract the messages from the sources: nothing new may appear. makemessages writes
    into the project's locale/ (it picks the locale folder by the sources' path, whatever
    LOCALE_PATHS says), so the committed catalogue is put back byte for byte afterwards."""
    committed = ZH_PO.read_bytes()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        call_command(
            "makemessages", locale=["zh_Hans"], verbosity=0, no_obsolete=True,
            ignore_patterns=[".venv/*", "staticfiles/*", "e2e/*", "node_modules/*"],
        )
        fresh = polib.pofile(str(ZH_PO))
    finally:
        os.chdir(cwd)
        ZH_PO.write_bytes(committed)
    assert _problems(fresh) == [], "run `make messages` and translate locale/zh_Hans"


@pytest.mark.django_db
def test_chinese_is_the_default_and_english_is_served_under_en(client):
    zh = client.get("/zh-hans/services/")
    en = client.get("/en/services/")
    assert "办事指南" in zh.content.decode()
    assert "Services" in en.content.decode()
    assert "办事指南" not in en.content.decode()
