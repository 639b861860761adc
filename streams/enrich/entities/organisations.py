"""Organisations: company short forms and votes, gazetteer links, acronyms."""

from __future__ import annotations

from collections import Counter

from streams.enrich.entities.state import _Cand, _State
from streams.enrich.entities.vocabulary import (
    _COMPANY_SUFFIXES,
    _GAZ_SAFE_LABELS,
    _GENERIC_ORG_WORDS,
    _ORG_AFTER,
    _ORG_BEFORE_2,
    _POSSESSIVES,
    _is_cap,
)
from streams.enrich.gazetteer import AliasHit


class Organisations(_State):
    """Company short forms and votes, gazetteer links for everything else, acronyms."""

    def _org_short_forms(self, cands: list[_Cand]) -> dict[str, str]:
        """Short forms of the companies the article names in full: "Newmont Mining Corp" → "newmont
        mining", "newmont" (a first word that is no place, person or common word of its own)."""
        shorts: dict[str, str] = {}
        for cand in cands:
            words = cand.folded.split()
            if len(words) < 2 or words[-1] not in _COMPANY_SUFFIXES:
                continue
            base = list(words)
            while len(base) > 1 and base[-1] in _COMPANY_SUFFIXES | {"&", "and"}:
                base.pop()
            forms = [" ".join(base)]
            first = self.toks[cand.start]
            if (
                len(base) >= 2
                and len(base[0]) > 2
                and not first.is_stop
                and base[0] not in _GENERIC_ORG_WORDS
                and self.gaz.names.get(base[0]) is None
                and not self.gaz.lookup_person(base[0])
            ):
                forms.append(base[0])
            for form in forms:
                if form != cand.folded:
                    shorts.setdefault(form, cand.folded)
        return shorts

    def _org_votes(self, cands: list[_Cand]) -> dict[str, Counter[str]]:
        """Per folded name: spaCy's labels over all its mentions, plus an ORG vote for each mention
        that the words around call a company ("shares of X", "X shares", "X Corp")."""
        votes: dict[str, Counter[str]] = {}
        doc = self.toks
        for cand in cands:
            counter = votes.setdefault(cand.folded, Counter())
            counter[cand.label] += 1
            before = doc[cand.start - 2].lower_ if cand.start > 1 else ""
            prev = doc[cand.start - 1].lower_ if cand.start > 0 else ""
            nxt = doc[cand.end].lower_ if cand.end < self.n else ""
            if nxt in _POSSESSIVES and cand.end + 1 < self.n:
                nxt = doc[cand.end + 1].lower_
            if (before, prev) in _ORG_BEFORE_2 or nxt in _ORG_AFTER:
                counter["ORG"] += 1
                counter["context"] += 1
        return votes

    def _place_other(self, cand: _Cand) -> None:
        if cand.org is not None:
            full = self.gaz.names.get(cand.org)
            key = full.entry_id if full is not None and not full.demonym else "u:" + cand.org
            self._add_mention(key, cand.start, cand.end, "ORG", cand.text)
            return
        hit = self.gaz.names.get(cand.folded)
        if hit is not None and self._gaz_ok(hit, cand.label):
            self._add_mention(hit.entry_id, cand.start, cand.end, cand.label, cand.text)
            return
        folded = cand.folded
        if cand.label == "NORP" and folded.endswith("s") and len(folded) > 4:
            folded = folded[:-1]  # "Democrats" / "Democrat"
        self._add_mention("u:" + folded, cand.start, cand.end, cand.label, cand.text)

    def _gaz_ok(self, hit: AliasHit, label: str) -> bool:
        if hit.demonym or hit.ambiguous:
            return label in _GAZ_SAFE_LABELS
        return True

    def _link_acronyms(self) -> None:
        """ "Council on Foreign Relations (CFR)": the acronym is the same entity, here and later."""
        doc = self.toks
        aliases: dict[str, str] = {}
        for key, group in list(self.groups.items()):
            if group.person is not None:
                continue
            for start, end in sorted(group.spans):
                if end + 2 < self.n and doc[end].text == "(" and doc[end + 2].text == ")":
                    acronym = doc[end + 1].text
                    initials = "".join(t.text[0] for t in doc[start:end] if _is_cap(t))
                    if acronym.isupper() and len(acronym) >= 2 and acronym == initials:
                        aliases[acronym] = key
        if not aliases:
            return
        for key, group in list(self.groups.items()):
            if key.startswith("u:") and group.person is None:
                surface = group.surfaces.most_common(1)[0][0]
                target = aliases.get(surface)
                if target is not None and target != key:
                    self._merge(key, target)
