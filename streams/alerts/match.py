"""Matching a subscription against an article, and grouping the matches into one alert. Pure.

``match(subscription, article)`` → the subscription's matches in that article, each with a
fingerprint of (subscription, rule, article, target) that does not change when the article is
replayed. ``build_alert`` makes the one ``alert.v1`` event for all of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from streams.alerts.articles import article_header, iso, project_article
from streams.alerts.rules import Context, Hit, rule_id

if TYPE_CHECKING:
    from streams.alerts.subscriptions import Subscription

SCHEMA_ALERT = "alert.v1"

Match = dict[str, Any]


def fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def match_fingerprint(subscription_id: str, hit: Hit, article_id: str) -> str:
    return fingerprint(subscription_id, rule_id(hit.rule), article_id, hit.target_key)


def match(
    subscription: Subscription, article: Mapping[str, Any], signals: Mapping[str, Any] | None = None
) -> list[Match]:
    """The matches of ``subscription`` in ``article`` (an enriched article or its projection).

    ``signals`` are the article's shift/spike signals (``AlertEngine.observe``); without them shift
    and spike rules cannot hold.
    """
    if "body" in article:
        article = project_article(article)
    hits = subscription.rule.evaluate(Context(article, signals or {}))
    if not hits:
        return []
    matches: dict[str, Match] = {}
    for hit in hits:
        fp = match_fingerprint(subscription.id, hit, article["article_id"])
        if fp in matches:  # the same leaf reached twice (e.g. any(X, X)): one match
            continue
        matches[fp] = {
            "kind": hit.kind,
            "rule": dict(hit.rule),
            "path": hit.path,
            "fingerprint": fp,
            "target": hit.target,
            "holder": hit.holder,
            "stance": hit.stance,
            "evidence": hit.evidence,
            "scores": hit.scores,
        }
        if hit.position is not None:
            matches[fp]["position"] = hit.position
    return list(matches.values())


def _evidence(matches: Sequence[Match]) -> list[dict[str, Any]]:
    seen: dict[tuple[int, int, str], dict[str, Any]] = {}
    for m in matches:
        for item in m["evidence"]:
            seen.setdefault((item["start"], item["end"], item["kind"]), item)
    return [seen[key] for key in sorted(seen)]


def _scores(matches: Sequence[Match]) -> dict[str, Any]:
    confidences = [m["stance"]["confidence"] for m in matches if m.get("stance")]
    sentiments = [m["stance"]["sentiment"] for m in matches if m.get("stance")]
    return {
        "matches": len(matches),
        "max_confidence": max(confidences) if confidences else None,
        "mean_sentiment": round(sum(sentiments) / len(sentiments), 6) if sentiments else None,
    }


def build_alert(
    subscription: Subscription, article: Mapping[str, Any], matches: Sequence[Match], now: datetime
) -> dict[str, Any]:
    """One ``alert.v1`` (kind ``match``) for all of a subscription's new matches in one article."""
    fingerprints = sorted(m["fingerprint"] for m in matches)
    return {
        "schema": SCHEMA_ALERT,
        "kind": "match",
        "fingerprint": fingerprint(subscription.id, article["article_id"], *fingerprints),
        "subscription_id": subscription.id,
        "subscription_name": subscription.name,
        "rule": dict(subscription.rule.doc),
        "article_id": article["article_id"],
        "article": article_header(article),
        "matches": list(matches),
        "evidence": _evidence(matches),
        "scores": _scores(matches),
        "created_at": iso(now),
        "digest": None,
    }


ITEM_FIELDS = ("fingerprint", "article_id", "article", "matches", "evidence", "scores", "created_at")


def build_digest(
    subscription: Subscription,
    items: Sequence[Mapping[str, Any]],
    *,
    minutes: float,
    dropped: int,
    now: datetime,
) -> dict[str, Any]:
    """The digest alert: the newest held alert on top, carrying every held one in ``digest.items``."""
    latest = items[-1]
    return {
        **{name: latest[name] for name in ITEM_FIELDS},
        "schema": SCHEMA_ALERT,
        "kind": "digest",
        "fingerprint": fingerprint(subscription.id, "digest", *(item["fingerprint"] for item in items)),
        "subscription_id": subscription.id,
        "subscription_name": subscription.name,
        "rule": dict(subscription.rule.doc),
        "created_at": iso(now),
        "digest": {
            "count": len(items),
            "minutes": minutes,
            "since": items[0]["created_at"],
            "dropped": dropped,
            "items": [{name: item[name] for name in ITEM_FIELDS} for item in items],
        },
    }


def as_item(alert: Mapping[str, Any]) -> dict[str, Any]:
    return {name: alert[name] for name in ITEM_FIELDS}


def new_matches(matches: Iterable[Match], seen: Mapping[str, Any]) -> list[Match]:
    return [m for m in matches if m["fingerprint"] not in seen]
