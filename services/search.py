"""Matching what residents type against the catalogue's names: pure text, no database.

A query is scored against each service's keys (names, search terms, code, category and
description) in tiers, best first:

    exact name or code  >  name contains the query  >  a search term (良民证)  >
    every segmented word found (jieba: 无犯罪证明 → 无/犯罪/证明)  >  some words found  >
    pinyin or initials (wufanzui, wfzjl)  >  one wrong character (无犯罪记录正明)

Services that share only some of the words are listed only when none matches in full.

The catalogue is small (tens of services), so scoring happens in Python over one query's rows;
the pinyin of each name is memoised per process by its text, so an edit is never served stale.
jieba loads its dictionary once per process, on the first Chinese query.
"""

import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MAX_QUERY = 100  # characters; longer input is cut, never an error
COMMON_WORD_FREQUENCY = 20

EXACT, NAME, TERM_EXACT, TERM, ALL_WORDS, ALL_WORDS_TEXT, SOME_WORDS, PINYIN, FUZZY = (
    100,
    90,
    80,
    70,
    60,
    50,
    30,
    25,
    15,
)

# Words that say nothing about which service is meant: 护照办理 means 护照.
STOP_WORDS = frozenset(
    [
        "办理",
        "办",
        "怎么",
        "怎么办",
        "如何",
        "怎样",
        "哪里",
        "在哪",
        "在哪里",
        "去",
        "要",
        "想",
        "我",
        "我要",
        "我想",
        "的",
        "了",
        "吗",
        "呢",
        "啊",
        "一下",
        "需要",
        "什么",
        "材料",
        "申请",
        "流程",
        "手续",
        "how",
        "to",
        "do",
        "i",
        "get",
        "a",
        "an",
        "the",
        "for",
        "of",
        "my",
        "apply",
        "application",
    ]
)

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"^[a-z ]+$")

_jieba_lock = threading.Lock()
_tokenizer = None


@dataclass(frozen=True)
class Keys:
    """What a service can be found by."""

    names: tuple[str, ...]  # name_zh, name_en, code
    terms: tuple[str, ...]  # the search terms (aliases)
    text: str  # category names and descriptions, for the word tiers only


def normalise(text: str) -> str:
    """Lower case, punctuation (including % and _) as spaces, runs of space collapsed."""
    return _NON_WORD.sub(" ", (text or "")[:MAX_QUERY].lower()).strip()


def tokenizer():
    """jieba's tokenizer, loaded once per process on the first Chinese query."""
    global _tokenizer
    if _tokenizer is None:
        with _jieba_lock:
            if _tokenizer is None:
                jieba = _jieba()
                instance = jieba.Tokenizer(_common_words())
                instance.initialize()
                _tokenizer = instance
    return _tokenizer


def _jieba():
    """jieba, without the handler to stderr it adds to its logger at import: its lines go
    through the project's handlers, which mask ID numbers (LOGGING in config/settings.py)."""
    import jieba

    jieba.default_logger.removeHandler(jieba.log_console)
    jieba.setLogLevel(logging.WARNING)
    return jieba


def _common_words() -> str:
    """jieba's dictionary without its rarest words (frequency under 20: 80k of 349k entries
    kept): a quarter of the load time and memory, and the same cuts for what residents type.
    Written once per machine beside jieba's own cache; a half-written file is never used."""
    jieba = _jieba()

    path = Path(tempfile.gettempdir()) / f"onewindow-jieba-{jieba.__version__}-common.txt"
    if not path.exists():
        source = Path(jieba.__file__).with_name("dict.txt")
        with source.open(encoding="utf-8") as lines:
            kept = [line for line in lines if int(line.split(" ")[1]) >= COMMON_WORD_FREQUENCY]
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text("".join(kept), encoding="utf-8")
        partial.replace(path)
    return str(path)


def words(query: str) -> list[str]:
    """The meaningful words of a normalised query: jieba for Chinese, spaces for the rest."""
    found: list[str] = []
    for chunk in query.split():
        pieces = tokenizer().lcut(chunk) if _CJK.search(chunk) else [chunk]
        found += [p for p in pieces if p.strip() and p not in STOP_WORDS]
    return list(dict.fromkeys(found))


@lru_cache(maxsize=4096)
def pinyin_keys(text: str) -> tuple[str, str]:
    """Full pinyin and initials of the Chinese in `text`: 无犯罪记录证明 → wfzjlzm."""
    from pypinyin import Style, lazy_pinyin

    hanzi = "".join(_CJK.findall(text))
    if not hanzi:
        return "", ""
    full = "".join(lazy_pinyin(hanzi))
    initials = "".join(lazy_pinyin(hanzi, style=Style.FIRST_LETTER))
    return full, initials


def _one_edit_away(query: str, candidates: Iterable[str]) -> bool:
    from rapidfuzz.distance import Levenshtein

    return any(
        Levenshtein.distance(query, candidate, score_cutoff=1) <= 1
        for candidate in candidates
        if abs(len(candidate) - len(query)) <= 1
    )


def _word_score(query_words: list[str], keys: Keys) -> int:
    if not query_words:
        return 0
    primary = " ".join(keys.names + keys.terms)
    in_primary = [w for w in query_words if w in primary]
    if len(in_primary) == len(query_words):
        return ALL_WORDS
    everything = primary + " " + keys.text
    if all(w in everything for w in query_words):
        return ALL_WORDS_TEXT
    if any(len(w) >= 2 for w in in_primary):
        return SOME_WORDS + round(10 * len(in_primary) / len(query_words)) // 2
    return 0


def _pinyin_score(query: str, keys: Keys) -> int:
    compact = query.replace(" ", "")
    if not _LATIN.match(query) or len(compact) < 2:
        return 0
    for key in keys.names + keys.terms:
        full, initials = pinyin_keys(key)
        if initials.startswith(compact) or (len(compact) >= 3 and compact in full):
            return PINYIN
    return 0


def score(query: str, query_words: list[str], keys: Keys) -> int:
    """How well a normalised query matches a service's normalised keys; 0 for not at all."""
    if query in keys.names:
        return EXACT
    if any(query in name for name in keys.names):
        return NAME
    if query in keys.terms:
        return TERM_EXACT
    if any(query in term or (len(term) >= 2 and term in query) for term in keys.terms):
        return TERM
    found = _word_score(query_words, keys) or _pinyin_score(query, keys)
    if found:
        return found
    single_words = tuple(w for key in keys.names + keys.terms for w in key.split() if len(w) >= 5)
    if len(query) >= 4 and _one_edit_away(query, keys.names + keys.terms + single_words):
        return FUZZY
    return 0
