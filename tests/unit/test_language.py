"""Language identification at ingestion: other languages refused with the language named, English
tables of names and numbers accepted. The paragraphs and tables are in tests/fixtures/language/."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.ingest.errors import InvalidArticle
from streams.ingest.language import (
    LANGUAGE_NAMES,
    MAX_NUMERIC_TOKEN_SHARE,
    MIN_LINE_LETTERS,
    judge_english,
    prose_of,
)
from streams.ingest.raw import RawArticleDecoder
from streams.processing import IncomingMessage, dead_letter
from streams.settings import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "language"


def _not_english() -> list[tuple[str, str]]:
    lines = (FIXTURES / "not_english.jsonl").read_text(encoding="utf-8").splitlines()
    return [(row["lang"], row["text"]) for row in map(orjson.loads, lines) if row]


def _english_tables() -> list[tuple[str, str]]:
    blocks: list[tuple[str, str]] = []
    for line in (FIXTURES / "english_tables.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        if line.startswith("%%% "):
            blocks.append((line[4:], ""))
        elif blocks:
            name, text = blocks[-1]
            blocks[-1] = (name, f"{text}{line}\n")
    return blocks


NOT_ENGLISH = _not_english()
TABLES = _english_tables()


@pytest.fixture
def decoder(registry):
    return RawArticleDecoder(registry)


def test_the_fixtures_are_big_enough():
    assert len(NOT_ENGLISH) >= 20 and len({lang for lang, _ in NOT_ENGLISH}) >= 20
    assert len(TABLES) >= 20


@pytest.mark.parametrize(("lang", "text"), NOT_ENGLISH, ids=[lang for lang, _ in NOT_ENGLISH])
def test_non_english_news_is_refused_with_the_language_named(decoder, lang, text):
    with pytest.raises(InvalidArticle) as caught:
        decoder.from_document({"body": text})
    error = caught.value
    assert error.reason == "not_english"
    assert error.language is not None and error.language["code"] == lang
    assert LANGUAGE_NAMES[lang] in error.message


@pytest.mark.parametrize(("what", "text"), TABLES, ids=[what for what, _ in TABLES])
def test_english_tables_and_market_reports_pass(decoder, what, text):
    article = decoder.from_document({"body": text})
    assert article.body == text


def test_prose_leaves_out_lines_of_numbers_and_lowers_capitals():
    text = (
        "SOCCER - RESULTS OF THE WEEKEND\n"
        "Celtic 4 St Mirren 0\n"
        "Aberdeen 2 Hibernian 1\n"
        "The champions stretched their lead at the top of the table on Saturday.\n"
    )
    assert prose_of(text) == (
        "soccer - results of the weekend\n"
        "The champions stretched their lead at the top of the table on Saturday."
    )


def test_too_little_text_passes_undecided():
    verdict = judge_english("Benfica 2 Porto 1")
    assert verdict.english and verdict.language == "und"


def test_the_threshold_is_a_setting():
    text = NOT_ENGLISH[0][1]
    lenient = RawArticleDecoder.from_settings(Settings(language_min_confidence=1.0))
    assert lenient.from_document({"body": text}).body == text  # 1: never refuse
    strict = RawArticleDecoder.from_settings(Settings(language_min_confidence=0.5))
    with pytest.raises(InvalidArticle):
        strict.from_document({"body": text})


def test_the_dead_letter_names_the_language(decoder, registry):
    payload = orjson.dumps({"id": "x1", "body": dict(NOT_ENGLISH)["de"]})
    with pytest.raises(InvalidArticle) as caught:
        decoder.decode(payload)
    dead = dead_letter(
        IncomingMessage(key=b"x1", value=payload, topic="articles.raw", partition=0, offset=7),
        caught.value,
        max_payload_bytes=65536,
    )
    assert dead["reason"] == "not_english"
    assert dead["language"]["code"] == "de" and dead["language"]["name"] == "German"
    assert dead["language"]["not_english"] > 0.9
    registry.validate(dead, "deadletter.v1")


def prose_as_first_written(text: str) -> str:
    """prose_of before it stopped counting early: the specification of which lines are prose."""
    kept = []
    for line in text.splitlines():
        tokens = line.split()
        if not tokens:
            continue
        numeric = sum(1 for token in tokens if any(ch.isdigit() for ch in token))
        letters = sum(1 for ch in line if ch.isalpha())
        if numeric > MAX_NUMERIC_TOKEN_SHARE * len(tokens) or letters < MIN_LINE_LETTERS:
            continue
        kept.append(line.lower() if line.isupper() else line)
    return "\n".join(kept)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from(list("abcXYZ 0123456789²½٣.,\t-éß")), max_size=60), max_size=12
    ).map("\n".join)
)
def test_prose_of_keeps_the_lines_it_always_kept(text):
    assert prose_of(text) == prose_as_first_written(text)
