"""Story assignment: each article joins an open story or opens one. Pure; state in plain mappings.

An article joins a story

* as a **near-duplicate** of one of its articles: the estimated Jaccard similarity of their word
  shingles (MinHash) is at least ``near_duplicate``; candidates come from LSH band buckets, so an
  article is compared only with the few that share a band, not with every open story; or
* by **entities and time**: it shares at least ``min_shared_entities`` of its main entities with the
  story's main entities, they cover at least ``min_entity_overlap`` of the smaller of the two lists,
  and the story's newest article is at most ``entity_window_s`` away (a rewrite keeps the who and the
  when, not the words).

A story is open while its newest article is less than ``quiet_s`` old (the article's own time, so a
dated replay behaves like the days it describes); afterwards it never takes another article, and
the same entities a week later make a new story.

State. The record (plain dicts in tests, Faust tables with changelogs in the worker; values are
whole JSON documents, always reassigned):

* ``articles``  article_id → {story, time, signature, entities, joined_by, similarity}: membership,
  and what a replay of the article is answered with (it never moves or counts twice)
* ``stories``   story_id → the story's summary (``summary`` below)

and three indexes derived from it, plain dicts kept in memory and rebuilt from the record by
``StoryIndex.reindex`` when a worker (re)gains the state. Derived, they cost no changelog writes: as
tables they were ~45 of the ~50 changelog records an article wrote (32 LSH bands alone), all
replayed on every restart.

* ``bands``     "<band>:<hash>" → [[article_id, time], ...] open articles whose signature has that band
* ``entities``  entity_id → [[story_id, last time], ...] open stories that have it as a main entity
* ``frequency`` entity_id (and ``COUNT_KEY`` for all articles) → {"days": {"YYYY-MM-DD": articles}}
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from streams.alerts.articles import iso, parse_time
from streams.stories.sketch import jaccard

SCHEMA_STORY = "story.v1"
STORY_ENTITIES = 8  # main entities a story keeps (by summed weight over its articles)
STORY_ARTICLES_KEPT = 50  # newest member ids kept in the summary
COUNT_KEY = "*"  # the frequency document of all articles


@dataclass(frozen=True, slots=True)
class StoryConfig:
    quiet_s: float = 3 * 86_400
    near_duplicate: float = 0.5
    bands: int = 32
    min_shared_entities: int = 2
    min_entity_overlap: float = 0.6
    entity_window_s: float = 86_400
    # Entities that are a main entity of more than this share of the articles of the last
    # ``common_days`` days (once there are ``common_min_articles`` of them) say nothing about which
    # story an article belongs to — on a campaign wire, the two nominees are in half of everything —
    # and are left out of the entity rule.
    common_share: float = 0.05
    common_days: int = 30
    common_min_articles: int = 50

    @classmethod
    def from_settings(cls, settings: Any) -> StoryConfig:
        """From ``streams.settings.Settings`` (its ``story_*`` fields)."""
        return cls(
            quiet_s=settings.story_quiet_s,
            near_duplicate=settings.story_near_duplicate,
            min_shared_entities=settings.story_min_shared_entities,
            min_entity_overlap=settings.story_min_entity_overlap,
            entity_window_s=settings.story_entity_window_s,
            common_share=settings.story_common_share,
            common_days=settings.story_common_days,
            common_min_articles=settings.story_common_min_articles,
        )


@dataclass(slots=True)
class StoryState:
    # the record: what survives a restart
    articles: MutableMapping[str, Any]
    stories: MutableMapping[str, Any]
    # indexes derived from the record (StoryIndex.reindex)
    bands: dict[str, Any] = field(default_factory=dict)
    entities: dict[str, Any] = field(default_factory=dict)
    # entity_id (and COUNT_KEY for all articles) → {"days": {"YYYY-MM-DD": articles}} over common_days
    frequency: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def in_memory(cls) -> StoryState:
        return cls({}, {})


@dataclass(slots=True)
class Assignment:
    story_id: str
    joined_by: str  # first | near_duplicate | entities
    similarity: float | None
    opened: bool
    replayed: bool = False
    events: list[dict[str, Any]] = field(default_factory=list)


def story_id_for(article_id: str) -> str:
    """A story is named after its first article: a replay from scratch gives the same ids."""
    return "story-" + hashlib.sha256(article_id.encode("utf-8")).hexdigest()[:16]


def band_keys(signature: Sequence[int], bands: int) -> list[str]:
    """LSH: the signature cut into ``bands`` bands of equal rows, each band hashed to one key. Two
    articles with Jaccard similarity s share at least one band with probability 1 − (1 − s^r)^b."""
    if not signature:
        return []
    rows = max(1, len(signature) // bands)
    keys = []
    for b in range(len(signature) // rows):
        chunk = ",".join(str(v) for v in signature[b * rows : (b + 1) * rows])
        keys.append(f"{b}:{hashlib.blake2b(chunk.encode(), digest_size=8).hexdigest()}")
    return keys


class StoryIndex:
    def __init__(self, config: StoryConfig, state: StoryState) -> None:
        self.config = config
        self.state = state

    def reindex(self) -> None:
        """Rebuild the derived indexes from the record, as ``assign`` would have left them: after a
        worker restarts or (re)gains the story partition, before its next article. ``assign`` prunes
        a key's entries whenever it writes the key, relative to the article written; the rebuild
        prunes each key relative to its newest entry, which is the same for articles that came in
        time order (and keeps what a dated replay, judged at its own time, may still join)."""
        bands: dict[str, list[list[str]]] = {}
        entities: dict[str, list[list[str]]] = {}
        counts: dict[str, dict[str, int]] = {}
        for article_id, doc in self.state.articles.items():
            if not isinstance(doc, Mapping) or not isinstance(doc.get("time"), str):
                continue
            when = doc["time"]
            for key in band_keys(list(doc.get("signature") or []), self.config.bands):
                bands.setdefault(key, []).append([article_id, when])
            day = when[:10]
            for key in (COUNT_KEY, *(e["id"] for e in doc.get("entities") or [])):
                days = counts.setdefault(key, {})
                days[day] = days.get(day, 0) + 1
        for story_id, summary in self.state.stories.items():
            if isinstance(summary, Mapping) and isinstance(summary.get("last_time"), str):
                for e in summary.get("entities") or []:
                    entities.setdefault(e["id"], []).append([story_id, summary["last_time"]])
        for index in (bands, entities):
            for key, items in index.items():
                if len(items) < 2:  # most band keys: nothing to prune or order
                    continue
                # iso() times: string order is time order (and, on a live wire, arrival order)
                items.sort(key=lambda item: (item[1], item[0]))
                newest = parse_time(items[-1][1])
                if newest is not None:
                    since = iso(newest - timedelta(seconds=self.config.quiet_s))
                    index[key] = [item for item in items if item[1] > since]
        frequency = {}
        for key, days in counts.items():
            horizon = (date.fromisoformat(max(days)) - timedelta(days=self.config.common_days)).isoformat()
            frequency[key] = {"days": {d: n for d, n in days.items() if d > horizon}}
        self.state.bands.clear()
        self.state.bands.update(bands)
        self.state.entities.clear()
        self.state.entities.update(entities)
        self.state.frequency.clear()
        self.state.frequency.update(frequency)

    def _open(self, last: str | None, at: datetime) -> bool:
        then = parse_time(last)
        return then is not None and abs((at - then).total_seconds()) < self.config.quiet_s

    def _near_duplicate(
        self, signature: Sequence[int], keys: list[str], at: datetime
    ) -> tuple[str, float] | None:
        best: tuple[str, float] | None = None
        checked: set[str] = set()
        for key in keys:
            for article_id, _time in self.state.bands.get(key) or []:
                if article_id in checked:
                    continue
                checked.add(article_id)
                member = self.state.articles.get(article_id)
                if member is None:
                    continue
                story = self.state.stories.get(member["story"])
                if story is None or not self._open(story["last_time"], at):
                    continue
                similarity = jaccard(signature, member["signature"])
                if similarity >= self.config.near_duplicate and (best is None or similarity > best[1]):
                    best = (member["story"], similarity)
        return best

    def _count(self, key: str, at: datetime) -> int:
        """Articles (with the entity, or all for COUNT_KEY) of the last ``common_days`` days."""
        days = (self.state.frequency.get(key) or {}).get("days") or {}
        since = (at - timedelta(days=self.config.common_days)).date().isoformat()
        return sum(n for day, n in days.items() if since < day <= at.date().isoformat())

    def _counted(self, key: str, at: datetime) -> None:
        doc = self.state.frequency.get(key) or {}
        days = dict(doc.get("days") or {})
        today = at.date().isoformat()
        days[today] = int(days.get(today, 0)) + 1
        newest = max(days)
        horizon = (
            (datetime.fromisoformat(newest) - timedelta(days=self.config.common_days)).date().isoformat()
        )
        self.state.frequency[key] = {"days": {d: n for d, n in days.items() if d > horizon}}

    def informative(self, entities: Sequence[Mapping[str, Any]], at: datetime) -> list[Mapping[str, Any]]:
        """The entities not too common on the wire lately to tell one story from another."""
        total = self._count(COUNT_KEY, at)
        if total < self.config.common_min_articles:
            return list(entities)
        return [e for e in entities if self._count(e["id"], at) <= self.config.common_share * total]

    def _by_entities(self, entities: Sequence[Mapping[str, Any]], at: datetime) -> tuple[str, float] | None:
        entities = self.informative(entities, at)
        mine = {e["id"] for e in entities}
        if len(mine) < self.config.min_shared_entities:
            return None
        candidates = {story_id for e in mine for story_id, _ in self.state.entities.get(e) or []}
        best: tuple[str, float] | None = None
        for story_id in sorted(candidates):
            story = self.state.stories.get(story_id)
            if story is None or not self._open(story["last_time"], at):
                continue
            last = parse_time(story["last_time"])
            if last is None or abs((at - last).total_seconds()) > self.config.entity_window_s:
                continue
            theirs = {e["id"] for e in self.informative(story["entities"], at)}
            shared = len(mine & theirs)
            overlap = shared / max(1, min(len(mine), len(theirs)))
            enough = shared >= self.config.min_shared_entities and overlap >= self.config.min_entity_overlap
            if enough and (best is None or overlap > best[1]):
                best = (story_id, overlap)
        return best

    def assign(self, article: Mapping[str, Any], sketch: Mapping[str, Any], now: datetime) -> Assignment:
        """Put ``article`` (its header: article_id, title, url, published, source) in a story and say
        what changed as ``story.v1`` events. A replay returns the recorded story and no events."""
        article_id = article["article_id"]
        known = self.state.articles.get(article_id)
        if known is not None:
            return Assignment(
                known["story"], known["joined_by"], known.get("similarity"), opened=False, replayed=True
            )
        at = parse_time(sketch.get("time")) or now
        stamp = iso(at)
        signature = list(sketch.get("signature") or [])
        entities = list(sketch.get("entities") or [])
        keys = band_keys(signature, self.config.bands)

        found = self._near_duplicate(signature, keys, at)
        joined_by = "near_duplicate"
        if found is None:
            found = self._by_entities(entities, at)
            joined_by = "entities"
        if found is None:
            story_id, similarity, joined_by = story_id_for(article_id), None, "first"
            story = None
        else:
            story_id, similarity = found
            story = self.state.stories.get(story_id)

        self._counted(COUNT_KEY, at)
        for e in entities:
            self._counted(e["id"], at)
        self.state.articles[article_id] = {
            "story": story_id,
            "time": stamp,
            "signature": signature,
            "entities": entities,
            "joined_by": joined_by,
            "similarity": similarity,
        }
        for key in keys:
            self.state.bands[key] = self._prune([*(self.state.bands.get(key) or []), [article_id, stamp]], at)
        summary = self._summarise(story, story_id, article, sketch, at)
        self.state.stories[story_id] = summary
        for e in summary["entities"]:
            kept = [item for item in self.state.entities.get(e["id"]) or [] if item[0] != story_id]
            self.state.entities[e["id"]] = self._prune([*kept, [story_id, summary["last_time"]]], at)

        entry = {
            "article_id": article_id,
            "title": article.get("title"),
            "url": article.get("url"),
            "published": article.get("published"),
            "outlet": sketch.get("outlet"),
            "time": stamp,
            "joined_by": joined_by,
            "similarity": None if similarity is None else round(similarity, 4),
        }
        common: dict[str, Any] = {"schema": SCHEMA_STORY, "story_id": story_id, "created_at": iso(now)}
        if story is None:
            events = [{**common, "type": "opened", "article": entry, "story": public(summary)}]
        else:
            events = [
                {**common, "type": "article_added", "article": entry, "story": None},
                {**common, "type": "updated", "article": None, "story": public(summary)},
            ]
        return Assignment(story_id, joined_by, similarity, opened=story is None, events=events)

    def _prune(self, items: list[list[Any]], at: datetime) -> list[list[Any]]:
        """Index entries of stories that can no longer take articles are dropped whenever the key is
        written again (later-dated ones are kept); one entry per id, the newest."""
        newest: dict[str, str] = {}
        for item_id, when in items:
            then = parse_time(when)
            if then is not None and (at - then).total_seconds() < self.config.quiet_s:
                newest[item_id] = max(when, newest.get(item_id, when))
        return [[item_id, when] for item_id, when in newest.items()]

    def _summarise(
        self,
        story: Mapping[str, Any] | None,
        story_id: str,
        article: Mapping[str, Any],
        sketch: Mapping[str, Any],
        at: datetime,
    ) -> dict[str, Any]:
        stamp = iso(at)
        weights: dict[str, float] = {}
        names: dict[str, str | None] = {}
        for e in (story or {}).get("entity_weights", []):
            weights[e["id"]] = e["weight"]
            names[e["id"]] = e.get("name")
        for e in sketch.get("entities") or []:
            weights[e["id"]] = weights.get(e["id"], 0.0) + float(e.get("weight") or 1)
            names.setdefault(e["id"], e.get("name"))
        ranked = sorted(weights, key=lambda k: (-weights[k], k))
        outlets = dict((story or {}).get("outlets") or {})
        outlet = sketch.get("outlet")
        if outlet:
            outlets[outlet] = outlets.get(outlet, 0) + 1
        members = [*((story or {}).get("article_ids") or []), article["article_id"]]
        first = (story or {}).get("first_time") or stamp
        last = (story or {}).get("last_time") or stamp
        return {
            "story_id": story_id,
            "title": (story or {}).get("title") or article.get("title"),
            "first_time": min(first, stamp),
            "last_time": max(last, stamp),
            "articles": int((story or {}).get("articles") or 0) + 1,
            "article_ids": members[-STORY_ARTICLES_KEPT:],
            "outlets": outlets,
            "entities": [{"id": k, "name": names[k]} for k in ranked[:STORY_ENTITIES]],
            # every weight is kept (not only the top ones) so that the ranking stays right as it grows;
            # bounded by the entities of its articles
            "entity_weights": [{"id": k, "name": names[k], "weight": weights[k]} for k in ranked[:64]],
            "quiet_s": self.config.quiet_s,
        }


def public(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The story as ``story.v1`` shows it."""
    last = parse_time(summary["last_time"])
    closes = iso(last + timedelta(seconds=float(summary["quiet_s"]))) if last else None
    return {
        "title": summary.get("title"),
        "first_time": summary["first_time"],
        "last_time": summary["last_time"],
        "closes_after": closes,
        "articles": summary["articles"],
        "article_ids": list(summary["article_ids"]),
        "outlets": dict(summary["outlets"]),
        "entities": [dict(e) for e in summary["entities"]],
    }
