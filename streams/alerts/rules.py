"""The rule kinds and their combinators, compiled once from a subscription's JSON. Pure.

A rule is evaluated on a compact article (``streams.alerts.articles.project_article``) and the
article's *signals* (what the shift and spike state said when the article arrived, see
``streams.alerts.state``). A leaf returns its hits, or None when it does not hold; ``all`` / ``any``
return the union of their children's hits; ``not`` holds when its child does not and adds no hit.
A rule must be able to hold through at least one un-negated leaf, so a holding rule always has hits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

LEAF_KINDS = ("entity", "stance", "sentiment", "shift", "spike", "position")
KINDS = (*LEAF_KINDS, "all", "any", "not")
MAX_DEPTH = 6
MAX_LEAVES = 50
DEFAULT_MIN_OBSERVATIONS = 2
DEFAULT_SPIKE_FACTOR = 3.0
DEFAULT_SPIKE_MIN_COUNT = 3


class RuleError(ValueError):
    """A rule that cannot be used, with where and why in one sentence."""


def canonical(doc: Any) -> bytes:
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def rule_id(doc: Mapping[str, Any]) -> str:
    """A short stable id of a rule's JSON: part of every match fingerprint."""
    return hashlib.sha256(canonical(doc)).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Ref:
    """An entity reference: a canonical id, a Wikidata id, or a name (case-insensitive)."""

    text: str

    def matches(self, entity_id: str | None, name: str | None, wikidata: str | None = None) -> bool:
        if self.text == entity_id or (wikidata and self.text == wikidata):
            return True
        return bool(name) and self.text.casefold() == str(name).casefold()


@dataclass(slots=True)
class Hit:
    """One leaf's finding in one article, before it is fingerprinted into a ``Match``."""

    kind: str
    rule: Mapping[str, Any]
    path: str
    target_key: str
    target: dict[str, Any] | None
    holder: dict[str, Any] | None = None
    stance: dict[str, Any] | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    scores: dict[str, Any] = field(default_factory=dict)
    position: dict[str, Any] | None = None  # position rules: the flip with both sides' evidence


@dataclass(slots=True)
class Context:
    article: Mapping[str, Any]
    signals: Mapping[str, Any]

    def entity(self, entity_id: str) -> Mapping[str, Any] | None:
        for entity in self.article.get("entities") or []:
            if entity["id"] == entity_id:
                return entity
        return None

    def wikidata(self, entity_id: str) -> str | None:
        entity = self.entity(entity_id)
        return entity.get("wikidata") if entity else None

    def mention_evidence(self, entity_id: str) -> list[dict[str, Any]]:
        entity = self.entity(entity_id)
        if entity is None:
            return []
        return [{**m, "kind": "mention"} for m in entity.get("mentions") or []]


def _party(entity_id: str, name: str | None, kind: str | None = None) -> dict[str, Any]:
    return {"id": entity_id, "name": name, "type": kind}


def _stance_evidence(stance: Mapping[str, Any]) -> dict[str, Any]:
    return {**stance["evidence"], "kind": "stance", "context": None}


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)


class Rule:
    kind: str
    doc: Mapping[str, Any]
    path: str

    def evaluate(self, ctx: Context) -> list[Hit] | None:
        raise NotImplementedError

    @property
    def positive(self) -> bool:
        """Can this rule hold through an un-negated leaf (and so produce a hit)?"""
        return True


@dataclass(slots=True)
class EntityRule(Rule):
    doc: Mapping[str, Any]
    path: str
    ref: Ref
    min_mentions: int = 1
    kind: str = "entity"

    def evaluate(self, ctx: Context) -> list[Hit] | None:
        hits = []
        for entity in ctx.article.get("entities") or []:
            if entity["count"] >= self.min_mentions and self.ref.matches(
                entity["id"], entity.get("name"), entity.get("wikidata")
            ):
                hits.append(
                    Hit(
                        kind=self.kind,
                        rule=self.doc,
                        path=self.path,
                        target_key=entity["id"],
                        target=_party(entity["id"], entity.get("name"), entity.get("type")),
                        evidence=ctx.mention_evidence(entity["id"]),
                        scores={"mentions": entity["count"]},
                    )
                )
        return hits or None


@dataclass(slots=True)
class StanceRule(Rule):
    doc: Mapping[str, Any]
    path: str
    holder: Ref | None = None
    target: Ref | None = None
    polarity: str | None = None
    min_confidence: float = 0.0
    below: float | None = None
    above: float | None = None
    kind: str = "stance"

    def _selects(self, ctx: Context, stance: Mapping[str, Any]) -> bool:
        if stance["confidence"] < self.min_confidence:
            return False
        if self.polarity is not None and stance["polarity"] != self.polarity:
            return False
        if self.holder is not None and not self.holder.matches(
            stance["holder"], stance.get("holder_name"), ctx.wikidata(stance["holder"])
        ):
            return False
        if self.target is not None and not self.target.matches(
            stance["target"], stance.get("target_name"), ctx.wikidata(stance["target"])
        ):
            return False
        if self.below is not None and not stance["sentiment"] <= self.below:
            return False
        return not (self.above is not None and not stance["sentiment"] >= self.above)

    def evaluate(self, ctx: Context) -> list[Hit] | None:
        hits = []
        for stance in ctx.article.get("stances") or []:
            if not self._selects(ctx, stance):
                continue
            scores: dict[str, Any] = {"confidence": stance["confidence"], "sentiment": stance["sentiment"]}
            if self.below is not None:
                scores["threshold"] = self.below
            if self.above is not None:
                scores["threshold"] = self.above
            hits.append(
                Hit(
                    kind=self.kind,
                    rule=self.doc,
                    path=self.path,
                    target_key=f"{stance['holder']}>{stance['target']}@{stance['evidence']['start']}",
                    target=_party(stance["target"], stance.get("target_name")),
                    holder=_party(stance["holder"], stance.get("holder_name")),
                    stance={k: stance[k] for k in ("polarity", "sentiment", "confidence", "cue")},
                    evidence=[_stance_evidence(stance)],
                    scores=scores,
                )
            )
        return hits or None


@dataclass(slots=True)
class ShiftRule(Rule):
    doc: Mapping[str, Any]
    path: str
    target: Ref
    delta: float
    holder: Ref | None = None
    min_observations: int = DEFAULT_MIN_OBSERVATIONS
    kind: str = "shift"

    def evaluate(self, ctx: Context) -> list[Hit] | None:
        hits = []
        for signal in ctx.signals.get("shift") or []:
            if not self.target.matches(
                signal["target"], signal.get("target_name"), ctx.wikidata(signal["target"])
            ):
                continue
            if self.holder is not None and not self.holder.matches(
                signal["holder"], signal.get("holder_name"), ctx.wikidata(signal["holder"])
            ):
                continue
            before, after = signal.get("before"), signal["after"]
            if before is None or signal["observations"] < self.min_observations:
                continue
            change = after - before
            flipped = _sign(before) * _sign(after) < 0
            if not flipped and abs(change) < self.delta:
                continue
            evidence = [
                _stance_evidence(s)
                for s in ctx.article.get("stances") or []
                if s["holder"] == signal["holder"] and s["target"] == signal["target"]
            ]
            hits.append(
                Hit(
                    kind=self.kind,
                    rule=self.doc,
                    path=self.path,
                    target_key=f"{signal['holder']}>{signal['target']}",
                    target=_party(signal["target"], signal.get("target_name")),
                    holder=_party(signal["holder"], signal.get("holder_name")),
                    evidence=evidence,
                    scores={
                        "before": round(before, 6),
                        "after": round(after, 6),
                        "change": round(change, 6),
                        "sentiment": round(signal["sentiment"], 6),
                        "observations": signal["observations"],
                        "window": signal["window"],
                        "flipped": 1 if flipped else 0,
                    },
                )
            )
        return hits or None


@dataclass(slots=True)
class PositionRule(Rule):
    """Holds when this article flipped the holder's position on the target (``streams.stories.positions``:
    counts, a smoothed score and hysteresis over articles). The flips are the article's ``position``
    signals, recorded when it was first seen."""

    doc: Mapping[str, Any]
    path: str
    target: Ref
    holder: Ref | None = None
    kind: str = "position"

    def evaluate(self, ctx: Context) -> list[Hit] | None:
        hits = []
        for flip in ctx.signals.get("position") or []:
            holder, target = flip["holder"], flip["target"]
            if not self.target.matches(target["id"], target.get("name"), ctx.wikidata(target["id"])):
                continue
            if self.holder is not None and not self.holder.matches(
                holder["id"], holder.get("name"), ctx.wikidata(holder["id"])
            ):
                continue
            hits.append(
                Hit(
                    kind=self.kind,
                    rule=self.doc,
                    path=self.path,
                    target_key=f"{holder['id']}>{target['id']}",
                    target=_party(target["id"], target.get("name")),
                    holder=_party(holder["id"], holder.get("name")),
                    evidence=[
                        _stance_evidence(s)
                        for s in ctx.article.get("stances") or []
                        if s["holder"] == holder["id"] and s["target"] == target["id"]
                    ],
                    scores={
                        "score": flip["score"],
                        "from": flip["from"],
                        "to": flip["to"],
                        "support": flip["counts"].get("support", 0),
                        "oppose": flip["counts"].get("oppose", 0),
                        "neutral": flip["counts"].get("neutral", 0),
                        "since": flip.get("since"),
                    },
                    position={k: flip[k] for k in ("from", "to", "before", "after")},
                )
            )
        return hits or None


@dataclass(slots=True)
class SpikeRule(Rule):
    doc: Mapping[str, Any]
    path: str
    ref: Ref
    factor: float = DEFAULT_SPIKE_FACTOR
    min_count: int = DEFAULT_SPIKE_MIN_COUNT
    kind: str = "spike"

    def evaluate(self, ctx: Context) -> list[Hit] | None:
        hits = []
        for signal in ctx.signals.get("spike") or []:
            if not self.ref.matches(signal["entity"], signal.get("name"), ctx.wikidata(signal["entity"])):
                continue
            threshold = max(float(self.min_count), self.factor * signal["baseline"])
            # Edge-triggered: only the article that lifts the window's count over the threshold.
            if not signal["previous"] < threshold <= signal["count"]:
                continue
            baseline = signal["baseline"]
            hits.append(
                Hit(
                    kind=self.kind,
                    rule=self.doc,
                    path=self.path,
                    target_key=f"{signal['entity']}@{signal['window_start']}",
                    target=_party(signal["entity"], signal.get("name"), signal.get("type")),
                    evidence=ctx.mention_evidence(signal["entity"]),
                    scores={
                        "count": signal["count"],
                        "baseline": round(baseline, 6),
                        "baseline_windows": signal["baseline_windows"],
                        "threshold": round(threshold, 6),
                        "ratio": round(signal["count"] / baseline, 6) if baseline else None,
                        "window_start": signal["window_start"],
                        "window_end": signal["window_end"],
                    },
                )
            )
        return hits or None


@dataclass(slots=True)
class GroupRule(Rule):
    doc: Mapping[str, Any]
    path: str
    kind: str
    rules: Sequence[Rule]

    def evaluate(self, ctx: Context) -> list[Hit] | None:
        hits: list[Hit] = []
        held = 0
        for rule in self.rules:
            found = rule.evaluate(ctx)
            if found is None:
                if self.kind == "all":
                    return None
                continue
            held += 1
            hits.extend(found)
        return hits if held else None

    @property
    def positive(self) -> bool:
        if self.kind == "all":
            return any(rule.positive for rule in self.rules)
        return all(rule.positive for rule in self.rules)


@dataclass(slots=True)
class NotRule(Rule):
    doc: Mapping[str, Any]
    path: str
    rule: Rule
    kind: str = "not"

    def evaluate(self, ctx: Context) -> list[Hit] | None:
        return [] if self.rule.evaluate(ctx) is None else None

    @property
    def positive(self) -> bool:
        return False


def _ref(doc: Mapping[str, Any], name: str, path: str, *, required: bool = False) -> Ref | None:
    value = doc.get(name)
    if value is None:
        if required:
            raise RuleError(f"at {path}: '{name}' is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise RuleError(f"at {path}/{name}: must be a non-empty entity id or name")
    return Ref(value.strip())


def _number(
    doc: Mapping[str, Any], name: str, path: str, default: float | None, low: float, high: float
) -> Any:
    value = doc.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise RuleError(f"at {path}/{name}: must be a number from {low} to {high}, got {value!r}")
    return value


class _Budget:
    def __init__(self) -> None:
        self.leaves = 0


def _compile(doc: Any, path: str, depth: int, budget: _Budget) -> Rule:
    if not isinstance(doc, Mapping):
        raise RuleError(f"at {path}: a rule must be a JSON object")
    kind = doc.get("kind")
    if kind not in KINDS:
        raise RuleError(f"at {path}/kind: unknown rule kind {kind!r}; known kinds: {', '.join(KINDS)}")
    if depth > MAX_DEPTH:
        raise RuleError(f"at {path}: rules nest at most {MAX_DEPTH} deep")
    if kind in LEAF_KINDS:
        budget.leaves += 1
        if budget.leaves > MAX_LEAVES:
            raise RuleError(f"at {path}: a subscription has at most {MAX_LEAVES} conditions")
    if kind == "entity":
        min_mentions = _number(doc, "min_mentions", path, 1, 1, 1000)
        return EntityRule(doc, path, _ref(doc, "entity", path, required=True), int(min_mentions))  # type: ignore[arg-type]
    if kind == "stance":
        holder, target = _ref(doc, "holder", path), _ref(doc, "target", path)
        polarity = doc.get("polarity")
        if polarity is not None and polarity not in ("support", "oppose", "neutral"):
            raise RuleError(f"at {path}/polarity: must be support, oppose or neutral, got {polarity!r}")
        if holder is None and target is None and polarity is None:
            raise RuleError(f"at {path}: a stance rule needs at least one of holder, target, polarity")
        return StanceRule(
            doc, path, holder, target, polarity, _number(doc, "min_confidence", path, 0.0, 0, 1)
        )
    if kind == "sentiment":
        below = _number(doc, "below", path, None, -1, 1)
        above = _number(doc, "above", path, None, -1, 1)
        if (below is None) == (above is None):
            raise RuleError(f"at {path}: a sentiment rule needs exactly one of 'below' or 'above'")
        return StanceRule(
            doc,
            path,
            holder=_ref(doc, "holder", path),
            target=_ref(doc, "target", path, required=True),
            min_confidence=_number(doc, "min_confidence", path, 0.0, 0, 1),
            below=below,
            above=above,
            kind="sentiment",
        )
    if kind == "shift":
        delta = _number(doc, "delta", path, None, 0, 2)
        if delta is None or delta <= 0:
            raise RuleError(f"at {path}/delta: must be a number above 0 and at most 2")
        return ShiftRule(
            doc,
            path,
            target=_ref(doc, "target", path, required=True),  # type: ignore[arg-type]
            delta=float(delta),
            holder=_ref(doc, "holder", path),
            min_observations=int(_number(doc, "min_observations", path, DEFAULT_MIN_OBSERVATIONS, 1, 100)),
        )
    if kind == "spike":
        return SpikeRule(
            doc,
            path,
            _ref(doc, "entity", path, required=True),  # type: ignore[arg-type]
            factor=float(_number(doc, "factor", path, DEFAULT_SPIKE_FACTOR, 1, 1000)),
            min_count=int(_number(doc, "min_count", path, DEFAULT_SPIKE_MIN_COUNT, 1, 100_000)),
        )
    if kind == "position":
        return PositionRule(
            doc,
            path,
            target=_ref(doc, "target", path, required=True),  # type: ignore[arg-type]
            holder=_ref(doc, "holder", path),
        )
    if kind == "not":
        return NotRule(doc, path, _compile(doc.get("rule"), f"{path}.rule", depth + 1, budget))
    children = doc.get("rules")
    if not isinstance(children, list) or not children:
        raise RuleError(f"at {path}/rules: '{kind}' needs a non-empty list of rules")
    return GroupRule(
        doc,
        path,
        kind,
        [_compile(child, f"{path}.rules[{i}]", depth + 1, budget) for i, child in enumerate(children)],
    )


def compile_rule(doc: Any) -> Rule:
    """Parse and check a rule tree (the JSON Schema already checked its shape; this checks meaning)."""
    rule = _compile(doc, "rule", 0, _Budget())
    if not rule.positive:
        raise RuleError(
            "at rule: the rule can hold without any un-negated condition (it would alert on almost every"
            " article); combine 'not' with a positive condition under 'all'"
        )
    return rule


def leaves(rule: Rule) -> Iterator[Rule]:
    """Every leaf rule of a rule tree, negated ones included."""
    if isinstance(rule, GroupRule):
        for child in rule.rules:
            yield from leaves(child)
    elif isinstance(rule, NotRule):
        yield from leaves(rule.rule)
    else:
        yield rule
