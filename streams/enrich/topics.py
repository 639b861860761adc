"""The topic catalog: policy topics a stance can target (ceasefire, defense spending, ...).

Data, not code: ``streams/data/topics/topics.jsonl`` plus any files in ``STANCEWIRE_TOPICS_EXTRA``.
Matching is spaCy's PhraseMatcher on lower-cased token sequences, built once per process.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import orjson
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

TOPICS_DIR = Path(__file__).resolve().parent.parent / "data" / "topics"


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TopicMention:
    topic: Topic
    start: int  # character offsets into the doc's text
    end: int
    token_start: int
    token_end: int


def load_topics(extra: Iterable[Path] = ()) -> tuple[str, list[Topic]]:
    manifest = orjson.loads((TOPICS_DIR / "manifest.json").read_bytes())
    files = [TOPICS_DIR / name for name in manifest["files"]] + list(extra)
    merged: dict[str, Topic] = {}
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entry = orjson.loads(line)
                topic = Topic(entry["id"], entry["name"], tuple(entry.get("aliases") or [entry["name"]]))
            except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not a topic entry ({exc})") from None
            if topic.id in merged:
                old = merged[topic.id]
                topic = Topic(old.id, old.name, tuple(dict.fromkeys(old.aliases + topic.aliases)))
            merged[topic.id] = topic
    return str(manifest["version"]), list(merged.values())


class TopicCatalog:
    def __init__(self, nlp: Language, topics: list[Topic], version: str = "custom") -> None:
        self.version = version
        self.topics = {topic.id: topic for topic in topics}
        self._matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for topic in topics:
            # make_doc only tokenizes: cheap, and the same tokenizer the pipeline uses.
            self._matcher.add(topic.id, [nlp.make_doc(alias) for alias in topic.aliases])

    @classmethod
    def from_paths(cls, nlp: Language, extra: str = "") -> TopicCatalog:
        paths = [Path(p) for p in extra.split(os.pathsep) if p.strip()]
        version, topics = load_topics(paths)
        return cls(nlp, topics, version)

    def find(self, doc: Doc) -> list[TopicMention]:
        """Non-overlapping topic mentions, longest first where aliases overlap."""
        found: list[TopicMention] = []
        taken: set[int] = set()
        matches = sorted(self._matcher(doc), key=lambda m: (-(m[2] - m[1]), m[1]))
        for match_id, start, end in matches:
            if taken.intersection(range(start, end)):
                continue
            taken.update(range(start, end))
            span = doc[start:end]
            topic = self.topics[doc.vocab.strings[match_id]]
            found.append(TopicMention(topic, span.start_char, span.end_char, start, end))
        return sorted(found, key=lambda m: m.start)
