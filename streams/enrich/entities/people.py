"""Steps 2 and 3: which candidates are people, and one cluster per person (surnames, variants)."""

from __future__ import annotations

from streams.enrich.entities.state import _Cand, _Person, _State
from streams.enrich.entities.vocabulary import _NAME_SUFFIXES, PLACE_LABELS, _is_cap
from streams.enrich.gazetteer import GazEntry, fold, name_variant, person_key


class People(_State):
    """Steps 2 and 3: which candidates are people, and their clusters."""

    def _classify(self, cands: list[_Cand]) -> None:
        person_texts: set[str] = set()
        self.org_short = self._org_short_forms(cands)
        votes = self._org_votes(cands)
        for cand in cands:
            full = self.org_short.get(cand.folded)
            if full is not None:
                cand.label, cand.org = "ORG", full
                continue
            if cand.label == "PERSON" and len(cand.folded.split()) == 1 and cand.folded in votes:
                counter = votes[cand.folded]
                other = max(
                    (label for label in counter if label not in ("PERSON", "context")),
                    key=lambda label: counter[label],
                    default=None,
                )
                if other is not None and counter[other] > counter["PERSON"] and counter["context"]:
                    cand.label = other  # one PERSON tag against more evidence of something else
        for cand in cands:
            if not self._name_words(cand):
                continue  # nothing of a name is left once punctuation is folded away
            if cand.org is not None:
                continue
            if cand.label == "PERSON":
                hit = self.gaz.names.get(cand.folded)
                entry = self.gaz.entries[hit.entry_id] if hit else None
                if hit and entry is not None and entry.type != "PERSON" and not hit.ambiguous:
                    continue  # spaCy called a country or a body a person
                cand.person = True
                person_texts.add(person_key(cand.folded))
                person_texts.add(person_key(cand.folded.split()[-1]))
        for cand in cands:
            if cand.person:
                continue
            hit = self.gaz.names.get(cand.folded)
            entry = self.gaz.entries[hit.entry_id] if hit else None
            if entry is not None and entry.type == "PERSON":
                cand.person = True
            elif entry is not None and cand.label in PLACE_LABELS:
                continue  # "Jordan" tagged GPE stays the country
            elif not self._name_words(cand):
                continue
            elif (
                person_key(cand.folded) in person_texts
                or self.gaz.lookup_person(cand.folded)
                or (
                    entry is None
                    and cand.label != "NORP"
                    and self._name_like_person_suffix(cand, person_texts)
                )
            ):
                cand.person = True

    def _name_like_person_suffix(self, cand: _Cand, person_texts: set[str]) -> bool:
        """An ORG-tagged "Volodymyr Zelenskiy" whose surname is a person elsewhere in the text."""
        words = cand.folded.split()
        return (
            2 <= len(words) <= 4
            and person_key(words[-1]) in person_texts
            and self._name_shaped(cand.start, cand.end)
        )

    def _name_words(self, cand: _Cand) -> tuple[str, ...]:
        words = [w for w in cand.folded.replace("-", " ").split() if w not in ("'", "'s")]
        kept = [w for w in words if not (len(w) == 1 and w.isalpha()) and w not in _NAME_SUFFIXES]
        return tuple(name_variant(w) for w in (kept or words))

    def _trim_to_known_name(self, cand: _Cand, known: set[str]) -> None:
        """ "Jeb Bush Super", "Donald Trump Rampages": a headline word glued to a known name."""
        if cand.end - cand.start < 3 or self.gaz.lookup_person(cand.folded):
            return
        if person_key(cand.folded) in known and sum(1 for k in known if k == person_key(cand.folded)) > 1:
            return
        for drop in range(1, cand.end - cand.start - 1):
            for s, e in ((cand.start, cand.end - drop), (cand.start + drop, cand.end)):
                folded = fold(self._text(s, e))
                if person_key(folded) in known or self.gaz.lookup_person(folded):
                    cand.start, cand.end = s, e
                    cand.text, cand.folded = self._text(s, e), folded
                    return

    def _cluster_people(self, cands: list[_Cand]) -> None:
        persons = [c for c in cands if c.person]
        full = [c for c in persons if len(self._name_words(c)) >= 2]
        known = {person_key(c.folded) for c in full if c.end - c.start == 2}
        for cand in full:
            self._trim_to_known_name(cand, known)
        # Longest names first, so "Andrés Manuel López Obrador" exists before "López Obrador".
        for cand in sorted(full, key=lambda c: (-len(self._name_words(c)), c.start)):
            cand.key = self._person_for_full_name(cand).key
        for person in self.people.values():
            self._index_person(person)
        for cand in persons:
            if cand.key is None:
                found = self._person_for_short_name(
                    cand.folded, cand.start, first_names=cand.label == "PERSON"
                )
                if found is None:
                    found = self._new_person(self._name_words(cand), None)
                    self._index_person(found)
                cand.key = found.key
            start = self._extend_left(self.people[cand.key], cand.start)
            self._add_mention(cand.key, start, cand.end, "PERSON", self._text(start, cand.end))

    def _extend_left(self, person: _Person, start: int) -> int:
        """ "López Obrador" when spaCy tagged only "Obrador": take the words before that are the
        person's own."""
        doc, words = self.toks, person.words
        if len(words) < 2:
            return start
        try:
            k = words.index(name_variant(fold(doc[start].text)))
        except ValueError:
            return start
        while k > 0 and start > 0 and self.owner[start - 1] is None:
            prev = doc[start - 1]
            if not _is_cap(prev) or name_variant(fold(prev.text)) != words[k - 1]:
                break
            start -= 1
            k -= 1
        return start

    def _person_for_full_name(self, cand: _Cand) -> _Person:
        words = self._name_words(cand)
        entry_id = self.gaz.lookup_person(cand.folded)
        if entry_id is not None:
            existing = self.people.get(entry_id)
            return existing or self._new_person(words, self.gaz.entries[entry_id])
        for person in self.people.values():
            if (person.words[0], person.words[-1]) == (words[0], words[-1]) or (
                len(person.words) > len(words) and person.words[-len(words) :] == words
            ):
                return person
        return self._new_person(words, None)

    def _new_person(self, words: tuple[str, ...], entry: GazEntry | None) -> _Person:
        key = entry.id if entry is not None else "n:" + " ".join(words)
        person = self.people.get(key)
        if person is None:
            person = _Person(key=key, words=words, entry=entry)
            self.people[key] = person
        return person

    def _index_person(self, person: _Person) -> None:
        if not person.words:
            return
        keys = {person.words[-1]}
        if len(person.words) >= 2:
            # Every proper suffix of the name: "Obrador", "López Obrador", "von der Leyen".
            keys.update(" ".join(person.words[i:]) for i in range(1, len(person.words)))
        if person.entry is not None:
            keys.update(person_key(fold(alias)) for alias in (person.entry.name, *person.entry.aliases))
        for key in keys:
            bucket = self.by_surname.setdefault(key, [])
            if person not in bucket:
                bucket.append(person)
        if len(person.words) >= 2:
            bucket = self.by_first.setdefault(person.words[0], [])
            if person not in bucket:
                bucket.append(person)

    def _person_for_short_name(self, folded: str, position: int, *, first_names: bool) -> _Person | None:
        key = person_key(folded)
        found = self._nearest(self.by_surname.get(key), position)
        if found is None:
            entry_id = self.gaz.lookup_person(folded)
            if entry_id is not None:
                found = self.people.get(entry_id) or self._new_person(
                    self._words_of(entry_id), self.gaz.entries[entry_id]
                )
                self._index_person(found)
        if found is None and first_names:
            bucket = self.by_first.get(key)
            if bucket and len(bucket) == 1:
                found = bucket[0]
        return found

    def _words_of(self, entry_id: str) -> tuple[str, ...]:
        return tuple(name_variant(w) for w in fold(self.gaz.entries[entry_id].name).replace("-", " ").split())

    def _nearest(self, bucket: list[_Person] | None, position: int) -> _Person | None:
        """Of the people a short name fits: the one named earlier in the same sentence, else the one
        the article introduced first (writers name the main subject first: "Clinton" after "Hillary
        Clinton ... Bill Clinton" is Hillary unless Bill was just named)."""
        if not bucket:
            return None
        if len(bucket) == 1:
            return bucket[0]
        sentence_start = self.doc[position].sent.start if 0 <= position < self.n else 0
        best: _Person | None = None
        best_pos = -1
        for person in bucket:
            here = [p for p in person.positions if sentence_start <= p < position]
            if here and max(here) > best_pos:
                best, best_pos = person, max(here)
        if best is not None:
            return best
        introduced = [(min(p.positions), i, p) for i, p in enumerate(bucket) if p.positions]
        return min(introduced)[2] if introduced else bucket[0]
