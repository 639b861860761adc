"""Names spaCy missed: gazetteer names and known surnames found by scanning the tokens."""

from __future__ import annotations

from streams.enrich.entities.state import _State
from streams.enrich.entities.vocabulary import HONORIFICS, _is_cap, _same_word
from streams.enrich.gazetteer import fold, person_key


class Scanning(_State):
    """Step 5: gazetteer names and known surnames that spaCy did not tag."""

    def _scan_tokens(self) -> None:
        doc, owner = self.toks, self.owner
        raw = self.gaz.raw
        i = 0
        while i < self.n:
            token = doc[i]
            if owner[i] is not None or not _is_cap(token):
                i += 1
                continue
            matched = self._scan_gazetteer(i, raw.get(token.text))
            if not matched and token.is_upper and len(token.text) > 2:
                # Datelines and headlines in capitals: "BELGRADE 1996-08-30", "SRI LANKA WIN".
                matched = self._scan_gazetteer(i, raw.get(token.text.capitalize()))
            if matched:
                i = matched
                continue
            full = self.org_short.get(fold(token.text)) if self.org_short else None
            if full is not None and self._free_standing(i, i + 1):
                hit = self.gaz.names.get(full)
                key = hit.entry_id if hit is not None and not hit.demonym else "u:" + full
                self._add_mention(key, i, i + 1, "ORG", token.text)
                i += 1
                continue
            if self.by_surname and self._plausible_name_token(i):
                key = person_key(fold(token.text))
                person = self._nearest(self.by_surname.get(key), i)
                if person is not None:
                    self._add_mention(person.key, i, i + 1, "PERSON", token.text)
            i += 1

    def _scan_gazetteer(self, i: int, options: list[tuple[tuple[str, ...], str]] | None) -> int:
        if not options:
            return 0
        doc = self.toks
        for tokens, entry_id in options:
            end = i + len(tokens)
            if end > self.n or any(self.owner[j] is not None for j in range(i, end)):
                continue
            if any(not _same_word(doc[i + k], tokens[k]) for k in range(len(tokens))):
                continue
            if not self._free_standing(i, end):
                continue
            entry = self.gaz.entries[entry_id]
            if entry.type == "PERSON":
                person = self.people.get(entry_id) or self._new_person(self._words_of(entry_id), entry)
                self._index_person(person)
            self._add_mention(entry_id, i, end, entry.type, self._text(i, end))
            return end
        return 0

    def _free_standing(self, start: int, end: int) -> bool:
        """Not a piece of a longer name spaCy did not tag ("Trump Tower", "Bank of America")."""
        doc = self.toks
        if end < self.n:
            nxt = doc[end]
            # In a line of capitals every word looks like a name: only a known name stands alone there.
            capitals = doc[end - 1].is_upper and nxt.is_upper and len(nxt.text) > 1
            if _is_cap(nxt) and nxt.pos_ == "PROPN" and self.owner[end] is None and not capitals:
                return False
        if start > 0:
            prev = doc[start - 1]
            if (
                _is_cap(prev)
                and prev.pos_ == "PROPN"
                and self.owner[start - 1] is None
                and prev.lower_.rstrip(".") not in HONORIFICS
                and not (prev.is_upper and doc[start].is_upper and len(prev.text) > 1)
            ):
                return False
            if prev.lower_ in ("of", "de", "del") and start > 1 and _is_cap(doc[start - 2]):
                return False
        return True

    def _plausible_name_token(self, i: int) -> bool:
        token = self.toks[i]
        if not token.is_alpha or len(token.text) < 2 or not self._free_standing(i, i + 1):
            return False
        if token.pos_ == "PROPN":
            return True
        # spaCy's small model tags a surname opening a sentence as a noun ("Starmer spoke ...").
        if token.is_stop:
            return False
        if self.lower_words is None:
            self.lower_words = {t.lower_ for t in self.toks if t.is_lower}
        return token.lower_ not in self.lower_words
