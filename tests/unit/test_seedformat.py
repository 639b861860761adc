from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.ingest import SeedFormatError, article_id_for, parse_seed_text, read_seed_file
from streams.ingest.seedformat import split_authors
from tests.conftest import SEED_FILE


def test_seed_file_parses_header_and_body():
    article = read_seed_file(SEED_FILE)
    assert article.published == "2025-03-02"
    assert article.authors == ["Alex Wickham", "Irina Anghel"]
    assert article.body.startswith("Keir Starmer said a “coalition of the willing”")
    assert article.body.endswith("I’m absolutely clear that’s what his motive is.”")
    assert article.article_id == article_id_for(article.body)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A and B", ["A", "B"]),
        ("Alex Wickham, Irina Anghel and Jo Li", ["Alex Wickham", "Irina Anghel", "Jo Li"]),
        ("Sandra Anderson", ["Sandra Anderson"]),
        ("", []),
    ],
)
def test_authors_split_on_commas_and_and(text, expected):
    assert split_authors(text) == expected


def test_missing_header_names_file_and_line(tmp_path: Path):
    path = tmp_path / "story.txt"
    path.write_text("\n\nKeir Starmer said things.\n", encoding="utf-8")
    with pytest.raises(SeedFormatError) as caught:
        read_seed_file(path)
    assert f"{path}:3:" in str(caught.value)
    assert "date YYYY-MM-DD" in str(caught.value)


def test_header_without_body_is_an_error():
    with pytest.raises(SeedFormatError, match="not followed by any body"):
        parse_seed_text("date 2025-01-01 By A\n\n")


def test_invalid_date_is_an_error():
    with pytest.raises(SeedFormatError, match="invalid date"):
        parse_seed_text("date 2025-13-45 By A\nBody text.")


def test_id_is_stable_under_whitespace_and_case_changes():
    a = parse_seed_text("date 2025-01-01 By A\nThe  Minister said   yes.\n")
    b = parse_seed_text("date 2025-01-01 By A\n\nthe minister said yes.")
    assert a.article_id == b.article_id
    assert a.article_id != parse_seed_text("date 2025-01-01 By A\nThe minister said no.").article_id


@given(st.text())
def test_parser_either_parses_or_raises_seed_format_error(text):
    try:
        article = parse_seed_text(text)
    except SeedFormatError as error:
        assert str(error)
    else:
        assert article.body.strip() and len(article.article_id) == 16
