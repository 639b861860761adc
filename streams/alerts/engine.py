"""The alerting engine: one article (or one tick) in, alerts out, state in five mappings. Pure.

The mappings are plain dicts in tests and Faust tables (with changelog topics) in the worker; the
engine only gets and sets keys, always assigning whole JSON values, so either works:

* ``articles``      article_id → the article's signals, recorded the first time it is seen
* ``shift``         "holder|target" → rolling sentiment history (``state.observe_shift``)
* ``spike``         entity_id → article counts per window (``state.observe_spike``)
* ``fingerprints``  match fingerprint → when and how it was handled: a replay never alerts twice
* ``digests``       subscription_id → held alerts (``digest``)
* ``story_alerts``  "subscription_id|story_id" → the story's first alert and the stances alerted on,
  for subscriptions ``per: story`` (``fold_into_story``)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from streams.alerts import digest
from streams.alerts.articles import iso, parse_time
from streams.alerts.match import build_alert, match, new_matches
from streams.alerts.rules import Ref, ShiftRule, SpikeRule, leaves
from streams.alerts.state import observe_shift, observe_spike
from streams.alerts.subscriptions import Subscription


@dataclass(frozen=True, slots=True)
class EngineConfig:
    shift_window: int = 5
    spike_window_s: int = 86_400
    spike_baseline_windows: int = 7
    digest_max_items: int = 100


@dataclass(slots=True)
class AlertState:
    articles: MutableMapping[str, Any]
    shift: MutableMapping[str, Any]
    spike: MutableMapping[str, Any]
    fingerprints: MutableMapping[str, Any]
    digests: MutableMapping[str, Any]
    story_alerts: MutableMapping[str, Any] = field(default_factory=dict)

    @classmethod
    def in_memory(cls) -> AlertState:
        return cls({}, {}, {}, {}, {}, {})


@dataclass(slots=True)
class Outcome:
    alerts: list[dict[str, Any]] = field(default_factory=list)
    muted: int = 0
    held: int = 0
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Watch:
    """The entities and (holder, target) pairs some subscription's spike or shift rule refers to: only
    their signals are kept with an article, so the per-article record stays small."""

    spikes: tuple[Ref, ...] = ()
    shifts: tuple[tuple[Ref | None, Ref], ...] = ()

    @classmethod
    def of(cls, subscriptions: Iterable[Subscription]) -> Watch:
        spikes: list[Ref] = []
        shifts: list[tuple[Ref | None, Ref]] = []
        for subscription in subscriptions:
            for leaf in leaves(subscription.rule):
                if isinstance(leaf, SpikeRule):
                    spikes.append(leaf.ref)
                elif isinstance(leaf, ShiftRule):
                    shifts.append((leaf.holder, leaf.target))
        return cls(tuple(spikes), tuple(shifts))

    def spike(self, entity: Mapping[str, Any]) -> bool:
        return any(
            ref.matches(entity["id"], entity.get("name"), entity.get("wikidata")) for ref in self.spikes
        )

    def shift(self, signal: Mapping[str, Any], wikidata: Mapping[str, str | None]) -> bool:
        return any(
            target.matches(signal["target"], signal.get("target_name"), wikidata.get(signal["target"]))
            and (
                holder is None
                or holder.matches(signal["holder"], signal.get("holder_name"), wikidata.get(signal["holder"]))
            )
            for holder, target in self.shifts
        )


class AlertEngine:
    def __init__(self, config: EngineConfig, state: AlertState) -> None:
        self.config = config
        self.state = state

    def observe(
        self, article: Mapping[str, Any], now: datetime, subscriptions: Iterable[Subscription] = ()
    ) -> dict[str, Any]:
        """The article's shift and spike signals.

        The first time an article is seen, every pair and entity in it updates the state, and the
        signals that some subscription's shift or spike rule is watching are recorded with the
        article; afterwards (a replay) the recorded ones are returned and the state is left alone.
        """
        known = self.state.articles.get(article["article_id"])
        if known is not None:
            return dict(known["signals"])
        watch = Watch.of(subscriptions)
        at = parse_time(article.get("time")) or now
        stamp = iso(at)
        signals: dict[str, list[dict[str, Any]]] = {"shift": [], "spike": []}
        wikidata = {e["id"]: e.get("wikidata") for e in article.get("entities") or []}

        by_pair: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
        for stance in article.get("stances") or []:
            by_pair[(stance["holder"], stance["target"])].append(stance)
        for (holder, target), stances in sorted(by_pair.items()):
            key = f"{holder}|{target}"
            mean = sum(s["sentiment"] for s in stances) / len(stances)
            doc, signal = observe_shift(
                self.state.shift.get(key),
                at=stamp,
                article_id=article["article_id"],
                sentiment=mean,
                window=self.config.shift_window,
            )
            self.state.shift[key] = doc
            entry = {
                "holder": holder,
                "holder_name": stances[0].get("holder_name"),
                "target": target,
                "target_name": stances[0].get("target_name"),
                **signal,
            }
            if watch.shift(entry, wikidata):
                signals["shift"].append(entry)
        for entity in article.get("entities") or []:
            doc, signal = observe_spike(
                self.state.spike.get(entity["id"]),
                at=at,
                window_s=self.config.spike_window_s,
                baseline_windows=self.config.spike_baseline_windows,
            )
            self.state.spike[entity["id"]] = doc
            if watch.spike(entity):
                signals["spike"].append(
                    {"entity": entity["id"], "name": entity.get("name"), "type": entity.get("type"), **signal}
                )
        self.state.articles[article["article_id"]] = {"signals": signals, "seen_at": iso(now)}
        return signals

    def on_article(
        self,
        article: Mapping[str, Any],
        subscriptions: Iterable[Subscription],
        now: datetime,
        *,
        story: Mapping[str, Any] | None = None,
        positions: list[dict[str, Any]] | None = None,
    ) -> Outcome:
        """``story`` (``{"story_id": ...}``) and ``positions`` (the flips this article caused) come from
        ``streams.stories.StoryDesk``; without them per-story subscriptions alert per article and
        position rules cannot hold."""
        subscriptions = list(subscriptions)
        outcome = Outcome(replayed=article["article_id"] in self.state.articles)
        signals = self.observe(article, now, subscriptions)
        if positions:
            signals = {**signals, "position": positions}
        for subscription in subscriptions:
            fresh = new_matches(match(subscription, article, signals), self.state.fingerprints)
            if not fresh:
                continue
            alert = build_alert(subscription, article, fresh, now)
            if subscription.per == "story" and story is not None:
                alert = self.fold_into_story(subscription, story["story_id"], alert)
            decision = digest.admit(
                subscription,
                alert,
                self.state.digests.get(subscription.id),
                now=now,
                max_items=self.config.digest_max_items,
            )
            for m in fresh:
                self.state.fingerprints[m["fingerprint"]] = {
                    "at": iso(now),
                    "subscription": subscription.id,
                    "article": article["article_id"],
                    "outcome": decision.outcome,
                }
            if decision.state is not None:
                self.state.digests[subscription.id] = decision.state
            outcome.alerts.extend(decision.send)
            outcome.muted += decision.outcome == "muted"
            outcome.held += decision.outcome == "held"
        return outcome

    def fold_into_story(
        self, subscription: Subscription, story_id: str, alert: dict[str, Any]
    ) -> dict[str, Any]:
        """A per-story subscription's alert: the story's first is sent as it is; a later one becomes an
        ``update`` of it, unless it brings a stance (holder, target, polarity) none of the story's
        alerts had, which is news of its own and stays a ``match``."""
        key = f"{subscription.id}|{story_id}"
        record = self.state.story_alerts.get(key)
        stances = sorted(
            {
                f"{m['holder']['id']}>{m['target']['id']}:{m['stance']['polarity']}"
                for m in alert["matches"]
                if m.get("stance") and m.get("holder") and m.get("target")
            }
        )
        if record is None:
            record = {"alert": alert["fingerprint"], "stances": stances, "articles": 1}
        else:
            new = [s for s in stances if s not in record["stances"]]
            if not new:
                alert = {**alert, "kind": "update"}
            record = {
                "alert": record["alert"],
                "stances": sorted({*record["stances"], *new}),
                "articles": int(record["articles"]) + 1,
            }
        self.state.story_alerts[key] = record
        return {
            **alert,
            "story": {"story_id": story_id, "alert": record["alert"], "articles": record["articles"]},
        }

    def on_tick(self, subscriptions: Iterable[Subscription], now: datetime) -> Outcome:
        """Send held digests that are due; forget the digest state of deleted subscriptions."""
        outcome = Outcome()
        by_id = {s.id: s for s in subscriptions}
        for subscription_id in list(self.state.digests.keys()):
            subscription = by_id.get(subscription_id)
            if subscription is None:
                del self.state.digests[subscription_id]
                continue
            decision = digest.tick(subscription, self.state.digests.get(subscription_id), now=now)
            if decision.state is not None:
                self.state.digests[subscription_id] = decision.state
            outcome.alerts.extend(decision.send)
        return outcome
