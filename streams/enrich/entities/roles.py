"""Roles: "the UK prime minister" as a mention of the person the text or the gazetteer ties it to."""

from __future__ import annotations

from streams.enrich.entities.state import _State
from streams.enrich.entities.vocabulary import _ROLE_BLOCKERS, _ROLE_FIRST, _ROLE_MAX, _ROLE_PHRASES, _is_cap


class Roles(_State):
    """Step 4: roles tied to people by the text or the gazetteer's dated offices."""

    def _role_at(self, i: int) -> tuple[str, int] | None:
        """The role phrase starting at token ``i`` → (canonical role, end token)."""
        doc = self.toks
        if doc[i].lower_ not in _ROLE_FIRST:
            return None
        for length in range(min(_ROLE_MAX, self.n - i), 0, -1):
            words = tuple(doc[j].lower_ for j in range(i, i + length))
            role = _ROLE_PHRASES.get(words)
            if role is not None:
                return role, i + length
        return None

    def _role_ending_at(self, end: int) -> tuple[str, int] | None:
        """The role phrase ending right before token ``end`` → (role, start token)."""
        for length in range(min(_ROLE_MAX, end), 0, -1):
            start = end - length
            found = self._role_at(start)
            if found is not None and found[1] == end:
                return found[0], start
        return None

    def _qualifier_before(self, start: int) -> tuple[str | None, int]:
        """The country/body right before a role ("US", "Finland's", "British") → (key, its start)."""
        doc = self.toks
        i = start - 1
        if i >= 0 and doc[i].lower_ in ("'s", "’s", "'", "’"):
            i -= 1
        if i < 0:
            return None, start
        key = self.owner[i]
        if key is None or key in self.people:
            return None, start
        j = i
        while j > 0 and self.owner[j - 1] == key:
            j -= 1
        return self._qualifier_id(key), j

    def _qualifier_after(self, end: int) -> str | None:
        """ "president of France", "secretary-general of the United Nations"."""
        doc = self.toks
        if end < self.n and doc[end].lower_ == "of":
            j = end + 1
            if j < self.n and doc[j].lower_ == "the":
                j += 1
            if j < self.n:
                key = self.owner[j]
                if key is not None and key not in self.people:
                    return self._qualifier_id(key)
        return None

    def _qualifier_id(self, key: str) -> str:
        """Offices in the gazetteer name their country by id, so compare ids ("place:springfield")."""
        group = self.groups.get(key)
        if key in self.gaz.entries or group is None:
            return key
        return self._identity(group)[0]

    def _person_at(self, i: int) -> str | None:
        if 0 <= i < self.n:
            key = self.owner[i]
            if key is not None and key in self.people:
                return key
        return None

    def _resolve_roles(self) -> None:
        doc = self.toks
        ties: dict[tuple[str, str | None], list[tuple[int, str]]] = {}
        claimed: set[int] = set()

        def tie(role: str, qualifier: str | None, person: str, position: int) -> None:
            ties.setdefault((role, qualifier), []).append((position, person))
            if qualifier is not None:
                ties.setdefault((role, None), []).append((position, person))

        # Titles cut from person spans ("President Donald Trump" tagged as one PERSON span).
        for start, (role, role_start) in self.title_roles.items():
            person = self._person_at(start)
            if person is not None:
                qualifier, _ = self._qualifier_before(role_start)
                tie(role, qualifier, person, start)
                claimed.update(range(role_start, start))
        standalone: list[tuple[int, int, str, str | None]] = []
        i = 0
        while i < self.n:
            found = self._role_at(i) if self.owner[i] is None else None
            if found is None:
                i += 1
                continue
            role, end = found
            if any(self.owner[j] is not None for j in range(i, end)) or i in claimed:
                i = end
                continue
            qualifier, q_start = self._qualifier_before(i)
            after = self._qualifier_after(end)
            qualifier = qualifier or after
            # "US President Donald Trump", "Finland's president, Alexander Stubb".
            nxt = end + 1 if end < self.n and doc[end].text == "," else end
            person = self._person_at(nxt)
            if person is not None:
                tie(role, qualifier, person, nxt)
                i = end
                continue
            # "Keir Starmer, the prime minister," / "Alexander Stubb, Finland's president".
            before = q_start - 1
            if before >= 0 and doc[before].lower_ == "the":
                before -= 1
            if before >= 1 and doc[before].text == "," and self._person_at(before - 1):
                person = self._person_at(before - 1)
                assert person is not None
                tie(role, qualifier, person, before - 1)
                i = end
                continue
            if end < self.n and _is_cap(doc[end]) and doc[end].pos_ == "PROPN" and self.owner[end] is None:
                i = end  # a title before a name we do not know
                continue
            determiner = q_start - 1
            if determiner >= 0 and doc[determiner].lower_ in _ROLE_BLOCKERS:
                i = end
                continue
            if i > 0 and doc[i - 1].lower_ in _ROLE_BLOCKERS:
                i = end
                continue
            definite = (determiner >= 0 and doc[determiner].lower_ == "the") or qualifier is not None
            if definite:
                standalone.append((i, end, role, qualifier))
            i = end
        # The gazetteer's offices of the people this article names.
        for named in self.people.values():
            if named.entry is None:
                continue
            for office in named.entry.offices:
                if office.held_on(self.day):
                    tie(office.role, office.of, named.key, -1)
        for start, end, role, qualifier in standalone:
            person_key_ = self._role_holder(ties, role, qualifier, start)
            if person_key_ is not None:
                self._add_mention(person_key_, start, end, "PERSON", self._text(start, end), role=True)

    def _role_holder(
        self,
        ties: dict[tuple[str, str | None], list[tuple[int, str]]],
        role: str,
        qualifier: str | None,
        at: int,
    ) -> str | None:
        tied = ties.get((role, qualifier), [])
        holders = {person for _, person in tied}
        if len(holders) == 1:
            return next(iter(holders))
        if len(holders) > 1:
            if qualifier is None:
                return None  # "the president" with several presidents about
            before = [(pos, person) for pos, person in tied if pos < at]
            return max(before)[1] if before else None
        if qualifier is None or self.day is None:
            return None
        holders_on_day = self.gaz.holders(role, qualifier, self.day)
        if len(holders_on_day) != 1:
            return None
        entry = self.gaz.entries[holders_on_day[0]]
        person = self.people.get(entry.id) or self._new_person(self._words_of(entry.id), entry)
        return person.key
