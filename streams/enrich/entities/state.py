"""What resolving one doc keeps: candidates, people, groups of mentions, and who owns each token."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from spacy.tokens import Doc, Token

from streams.enrich.gazetteer import GazEntry, Gazetteer


@dataclass(slots=True)
class _Cand:
    """A span that names something: token range, spaCy's label, and what we learn about it."""

    start: int
    end: int
    label: str
    text: str
    folded: str
    person: bool = False
    key: str | None = None
    split: bool = False
    org: str | None = None  # the folded full name of the organisation this short form names


@dataclass(slots=True)
class _Person:
    key: str
    words: tuple[str, ...]  # variant-normalised name words, without titles, initials, suffixes
    entry: GazEntry | None = None
    surfaces: Counter[str] = field(default_factory=Counter)
    positions: list[int] = field(default_factory=list)  # token starts of its mentions


@dataclass(slots=True)
class _Group:
    key: str
    entry: GazEntry | None = None
    person: _Person | None = None
    labels: Counter[str] = field(default_factory=Counter)
    surfaces: Counter[str] = field(default_factory=Counter)
    spans: set[tuple[int, int]] = field(default_factory=set)


class _State:
    """The state of resolving one doc (a fresh one per call: the resolver itself stays immutable).
    Each step of resolution is a mixin over it (candidates, people, organisations, scanning, roles,
    teams); the methods one step calls on another are declared here."""

    def __init__(self, gazetteer: Gazetteer, doc: Doc, day: str | None, text: str | None = None) -> None:
        self.gaz = gazetteer
        self.doc = doc
        self.day = day
        self.text = doc.text if text is None else text
        self.n = len(doc)
        self.owner: list[str | None] = [None] * self.n  # token → group key of the mention covering it
        self.groups: dict[str, _Group] = {}
        self.people: dict[str, _Person] = {}
        self.by_surname: dict[str, list[_Person]] = {}
        self.by_first: dict[str, list[_Person]] = {}
        self.title_roles: dict[int, tuple[str, int]] = {}  # person cand start → (role, role start)
        self.lower_words: set[str] | None = None
        self.org_short: dict[str, str] = {}  # folded short form → folded full name of a company
        self.toks: list[Token] = list(doc)  # one Token object per token, reused by every step

    def _text(self, start: int, end: int) -> str:
        """The text of tokens ``start:end`` (a slice of the doc's text: no Span, no Token objects)."""
        last = self.toks[end - 1]
        return self.text[self.toks[start].idx : last.idx + len(last.text)]

    def _add_mention(
        self, key: str, start: int, end: int, label: str, surface: str, *, role: bool = False
    ) -> None:
        group = self.groups.get(key)
        if group is None:
            group = _Group(key=key)
            if key in self.people:
                group.person = self.people[key]
                group.entry = group.person.entry
            elif key in self.gaz.entries:
                group.entry = self.gaz.entries[key]
            self.groups[key] = group
        group.spans.add((start, end))
        for i in range(start, end):
            self.owner[i] = key
        if group.person is not None:
            group.person.positions.append(start)
        if role:
            return  # "prime minister" names nobody: it neither votes on the label nor on the name
        group.labels[label] += 1
        group.surfaces[surface] += 1
        if group.person is not None and len(surface.split()) >= 2:
            group.person.surfaces[surface] += 1

    def _merge(self, source: str, target: str) -> None:
        src = self.groups.pop(source)
        dst = self.groups[target]
        dst.labels.update(src.labels)
        dst.surfaces.update(src.surfaces)
        dst.spans |= src.spans
        for start, end in src.spans:
            for i in range(start, end):
                self.owner[i] = target

    # --- methods of the steps, called across them ----------------------------------------------------

    def _identity(self, group: _Group) -> tuple[str, str, str, str | None]:
        raise NotImplementedError  # defined by a step's mixin

    def _index_person(self, person: _Person) -> None:
        raise NotImplementedError  # defined by a step's mixin

    def _name_shaped(self, start: int, end: int) -> bool:
        raise NotImplementedError  # defined by a step's mixin

    def _nearest(self, bucket: list[_Person] | None, position: int) -> _Person | None:
        raise NotImplementedError  # defined by a step's mixin

    def _new_person(self, words: tuple[str, ...], entry: GazEntry | None) -> _Person:
        raise NotImplementedError  # defined by a step's mixin

    def _org_short_forms(self, cands: list[_Cand]) -> dict[str, str]:
        raise NotImplementedError  # defined by a step's mixin

    def _org_votes(self, cands: list[_Cand]) -> dict[str, Counter[str]]:
        raise NotImplementedError  # defined by a step's mixin

    def _role_ending_at(self, end: int) -> tuple[str, int] | None:
        raise NotImplementedError  # defined by a step's mixin

    def _words_of(self, entry_id: str) -> tuple[str, ...]:
        raise NotImplementedError  # defined by a step's mixin
