"""Subscription requests: token, body, JSON Schema, rule meaning, webhook target — each refusal a 4xx
with a sentence; and the compiled cache the matcher uses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from streams.alerts.subscriptions import (
    RequestRefused,
    SubscriptionBook,
    SubscriptionRequests,
    check_token,
    public_view,
)
from streams.alerts.webhooks import webhook_allowlist

NOW = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


@pytest.fixture()
def requests(registry) -> SubscriptionRequests:
    return SubscriptionRequests(
        registry.validator("subscription.v1"),
        allowlist=webhook_allowlist("127.0.0.1/32"),
        digest_minutes=15,
        new_id=lambda: "sub-generated",
        new_secret=lambda: "s" * 43,
    )


def prepare(requests: SubscriptionRequests, body: Any, existing: dict[str, Any] | None = None):
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return requests.prepare(raw, existing=lambda _id: existing, now=NOW)


def test_a_minimal_subscription_gets_its_defaults_and_validates(requests, registry) -> None:
    doc, created = prepare(requests, {"rule": {"kind": "entity", "entity": "Q7747"}})
    assert created
    assert doc["id"] == "sub-generated" and doc["schema"] == "subscription.v1"
    assert doc["frequency"] == {"mode": "instant"}
    assert doc["created_at"] == doc["updated_at"] == "2026-01-10T09:00:00.000Z"
    registry.validate(doc)


def test_webhook_secret_is_generated_shown_once_and_kept_on_replace(requests) -> None:
    body = {
        "id": "hook",
        "rule": {"kind": "entity", "entity": "X"},
        "webhook": {"url": "http://127.0.0.1:8080/h"},
    }
    doc, _ = prepare(requests, body)
    assert doc["webhook"]["secret"] == "s" * 43
    assert public_view(doc)["webhook"] == {"url": "http://127.0.0.1:8080/h", "secret": "***"}
    older = {
        **doc,
        "webhook": {"url": "http://127.0.0.1:8080/h", "secret": "k" * 20},
        "created_at": "2025-01-01",
    }
    replaced, created = prepare(requests, body, existing=older)
    assert (
        not created and replaced["webhook"]["secret"] == "k" * 20 and replaced["created_at"] == "2025-01-01"
    )


def test_digest_without_minutes_gets_the_default(requests) -> None:
    doc, _ = prepare(requests, {"rule": {"kind": "entity", "entity": "X"}, "frequency": {"mode": "digest"}})
    assert doc["frequency"] == {"mode": "digest", "minutes": 15}


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        (b'{"rule": ', 400, "invalid_json", "not JSON"),
        (b"[1, 2]", 422, "invalid_subscription", "must be a JSON object"),
        ({"rule": {"kind": "bogus"}}, 422, "invalid_subscription", "at rule/kind: 'bogus' is not one of"),
        (
            {"rule": {"kind": "sentiment", "target": "X", "below": 2}},
            422,
            "invalid_subscription",
            "at rule/below: 2 is greater than the maximum of 1",
        ),
        (
            {"rule": {"kind": "spike", "entity": "X", "factor": 0}},
            422,
            "invalid_subscription",
            "at rule/factor",
        ),
        (
            {"rule": {"kind": "shift", "target": "X", "delta": -1}},
            422,
            "invalid_subscription",
            "at rule/delta",
        ),
        (
            {"rule": {"kind": "sentiment", "target": "X"}},
            422,
            "invalid_rule",
            "exactly one of 'below' or 'above'",
        ),
        (
            {"rule": {"kind": "entity", "entity": "X", "extra": 1}},
            422,
            "invalid_subscription",
            "'extra' was unexpected",
        ),
        (
            {"rule": {"kind": "any", "rules": [{"kind": "entity", "entity": "X", "min_mentions": 0}]}},
            422,
            "invalid_subscription",
            "at rule/rules/0/min_mentions",
        ),
        ({"id": "bad id!", "rule": {"kind": "entity", "entity": "X"}}, 422, "invalid_subscription", "at id"),
        ({}, 422, "invalid_subscription", "'rule' is a required property"),
        (
            {"rule": {"kind": "entity", "entity": "X"}, "muted_until": "tomorrow"},
            422,
            "invalid_subscription",
            "at muted_until",
        ),
        (
            {"rule": {"kind": "entity", "entity": "X"}, "frequency": {"mode": "hourly"}},
            422,
            "invalid_subscription",
            "at frequency/mode",
        ),
        (
            {"rule": {"kind": "entity", "entity": "X"}, "webhook": {"url": "ftp://x.example/a"}},
            422,
            "invalid_subscription",
            "at webhook",
        ),
        (
            {"rule": {"kind": "entity", "entity": "X"}, "webhook": {"url": "http://10.1.2.3/a"}},
            422,
            "webhook_not_allowed",
            "10.1.2.3 is an internal address (private)",
        ),
        (
            {"rule": {"kind": "entity", "entity": "X"}, "webhook": {"url": "http://[::1]:99/a"}},
            422,
            "webhook_not_allowed",
            "::1 is an internal address (loopback)",
        ),
        (
            {"rule": {"kind": "entity", "entity": "X"}, "webhook": {"url": "http://169.254.169.254/latest"}},
            422,
            "webhook_not_allowed",
            "169.254.169.254",
        ),
        (
            {
                "rule": {"kind": "entity", "entity": "X"},
                "webhook": {"url": "http://127.0.0.1/a", "secret": "short"},
            },
            422,
            "invalid_subscription",
            "at webhook",
        ),
    ],
)
def test_invalid_subscriptions_are_refused_with_status_code_and_message(
    requests, body: Any, status: int, code: str, message: str
) -> None:
    with pytest.raises(RequestRefused) as refused:
        prepare(requests, body)
    assert (refused.value.status, refused.value.code) == (status, code)
    assert message in refused.value.message, refused.value.message


@pytest.mark.parametrize("url", ["http://localhost:99/a", "http://127.0.0.1/a", "http://192.168.1.10/a"])
def test_by_default_no_webhook_may_point_inside(registry, url: str) -> None:
    strict = SubscriptionRequests(registry.validator("subscription.v1"), allowlist=webhook_allowlist(""))
    with pytest.raises(RequestRefused) as refused:
        prepare(strict, {"rule": {"kind": "entity", "entity": "X"}, "webhook": {"url": url}})
    assert (
        refused.value.code == "webhook_not_allowed"
        and "STANCEWIRE_ALERT_WEBHOOK_ALLOWLIST" in refused.value.message
    )
    public, _ = prepare(
        strict, {"rule": {"kind": "entity", "entity": "X"}, "webhook": {"url": "https://hooks.example.com/a"}}
    )
    assert public["webhook"]["url"] == "https://hooks.example.com/a"


def test_bodies_over_the_limit_are_413(requests) -> None:
    with pytest.raises(RequestRefused) as refused:
        prepare(requests, b"{" + b" " * 70_000 + b"}")
    assert refused.value.status == 413


def test_server_fields_are_the_servers(requests) -> None:
    doc, _ = prepare(
        requests, {"rule": {"kind": "entity", "entity": "X"}, "created_at": "1999", "schema": "x"}
    )
    assert doc["created_at"] == "2026-01-10T09:00:00.000Z" and doc["schema"] == "subscription.v1"


@pytest.mark.parametrize(
    ("header", "token", "status"),
    [
        (None, "t0ken", 401),
        ("Bearer nope", "t0ken", 401),
        ("Basic t0ken", "t0ken", 401),
        ("Bearer t0ken", None, 503),
        ("Bearer t0k\udcffn", "t0ken", 401),  # a byte that is not UTF-8, as aiohttp hands it over
        ("Bearer t0kén", "t0ken", 401),
        ("Bearer t0ken\u00a0", "t0ken", 401),
    ],
)
def test_token_check(header: str | None, token: str | None, status: int) -> None:
    with pytest.raises(RequestRefused) as refused:
        check_token(header, token)
    assert refused.value.status == status and refused.value.message


def test_the_right_token_passes() -> None:
    check_token("Bearer t0ken", "t0ken")
    check_token("bearer  t0ken ", "t0ken")


def test_book_compiles_once_per_version_and_skips_unusable_documents() -> None:
    problems: list[str] = []
    book = SubscriptionBook(on_invalid=lambda key, why: problems.append(key))
    good = {"id": "a", "rule": {"kind": "entity", "entity": "X"}}
    first = book.compile([("a", good), ("b", {"id": "b", "rule": {"kind": "nope"}}), ("c", None)])
    assert [s.id for s in first] == ["a"] and problems == ["b"]
    again = book.compile([("a", good), ("b", {"id": "b", "rule": {"kind": "nope"}})])
    assert again[0] is first[0] and problems == ["b"]  # cached, reported once
    changed = book.compile([("a", {**good, "name": "renamed"})])
    assert changed[0].name == "renamed"


def test_refusals_never_echo_a_secret_or_a_url_password(requests) -> None:
    for webhook, expected in (
        (
            {"url": "http://127.0.0.1/a", "secret": "short-SECRET"},
            "at webhook/secret: the value fails minLength 16",
        ),
        (
            {"url": "ftp://u:PASS-CANARY@x.example/", "secret": "s" * 20},
            "at webhook/url: the value fails pattern",
        ),
        ({"url": "https://u:PASS-CANARY@x.example/", "secret": "s" * 20}, "the URL carries credentials"),
    ):
        with pytest.raises(RequestRefused) as refused:
            prepare(requests, {"rule": {"kind": "entity", "entity": "X"}, "webhook": webhook})
        assert expected in refused.value.message, refused.value.message
        assert "SECRET" not in refused.value.message and "PASS-CANARY" not in refused.value.message


def test_the_post_answer_shows_only_a_secret_the_server_just_generated(requests) -> None:
    def write(body: dict[str, Any], existing: dict[str, Any] | None = None):
        return requests.prepare_write(orjson.dumps(body), existing=lambda _id: existing, now=NOW)

    base = {"id": "hook", "rule": {"kind": "entity", "entity": "X"}}
    made = write({**base, "webhook": {"url": "http://127.0.0.1:8080/h"}})
    assert made.shown["webhook"]["secret"] == "s" * 43 == made.doc["webhook"]["secret"]  # shown once
    kept = write({**base, "webhook": {"url": "http://127.0.0.1:8080/h"}}, existing=made.doc)
    assert kept.doc["webhook"]["secret"] == "s" * 43 and kept.shown["webhook"]["secret"] == "***"
    sent = write({**base, "webhook": {"url": "http://127.0.0.1:8080/h", "secret": "client-SECRET-000"}})
    assert sent.doc["webhook"]["secret"] == "client-SECRET-000" and sent.shown["webhook"]["secret"] == "***"
