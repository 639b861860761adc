"""The entity resolver: build once per process, call ``resolve`` on every doc."""

from __future__ import annotations

from collections import Counter

from spacy.tokens import Doc

from streams.enrich.entities.candidates import Candidates
from streams.enrich.entities.organisations import Organisations
from streams.enrich.entities.people import People
from streams.enrich.entities.roles import Roles
from streams.enrich.entities.scanning import Scanning
from streams.enrich.entities.state import _Group
from streams.enrich.entities.teams import Teams
from streams.enrich.entities.vocabulary import _DAY, _ID_CLASS, _LABEL_RANK, _slug
from streams.enrich.gazetteer import Gazetteer, extra_paths, load_gazetteer
from streams.models import Entity, Span
from streams.settings import Settings


class EntityResolver:
    """Build once per process (``from_settings``) and call :meth:`resolve` on every doc."""

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        self.gazetteer = gazetteer if gazetteer is not None else load_gazetteer()

    @classmethod
    def from_settings(cls, settings: Settings) -> EntityResolver:
        return cls(load_gazetteer(extra_paths(settings.gazetteer_extra)))

    @property
    def version(self) -> str:
        """The gazetteer version(s) in use, for the enriched article's ``models``."""
        return self.gazetteer.version

    def resolve(self, doc: Doc, published: str | None = None, text: str | None = None) -> list[Entity]:
        """Canonical entities of ``doc``; ``published`` (ISO date) makes roles date-aware; ``text`` is
        ``doc.text`` where the caller has it (Doc.text joins every token on each access)."""
        day = published[:10] if published and _DAY.match(published) else None
        return _Resolution(self.gazetteer, doc, day, text).run()


class _Resolution(Candidates, People, Organisations, Scanning, Roles, Teams):
    """One doc's resolution: the steps in order (see the package docstring)."""

    def run(self) -> list[Entity]:
        if self.n == 0:
            return []
        cands = self._candidates()
        self._classify(cands)
        self._cluster_people(cands)
        for cand in cands:
            if not cand.person:
                self._place_other(cand)
        self._scan_tokens()
        self._link_acronyms()
        self._resolve_roles()
        if self._sports_report():
            self._scan_results_lines()
            self._type_teams()
        return self._assemble()

    def _assemble(self) -> list[Entity]:
        text = self.text
        doc = self.toks
        by_id: dict[str, Entity] = {}
        order: dict[str, int] = {}
        for group in self.groups.values():
            if not group.spans:
                continue
            entity_id, name, etype, wikidata = self._identity(group)
            spans = sorted(group.spans)
            mentions = [
                Span(start=doc[s].idx, end=doc[e - 1].idx + len(doc[e - 1].text), text="") for s, e in spans
            ]
            for mention in mentions:
                mention["text"] = text[mention["start"] : mention["end"]]
            existing = by_id.get(entity_id)
            if existing is None:
                by_id[entity_id] = Entity(
                    id=entity_id, name=name, type=etype, mentions=mentions, wikidata=wikidata
                )
                order[entity_id] = spans[0][0]
            else:
                merged = {(m["start"], m["end"]): m for m in [*existing["mentions"], *mentions]}
                existing["mentions"] = [merged[k] for k in sorted(merged)]
                order[entity_id] = min(order[entity_id], spans[0][0])
        return sorted(by_id.values(), key=lambda entity: order[entity["id"]])

    def _identity(self, group: _Group) -> tuple[str, str, str, str | None]:
        if group.entry is not None:
            entry = group.entry
            return entry.id, entry.name, entry.type, entry.wikidata
        if group.person is not None:
            person = group.person
            surfaces = person.surfaces or group.surfaces or Counter({" ".join(person.words).title(): 1})
            name = max(surfaces.items(), key=lambda kv: (kv[1], len(kv[0])))[0]
            return f"person:{_slug(name)}", name, "PERSON", None
        label = max(group.labels.items(), key=lambda kv: (kv[1], -_LABEL_RANK.get(kv[0], 9)))[0]
        if label == "PERSON":
            label = "ORG"
        # A full name beats its acronym ("Council on Foreign Relations", not "CFR").
        name = max(group.surfaces.items(), key=lambda kv: (" " in kv[0], kv[1], len(kv[0])))[0]
        return f"{_ID_CLASS.get(label, 'other')}:{_slug(name)}", name, label, None
