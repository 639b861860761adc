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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SIDES = {"support": 1.0, "oppose": -1.0, "neutral": 0.0}
EVIDENCE_KEPT = 3
SEEN_KEPT = 200


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
        "seen": [],
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
    The same article twice is counted once (a replay)."""
    doc = dict(record) if record else empty(holder, target)
    if article["article_id"] in doc["seen"]:
        return doc, None
    value = observation(stances)
    side = side_of(value)
    counts = dict(doc["counts"])
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
    score = value if doc["score"] is None else config.alpha * value + (1 - config.alpha) * doc["score"]
    recent = [*doc["recent"], side][-config.window :]
    kept = {k: list(v) for k, v in doc["evidence"].items()}
    if side in kept:
        kept[side] = [*kept[side], evidence][-EVIDENCE_KEPT:]
    doc.update(
        counts=counts,
        observations=int(doc["observations"]) + 1,
        score=round(score, 6),
        recent=recent,
        evidence=kept,
        last=evidence,
        seen=[*doc["seen"], article["article_id"]][-SEEN_KEPT:],
    )

    leaning = "support" if score >= config.threshold else "oppose" if score <= -config.threshold else None
    backed = leaning is not None and recent.count(leaning) >= config.min_evidence
    flip = None
    if doc["position"] is None:
        if backed:
            doc.update(position=leaning, since=article.get("time"))
    elif backed and leaning != doc["position"]:
        before = doc["position"]
        if counts.get(before, 0) >= config.min_evidence:
            flip = {
                "holder": dict(doc["holder"]),
                "target": dict(doc["target"]),
                "from": before,
                "to": leaning,
                "score": doc["score"],
                "counts": dict(counts),
                "since": doc["since"],
                "before": list(kept[before]),
                "after": list(kept[leaning]) if leaning else [],
            }
        doc.update(position=leaning, since=article.get("time"))
    return doc, flip
