"""The read API's parameters (streams/web/params.py): pure parsing, each refusal a 400 with its code."""

from __future__ import annotations

import pytest

from streams.web import params as p
from streams.web.params import ApiRefused


def refused(call, *args) -> tuple[int, str]:
    with pytest.raises(ApiRefused) as caught:
        call(*args)
    return caught.value.status, caught.value.code


def test_limit_defaults_and_bounds() -> None:
    assert p.parse_limit(None) == 50 and p.parse_limit("") == 50
    assert p.parse_limit("1") == 1 and p.parse_limit("500") == 500
    assert p.parse_limit(None, 200, 500) == 200
    for bad in ("0", "501", "-1", "ten", "1.5", "١٢", " 5"):  # Arabic-Indic digits are digits, not ASCII
        assert refused(p.parse_limit, bad) == (400, "bad_limit"), bad


def test_since_and_until_are_dates_or_date_times_normalised_to_utc_seconds() -> None:
    assert p.parse_time("2026-03-01") == "2026-03-01T00:00:00Z"
    assert p.parse_time("2026-03-01T12:30") == "2026-03-01T12:30:00Z"  # no offset: UTC
    assert p.parse_time("2026-03-01T12:30:15.250Z") == "2026-03-01T12:30:15Z"
    assert p.parse_time("2026-03-01T01:00:00+02:00") == "2026-02-28T23:00:00Z"
    assert p.parse_time("2026-03-01 12:00:00z") == "2026-03-01T12:00:00Z"
    assert p.parse_time(None) is None and p.parse_time("") is None
    for bad in (
        "yesterday",
        "2026-13-01",
        "2026-02-30",
        "01/03/2026",
        "2026-3-1",
        "20260301",
        "2026-03-01T25:00",
    ):
        assert refused(p.parse_time, bad, "until") == (400, "bad_until"), bad


def test_polarity_is_one_of_three() -> None:
    assert [p.parse_polarity(v) for v in ("support", "oppose", "neutral", None, "")] == [
        "support",
        "oppose",
        "neutral",
        None,
        None,
    ]
    assert refused(p.parse_polarity, "Support") == (400, "bad_polarity")
    assert refused(p.parse_polarity, "against") == (400, "bad_polarity")


def test_cursor_passes_through_as_given_unless_it_cannot_be_one() -> None:
    assert (
        p.parse_cursor("eyJhdCI6IjIwMjYtMDMtMDFUMDA6MDA6MDBaIn0=")
        == "eyJhdCI6IjIwMjYtMDMtMDFUMDA6MDA6MDBaIn0="
    )
    assert p.parse_cursor("2026-03-01T00:00:00Z|abc") == "2026-03-01T00:00:00Z|abc"
    assert p.parse_cursor(None) is None
    for bad in ("x" * 1025, "has space", "tab\there", "é"):
        assert refused(p.parse_cursor, bad) == (400, "bad_cursor"), bad


def test_text_and_path_ids() -> None:
    holder = p.text("holder")
    assert holder("Q7747") == "Q7747" and holder("  ") is None and holder(None) is None
    assert refused(holder, "x" * 501) == (400, "bad_holder")
    assert p.path_id("entity_id", "org:acme/x%y") == "org:acme/x%y"  # never decoded twice
    assert refused(p.path_id, "entity_id", "") == (400, "bad_entity_id")


def test_a_query_is_parsed_into_the_store_functions_keywords() -> None:
    params = (
        p.Param("holder", "holder", p.text("holder")),
        p.Param("article", "article_id", p.text("article")),
        p.since(),
        p.until(),
        p.limit(),
        p.cursor(),
    )
    assert p.parse_query({"holder": ["Q1"], "article": ["a-1"], "since": ["2026-03-01"]}, params) == {
        "holder": "Q1",
        "article_id": "a-1",
        "since": "2026-03-01T00:00:00Z",
        "until": None,
        "limit": 50,
        "cursor": None,
    }
    assert refused(p.parse_query, {"holdr": ["Q1"]}, params) == (400, "unknown_parameter")
    assert refused(p.parse_query, {"holder": ["Q1", "Q2"]}, params) == (400, "repeated_parameter")
    window = {"since": ["2026-03-02"], "until": ["2026-03-02"]}  # until is exclusive: empty window
    assert refused(p.parse_query, window, params) == (400, "bad_until")


def test_a_refusal_reads_like_the_subscriptions_api_and_the_contract() -> None:
    body = ApiRefused(400, "bad_limit", "limit: from 1 to 500, not 900").body()
    assert body == {
        "error": "bad_limit",
        "message": "limit: from 1 to 500, not 900",
        "detail": "limit: from 1 to 500, not 900",
    }
