"""Search as residents type it, on the demo catalogue: colloquial names, words, pinyin, typos."""

import os
import re
import subprocess
import sys

import pytest
from django.core.cache import cache

from services import search, selectors
from services.actions import catalogue_load, service_aliases_set
from services.demo_data import CATALOGUE
from services.models import Service

pytestmark = pytest.mark.django_db

# What residents really typed, and the service each one means.
QUERIES = [
    ("无犯罪记录证明", "za-no-criminal-record"),  # the official name
    ("无犯罪证明", "za-no-criminal-record"),  # words of the name
    ("良民证", "za-no-criminal-record"),  # colloquial name
    ("我要开良民证", "za-no-criminal-record"),  # a sentence around it
    ("wfzjl", "za-no-criminal-record"),  # initials
    ("wufanzui", "za-no-criminal-record"),  # pinyin
    ("WuFanZui", "za-no-criminal-record"),
    ("无犯罪记录正明", "za-no-criminal-record"),  # one wrong character
    ("护照办理", "crj-passport"),
    ("护照", "crj-passport"),
    ("身份证丢了", "hz-id-card-replacement"),
    ("驾照", "jg-licence-renewal"),
    ("驾照丢了", "jg-licence-replacement"),
    ("户口本", "hz-booklet-replacement"),
    ("passport", "crj-passport"),
    ("criminal record", "za-no-criminal-record"),
    ("Criminal-Record", "za-no-criminal-record"),
    ("lost ID card", "hz-id-card-replacement"),
    ("pasport", "crj-passport"),  # one letter missing
    ("无犯最记录证明", "za-no-criminal-record"),
]


@pytest.fixture(scope="module")
def demo_catalogue(django_db_setup, django_db_blocker):
    """The demo catalogue loaded once per module, in a transaction held open around the module's
    tests (each test's own transaction nests inside it and is rolled back) and rolled back after
    them, as the root conftest's `demo_city`."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            catalogue_load(data=CATALOGUE)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(demo_catalogue, db):
    cache.clear()  # the API's anonymous rate limit counts in the cache


def search_codes(text: str) -> list[str]:
    found = selectors.service_search(selectors.service_list_public(), text)
    return list(found.values_list("code", flat=True))


def page_codes(client, lang: str, text: str) -> list[str]:
    response = client.get(f"/{lang}/services/", {"q": text})
    assert response.status_code == 200
    return re.findall(rf'href="/{lang}/services/([a-z0-9-]+)/"', response.content.decode())


def api_codes(client, text: str) -> list[str]:
    response = client.get("/api/v1/services/", {"q": text})
    assert response.status_code == 200
    return [item["code"] for item in response.json()["results"]]


@pytest.mark.parametrize(("text", "code"), QUERIES)
def test_what_residents_type_finds_the_service_they_mean_first(demo, text, code):
    assert search_codes(text)[0] == code


@pytest.mark.parametrize(("text", "code"), QUERIES[:4] + QUERIES[-4:])
def test_the_pages_and_the_api_rank_the_same(client, demo, text, code):
    expected = search_codes(text)
    assert expected[0] == code
    assert page_codes(client, "zh-hans", text) == expected[:12]
    assert page_codes(client, "en", text) == expected[:12]
    assert api_codes(client, text) == expected[:20]


def test_an_exact_name_ranks_above_a_service_that_only_has_it_as_a_search_term(demo):
    service = Service.objects.get(code="hz-household-certificate")
    service_aliases_set(service=service, terms=["无犯罪记录证明"])
    assert search_codes("无犯罪记录证明")[:2] == [
        "za-no-criminal-record",
        "hz-household-certificate",
    ]


def test_a_search_term_ranks_above_words_found_elsewhere(demo):
    # 驾照 is a term of the renewal, and inside 驾照丢了, a term of the replacement.
    assert search_codes("驾照") == ["jg-licence-renewal", "jg-licence-replacement"]


def test_services_sharing_only_some_words_are_left_out_when_one_matches_in_full(demo):
    # 身份证 is in four names, but only one is what 身份证丢了 means.
    assert search_codes("身份证丢了") == ["hz-id-card-replacement"]
    assert set(search_codes("身份证 宇宙")) >= {"hz-id-card-renewal", "hz-id-card-replacement"}


def test_the_admin_edits_search_terms_with_the_service_and_search_follows(admin_client, demo):
    service = Service.objects.get(code="za-dog-registration")
    form = admin_client.get(f"/zh-hans/admin/services/service/{service.pk}/change/")
    assert form.status_code == 200
    page = form.content.decode()
    assert 'name="aliases-TOTAL_FORMS"' in page and 'value="狗证"' in page
    assert search_codes("汪星人") == []
    service_aliases_set(service=service, terms=["狗证", "汪星人"])
    assert search_codes("汪星人") == ["za-dog-registration"]


@pytest.mark.parametrize(
    "text", ["x" * 10_000, "%", "_", "%%", "%_%", "无犯罪%", "' OR 1=1 --", "\\", "护照" * 3000]
)
def test_hostile_input_is_answered_without_error(client, demo, text):
    assert client.get("/zh-hans/services/", {"q": text}).status_code == 200
    assert client.get("/api/v1/services/", {"q": text}).status_code == 200


@pytest.mark.parametrize("text", ["%", "_", "%_%", "___"])
def test_sql_wildcards_match_nothing_rather_than_everything(demo, text):
    assert search_codes(text) == []


def test_nothing_found_suggests_names_residents_use_in_either_language(client, demo):
    zh = client.get("/zh-hans/services/", {"q": "宇宙飞船"}).content.decode()
    assert "试试更短的词，或常用的叫法：" in zh
    assert 'href="?q=%E8%89%AF%E6%B0%91%E8%AF%81"' in zh  # 良民证
    en = client.get("/en/services/", {"q": "spaceship"}).content.decode()
    assert "Try a shorter word, or a name residents often use:" in en
    assert ">良民证</a>" in en


def test_pinyin_needs_two_letters_and_stays_below_names(demo):
    assert search_codes("w") == [] or search_codes("w")[0] != "za-no-criminal-record"
    assert search_codes("hz")[0].startswith("hz-")  # a code prefix is a name match


def test_tiers_are_ordered_as_documented():
    tiers = [search.EXACT, search.NAME, search.TERM_EXACT, search.TERM, search.ALL_WORDS]
    tiers += [search.ALL_WORDS_TEXT, search.SOME_WORDS, search.PINYIN, search.FUZZY]
    assert tiers == sorted(tiers, reverse=True)
    assert search.SOME_WORDS + 5 < search.ALL_WORDS_TEXT


def test_the_dictionary_is_loaded_once_per_process():
    first = search.tokenizer()
    assert search.tokenizer() is first
    assert search.words(search.normalise("护照办理")) == ["护照"]


def test_one_wrong_character_is_the_last_resort():
    names = ("无犯罪记录证明", "no criminal record certificate")
    keys = search.Keys(names=names, terms=(), text="")
    assert search.score("无犯罪记录正明", [], keys) == search.FUZZY
    assert search.score("无犯罪记录正明", ["无", "犯罪", "记录", "正明"], keys) > search.FUZZY
    assert search.score("crimnal", [], keys) == search.FUZZY
    assert search.score("无犯罪正正正", [], keys) == 0


def test_starting_the_site_loads_neither_dictionary():
    # jieba's and pypinyin's dictionaries cost ~0.4 s and ~50 MB: only a query that needs them
    # pays, once per process.
    code = (
        "import django, sys; django.setup(); import config.urls, services.views, services.api; "
        "print(sorted({'jieba', 'pypinyin', 'rapidfuzz'} & set(sys.modules)))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr
