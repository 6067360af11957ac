"""Simplified Chinese is complete: every message in the code has a reviewed translation."""

import os
import shutil
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


def test_every_message_in_the_code_is_in_the_zh_hans_catalogue(tmp_path, settings):
    """Re-extract the messages from the sources into a copy: nothing new may appear."""
    shutil.copytree(ROOT / "locale", tmp_path / "locale")
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        call_command(
            "makemessages", locale=["zh_Hans"], verbosity=0, no_obsolete=True,
            ignore_patterns=[".venv/*", "staticfiles/*", "e2e/*", "node_modules/*"],
        )
    finally:
        os.chdir(cwd)
    fresh = polib.pofile(str(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    assert _problems(fresh) == [], "run `make messages` and translate locale/zh_Hans"


@pytest.mark.django_db
def test_chinese_is_the_default_and_english_is_served_under_en(client):
    zh = client.get("/zh-hans/services/")
    en = client.get("/en/services/")
    assert "办事指南" in zh.content.decode()
    assert "Services" in en.content.decode()
    assert "办事指南" not in en.content.decode()
