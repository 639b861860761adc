"""Story clustering measured on PolNeAR: pairwise precision and recall of story membership.

PolNeAR's training articles (840, seven US outlets, Nov 2015 – Nov 2016, ``metadata.tsv`` with
publisher, date and title) are read in place. The articles were sampled per outlet, so few of them
are about the same event; those few are the labelled set.

**How the labels were made** (pooling, as in TREC): the pool of pairs to judge is

1. every pair published at most one day apart whose titles share at least two content words
   (:func:`title_candidates`: lower-cased words of 3+ letters, stop words and the two nominees'
   names left out), and
2. every pair the system put in one story (any configuration tried while tuning).

Each pooled pair was judged by hand from the titles and the first paragraphs: *same story* when both
report the same news event (the same debate, primary result, poll, ruling, report); different angles
on one campaign theme are *different*. The judgments are ``data/polnear_story_pairs.tsv``. Pairs
outside the pool count as different, so recall is measured against the pairs the title rule or the
system found (a same-story pair with unrelated titles that the system also missed is invisible),
and a pair the system links that was never judged is reported as ``unjudged`` and counted against
precision until someone judges it.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

from streams.stories.assign import StoryConfig, StoryIndex, StoryState

JUDGMENTS = Path(__file__).resolve().parent / "data" / "polnear_story_pairs.tsv"
TITLE_STOP = frozenset(
    """the and for are was were with from into over after about says said say more than not but who what
    how why will can may has have had this that its his her their they them new just did does get gets
    trump clinton donald hillary""".split()
)

Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Meta:
    name: str
    publisher: str
    published: date
    title: str


def read_metadata(data_dir: Path) -> list[Meta]:
    """The articles whose text is in the folder, oldest first (ties by name: a fixed replay order)."""
    have = {p.stem for p in (data_dir / "text").glob("*.txt")}
    out = []
    with (data_dir / "metadata.tsv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["filename"] in have and row.get("publication_date"):
                out.append(
                    Meta(
                        row["filename"],
                        row["publisher"],
                        date.fromisoformat(row["publication_date"]),
                        row["title"],
                    )
                )
    return sorted(out, key=lambda m: (m.published, m.name))


def title_words(title: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", title.casefold()) if len(w) >= 3 and w not in TITLE_STOP}


def pair(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


def title_candidates(articles: Iterable[Meta], days: int = 1, min_shared: int = 2) -> set[Pair]:
    out = set()
    for a, b in itertools.combinations(list(articles), 2):
        if (
            abs((a.published - b.published).days) <= days
            and len(title_words(a.title) & title_words(b.title)) >= min_shared
        ):
            out.add(pair(a.name, b.name))
    return out


def read_judgments(path: Path = JUDGMENTS) -> dict[Pair, bool]:
    out: dict[Pair, bool] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t"):
            out[pair(row["a"], row["b"])] = row["label"] == "same"
    return out


def assign_stories(sketches: Iterable[tuple[Meta, Mapping[str, Any]]], config: StoryConfig) -> dict[str, str]:
    """Replay the articles through story assignment in date order: article name → story id."""
    index = StoryIndex(config, StoryState.in_memory())
    now = datetime.now(UTC)
    out = {}
    for meta, sketch in sketches:
        header = {"article_id": meta.name, "title": meta.title, "published": meta.published.isoformat()}
        out[meta.name] = index.assign(header, sketch, now).story_id
    return out


def linked_pairs(stories: Mapping[str, str]) -> set[Pair]:
    members: dict[str, list[str]] = {}
    for name, story_id in stories.items():
        members.setdefault(story_id, []).append(name)
    return {pair(a, b) for names in members.values() for a, b in itertools.combinations(names, 2)}


@dataclass(slots=True)
class StoryScores:
    articles: int
    stories: int
    multi_article_stories: int
    judged: int
    judged_same: int
    linked: int
    tp: int
    fp: int
    fn: int
    unjudged: list[Pair] = field(default_factory=list)
    false_positives: list[Pair] = field(default_factory=list)
    false_negatives: list[Pair] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "stories": self.stories,
            "multi_article_stories": self.multi_article_stories,
            "judged_pairs": self.judged,
            "judged_same": self.judged_same,
            "linked_pairs": self.linked,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "unjudged": [list(p) for p in self.unjudged],
            "false_positives": [list(p) for p in self.false_positives],
            "false_negatives": [list(p) for p in self.false_negatives],
        }


def score(stories: Mapping[str, str], judgments: Mapping[Pair, bool]) -> StoryScores:
    """Pairwise: a linked pair is right when judged same; an unjudged linked pair counts as wrong."""
    linked = linked_pairs(stories)
    present = set(stories)
    gold = {p for p, same in judgments.items() if same and p[0] in present and p[1] in present}
    tp = linked & gold
    fp = linked - gold
    sizes: dict[str, int] = {}
    for story_id in stories.values():
        sizes[story_id] = sizes.get(story_id, 0) + 1
    return StoryScores(
        articles=len(stories),
        stories=len(sizes),
        multi_article_stories=sum(1 for n in sizes.values() if n > 1),
        judged=sum(1 for p in judgments if p[0] in present and p[1] in present),
        judged_same=len(gold),
        linked=len(linked),
        tp=len(tp),
        fp=len(fp),
        fn=len(gold - linked),
        unjudged=sorted(p for p in fp if p not in judgments),
        false_positives=sorted(p for p in fp if p in judgments),
        false_negatives=sorted(gold - linked),
    )


def read_sketch_cache(path: Path) -> dict[str, dict[str, Any]]:
    if not path.is_file():
        return {}
    return {row["name"]: row["sketch"] for row in map(orjson.loads, path.read_bytes().splitlines())}


def sketches_of(
    articles: list[Meta], data_dir: Path, cache: Path | None, enrich: Any
) -> Iterator[tuple[Meta, dict[str, Any]]]:
    """Each article's sketch (its real enrichment: entities by the pipeline's NER and resolution),
    from ``cache`` when there (the enrichment is the slow part; the cache is derived data, kept out
    of the repository under var/)."""
    from streams.models import RawArticle
    from streams.stories.sketch import sketch_article

    known = read_sketch_cache(cache) if cache else {}
    todo = [m for m in articles if m.name not in known]
    if todo:
        raws = [
            RawArticle(
                article_id=m.name,
                body=(data_dir / "text" / f"{m.name}.txt").read_text(encoding="utf-8"),
                title=m.title,
                published=m.published.isoformat(),
                source=m.publisher,
            )
            for m in todo
        ]
        fresh = {}
        for enriched in enrich(raws):
            fresh[enriched["article_id"]] = sketch_article(enriched)
        known.update(fresh)
        if cache:
            cache.parent.mkdir(parents=True, exist_ok=True)
            with cache.open("ab") as fh:
                for name, sketch in fresh.items():
                    fh.write(orjson.dumps({"name": name, "sketch": sketch}) + b"\n")
    for meta in articles:
        yield meta, known[meta.name]
