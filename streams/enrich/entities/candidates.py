"""Step 1: spaCy's spans → candidate names (trimmed, titles cut, lists and phrases split)."""

from __future__ import annotations

from streams.enrich.entities.state import _Cand, _State
from streams.enrich.entities.vocabulary import (
    _CONJUNCTIONS,
    _DETERMINERS,
    _EDGE_PUNCT,
    _NAME_PARTICLES,
    _NAME_SUFFIXES,
    _NOT_NAME_POS,
    _ORG_DESIGNATORS,
    _PERSON_CUES,
    _PERSON_PARTICLES,
    _PLACE_DESIGNATORS,
    _POSSESSIVES,
    _SCORE,
    _SPLIT_PUNCT,
    HONORIFICS,
    KEPT_LABELS,
    _is_cap,
    _is_lower_word,
)
from streams.enrich.gazetteer import fold, person_key


class Candidates(_State):
    """Step 1: spaCy's spans cleaned into candidate names."""

    def _candidates(self) -> list[_Cand]:
        doc = self.toks
        pieces: list[tuple[int, int, str, bool]] = []
        person_words: set[str] = set()
        for ent in self.doc.ents:
            if ent.label_ not in KEPT_LABELS:
                continue
            start, end = self._trim(ent.start, ent.end)
            if start >= end:
                continue
            label = ent.label_
            if label != "PERSON" and (
                (self._person_cue_before(start) and self._name_shaped(start, end))
                or self._titled_name(start, end)
            ):
                label = "PERSON"
            elif label == "PERSON" and end - start > 1:
                last = doc[end - 1].lower_.rstrip(".")
                if last in _ORG_DESIGNATORS:
                    label = "ORG"
                elif last in _PLACE_DESIGNATORS:
                    label = "FAC"
            if label == "PERSON":
                for s, e, _ in self._split(start, end, label, set()):
                    s = self._strip_titles(s, e)
                    words = fold(self._text(s, e)).split() if s < e else []
                    if words and not self._has_lower_word(s, e, _PERSON_PARTICLES):
                        person_words.add(person_key(" ".join(words)))
                        person_words.add(person_key(words[-1]))
            pieces.append((start, end, label, False))
        cands: list[_Cand] = []
        for start, end, label, _ in pieces:
            for s, e, was_split in self._split(start, end, label, person_words):
                if label == "PERSON":
                    s = self._strip_titles(s, e)
                s, e = self._trim(s, e)
                if s >= e or not self._looks_like_name(s, e):
                    continue
                if (
                    label == "PERSON"
                    and e - s == 1
                    and doc[s].pos_ in _NOT_NAME_POS
                    and self.gaz.names.get(fold(doc[s].text)) is None
                ):
                    continue  # "Incredibly", tagged PERSON in a headline
                text = self._text(s, e)
                cands.append(_Cand(s, e, label, text, fold(text), split=was_split))
        return cands

    def _trim(self, start: int, end: int) -> tuple[int, int]:
        doc = self.toks
        while start < end and (
            doc[start].lower_ in _DETERMINERS or doc[start].text in _EDGE_PUNCT or doc[start].is_space
        ):
            start += 1
        while end > start and (
            doc[end - 1].text in _EDGE_PUNCT
            or doc[end - 1].is_space
            or doc[end - 1].lower_ in _POSSESSIVES
            or (_is_lower_word(doc[end - 1]) and doc[end - 1].lower_ in _NAME_PARTICLES)
            or (_SCORE.match(doc[end - 1].text) and self.gaz.names.get(fold(self._text(start, end))) is None)
        ):
            end -= 1
        return start, end

    def _looks_like_name(self, start: int, end: int) -> bool:
        tokens = self.toks[start:end]
        first = tokens[0].text
        if not (first[:1].isupper() or first[:1].isdigit()):
            return False
        if len(tokens) == 1 and tokens[0].lower_.rstrip(".") in _NAME_SUFFIXES | HONORIFICS:
            return False
        text = self._text(start, end)
        return any(ch.isalpha() for ch in text) and len(text) > 1

    def _has_lower_word(self, start: int, end: int, allowed: frozenset[str]) -> bool:
        return any(_is_lower_word(t) and t.lower_ not in allowed for t in self.toks[start:end])

    def _known(self, start: int, end: int, person_words: set[str]) -> bool:
        if start >= end:
            return False
        folded = fold(self._text(start, end))
        if self.gaz.names.get(folded) is not None or self.gaz.lookup_person(folded):
            return True
        return person_key(folded) in person_words

    def _split(self, start: int, end: int, label: str, person_words: set[str]) -> list[tuple[int, int, bool]]:
        """Split a span that is really a list or a phrase around names into its names."""
        doc = self.toks
        hit = self.gaz.names.get(fold(self._text(start, end)))
        if hit is not None and not hit.demonym:
            return [(start, end, False)]
        is_person = label == "PERSON"
        particles = _PERSON_PARTICLES if is_person else _NAME_PARTICLES
        cuts: list[tuple[int, int]] = []  # (cut start, cut end) token ranges to drop
        for i in range(start, end):
            token = doc[i]
            text, lower = token.text, token.lower_
            if i > start and token.is_sent_start:
                cuts.append((i, i))  # spaCy's span runs over a sentence end: "the E.U. Britons"
            if (
                text in _SPLIT_PUNCT
                or (lower in ("'s", "’s") and start < i < end - 1)
                or text[:1] in "@#"
                or token.like_url
                or token.like_email
                or _SCORE.match(text)  # "Porto 2 Braga 1": a results line read as one name
            ):
                cuts.append((i, i + 1))
            elif lower in _CONJUNCTIONS:
                if is_person or (
                    self._known(start if not cuts else cuts[-1][1], i, person_words)
                    and self._known(i + 1, end, person_words)
                ):
                    cuts.append((i, i + 1))
            elif _is_lower_word(token) and lower not in particles:
                cuts.append((i, i + 1))
        if not cuts:
            return self._segment(start, end)
        out: list[tuple[int, int, bool]] = []
        cursor = start
        for cut_start, cut_end in cuts:
            if cursor < cut_start:
                out.append((cursor, cut_start, True))
            cursor = cut_end
        if cursor < end:
            out.append((cursor, end, True))
        return out

    def _segment(self, start: int, end: int) -> list[tuple[int, int, bool]]:
        """A span that is several gazetteer names in a row ("EU Britons") → those names."""
        if end - start < 2 or end - start > 8:
            return [(start, end, False)]
        pieces: list[tuple[int, int, bool]] = []
        i = start
        while i < end:
            for j in range(end, i, -1):
                if (j - i < end - start) and self.gaz.names.get(fold(self._text(i, j))) is not None:
                    pieces.append((i, j, True))
                    i = j
                    break
            else:
                return [(start, end, False)]
        return pieces

    def _strip_titles(self, start: int, end: int) -> int:
        """Skip leading titles ("President", "Mr.") of a person span; remember an office title."""
        doc = self.toks
        s = start
        while s < end - 1 and (
            (doc[s].lower_.rstrip(".") in HONORIFICS and _is_cap(doc[s])) or doc[s].pos_ in _NOT_NAME_POS
        ):
            s += 1
        if s > start:
            role = self._role_ending_at(s)
            if role is not None and role[1] >= start:
                self.title_roles[s] = role
        return s

    def _person_cue_before(self, start: int) -> bool:
        if start == 0:
            return False
        prev = self.toks[start - 1]
        return prev.lower_.rstrip(".") in _PERSON_CUES and not prev.ent_type_

    def _titled_name(self, start: int, end: int) -> bool:
        """ "Spokeswoman Haley Morris" tagged ORG: a title, then a name."""
        doc = self.toks
        s = start
        while s < end and doc[s].lower_.rstrip(".") in HONORIFICS and _is_cap(doc[s]):
            s += 1
        return (
            start < s
            and self._name_shaped(s, end)
            and doc[end - 1].lower_.rstrip(".") not in _ORG_DESIGNATORS
            and not any(t.lower_.rstrip(".") in HONORIFICS for t in doc[s:end])
        )

    def _name_shaped(self, start: int, end: int) -> bool:
        tokens = self.toks[start:end]
        words = [t for t in tokens if t.is_alpha]
        return 2 <= len(words) <= 4 and all(t.text[0].isupper() and not t.is_upper for t in words)
