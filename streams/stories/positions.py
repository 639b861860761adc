"""Positions over time: per (holder, target) a running record of stances across articles, and the
flips worth an alert. Pure; a record is a plain JSON document.

One article is one observation of a pair: its stances toward the target, each support +1, oppose −1,
neutral 0, weighted by confidence and averaged. The record keeps counts by polarity, a smoothed score
(exponential moving average, ``alpha`` the weight of the newest observation), the newest evidence of
each side and the last evidence.

A holder *has* a position once the score is past ``threshold`` on one side with at least
``min_evidence`` observations of that side among the last ``window``. It **flips** only when the
score crosses past ``threshold`` on the other side **and** the other side also has ``min_evidence``
observations among the last ``window``: two locks, so one stray sentence — which can swing the score
— never flips it alone. A flip is returned with the evidence of both sides.

The record keeps its last ``HISTORY_KEPT`` observations in date order and walks them from the start
on every article, so a late article (dated before others already seen) takes its place by date; an
article alerts only when, in date order, the position the record ends with is no longer the one it
ended with before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SIDES = {"support": 1.0, "oppose": -1.0, "neutral": 0.0}
EVIDENCE_KEPT = 3
SEEN_KEPT = 200
HISTORY_KEPT = 100  # observations kept in date order (older ones only in the counts)


@dataclass(frozen=True, slots=True)
class PositionConfig:
    alpha: float = 0.5
    threshold: float = 0.3
    min_evidence: int = 2
    window: int = 5


def observation(stances: Sequence[Mapping[str, Any]]) -> float:
    """One article's stances on one pair as a value in [−1, 1]."""
    weights = [max(float(s.get("confidence") or 0.0), 1e-3) for s in stances]
    values = [SIDES.get(s.get("polarity") or "neutral", 0.0) for s in stances]
    return sum(w * v for w, v in zip(weights, values, strict=True)) / sum(weights)


def side_of(value: float) -> str:
    return "support" if value > 0 else "oppose" if value < 0 else "neutral"


def empty(holder: Mapping[str, Any], target: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "holder": dict(holder),
        "target": dict(target),
        "counts": {"support": 0, "oppose": 0, "neutral": 0},
        "observations": 0,
        "score": None,
        "position": None,
        "since": None,
        "recent": [],
        "evidence": {"support": [], "oppose": []},
        "last": None,
        "history": [],
        "dropped": {"support": 0, "oppose": 0, "neutral": 0},
        "seen": [],
    }


def _derive(
    history: Sequence[Mapping[str, Any]], dropped: Mapping[str, int], config: PositionConfig
) -> dict[str, Any]:
    """The record's figures from its observations in date order (the hysteresis walked from the start),
    so that a late article takes its place by date instead of counting as the newest."""
    counts = {k: int(v) for k, v in dropped.items()}
    score: float | None = None
    recent: list[str] = []
    kept: dict[str, list[dict[str, Any]]] = {"support": [], "oppose": []}
    position: str | None = None
    since = None
    for item in history:
        for polarity, n in item["counts"].items():
            counts[polarity] = counts.get(polarity, 0) + int(n)
        value = float(item["evidence"]["value"])
        side = item["evidence"]["polarity"]
        score = value if score is None else config.alpha * value + (1 - config.alpha) * score
        recent = [*recent, side][-config.window :]
        if side in kept:
            kept[side] = [*kept[side], dict(item["evidence"])][-EVIDENCE_KEPT:]
        leaning = "support" if score >= config.threshold else "oppose" if score <= -config.threshold else None
        if leaning is not None and leaning != position and recent.count(leaning) >= config.min_evidence:
            position, since = leaning, item["evidence"].get("time")
    return {
        "counts": counts,
        "score": None if score is None else round(score, 6),
        "position": position,
        "since": since,
        "recent": recent,
        "evidence": kept,
        "last": dict(history[-1]["evidence"]) if history else None,
    }


def observe_position(
    record: Mapping[str, Any] | None,
    *,
    holder: Mapping[str, Any],
    target: Mapping[str, Any],
    stances: Sequence[Mapping[str, Any]],
    article: Mapping[str, Any],
    config: PositionConfig,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Add one article's stances of ``holder`` on ``target``. Returns the new record and the flip
    (None when the position held). ``article`` is its header: article_id, time, title, outlet.
    The same article twice is counted once (a replay); a late article takes its place by date, and
    alerts only if, in date order, it changes the position the record ends with."""
    doc = dict(record) if record else empty(holder, target)
    if article["article_id"] in doc["seen"]:
        return doc, None
    value = observation(stances)
    side = side_of(value)
    counts: dict[str, int] = {}
    for s in stances:
        polarity = s.get("polarity") or "neutral"
        counts[polarity] = counts.get(polarity, 0) + 1
    # the stance that speaks loudest for this article's side is its evidence
    best = max(
        stances,
        key=lambda s: (SIDES.get(s.get("polarity") or "neutral", 0.0) * value, s.get("confidence") or 0),
    )
    evidence = {
        "article_id": article["article_id"],
        "time": article.get("time"),
        "title": article.get("title"),
        "outlet": article.get("outlet"),
        "polarity": side,
        "value": round(value, 4),
        "text": (best.get("evidence") or {}).get("text", ""),
    }
    before, held_since = doc["position"], doc["since"]
    history = [*doc["history"], {"counts": counts, "evidence": evidence}]
    history.sort(key=lambda item: (item["evidence"].get("time") or "", item["evidence"]["article_id"]))
    dropped = dict(doc["dropped"])
    for item in history[:-HISTORY_KEPT]:  # the oldest leave the window; their counts stay
        for polarity, n in item["counts"].items():
            dropped[polarity] = dropped.get(polarity, 0) + int(n)
    history = history[-HISTORY_KEPT:]
    derived = _derive(history, dropped, config)
    doc.update(
        derived,
        observations=int(doc["observations"]) + 1,
        history=history,
        dropped=dropped,
        seen=[*doc["seen"], article["article_id"]][-SEEN_KEPT:],
    )
    after = doc["position"]
    flip = None
    if (
        before is not None
        and after is not None
        and after != before
        and doc["counts"].get(before, 0) >= config.min_evidence
    ):
        flip = {
            "holder": dict(doc["holder"]),
            "target": dict(doc["target"]),
            "from": before,
            "to": after,
            "score": doc["score"],
            "counts": dict(doc["counts"]),
            "since": held_since,
            "before": list(doc["evidence"][before]),
            "after": list(doc["evidence"][after]),
        }
    return doc, flip
