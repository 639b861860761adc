"""Teams: in a sports report, a club named for its town is an organisation, not the town."""

from __future__ import annotations

from collections import Counter

from streams.enrich.entities.state import _Group, _State
from streams.enrich.entities.vocabulary import (
    _DATE,
    _PLACE_BEFORE,
    _POSSESSIVES,
    _RESULT_SEPARATORS,
    _SCORE,
    _SPORTS,
    _SPORTS_MIN_WORDS,
    _SPORTS_WORDS,
    _TEAM_AFTER,
    _TEAM_BEFORE,
    _TEAM_BEFORE_2,
    _is_cap,
)
from streams.enrich.gazetteer import fold


class Teams(_State):
    """Teams in sports reports."""

    def _sports_report(self) -> bool:
        """A results table or match report: a sport named in the first line, or sports words all over."""
        first_line = [t.lower_ for t in self.toks[:12] if not t.is_space]
        if first_line and first_line[0] in _SPORTS and len(first_line) > 1 and first_line[1] in ("-", ":"):
            return True
        hits = {t.lower_ for t in self.toks if t.lower_ in _SPORTS_WORDS or t.lower_ in _SPORTS}
        return len(hits) >= _SPORTS_MIN_WORDS

    def _team_evidence(self, start: int, end: int) -> int:
        """+1 where the words around a mention say it is a team ("Celtic 4", "beat Celtic", "Celtic
        coach"), -1 where they say it is a place ("in Glasgow", a dateline), else 0."""
        doc = self.toks
        nxt = doc[end] if end < self.n else None
        prev = doc[start - 1] if start > 0 else None
        before = doc[start - 2].lower_ if start > 1 else ""
        if prev is not None and prev.lower_ in _PLACE_BEFORE:
            return -1
        if self._date_at(end) and (prev is None or "\n" in prev.text):
            return -1  # "GLASGOW 2026-03-14"
        if nxt is not None and _SCORE.match(nxt.text) and not self._date_at(end):
            return 1
        if nxt is not None and nxt.lower_ in _TEAM_AFTER:
            return 1
        if prev is not None and (prev.lower_ in _TEAM_BEFORE or (before, prev.lower_) in _TEAM_BEFORE_2):
            return 1
        if nxt is not None and nxt.lower_ in _POSSESSIVES and end + 1 < self.n:
            return 1 if doc[end + 1].lower_ in _TEAM_AFTER else 0
        return 0

    def _date_at(self, i: int) -> bool:
        """An ISO date starts at token ``i`` (spaCy splits "2026-03-14" at the hyphens)."""
        doc = self.toks
        if i >= self.n:
            return False
        if _DATE.match(doc[i].text):
            return True
        return (
            len(doc[i].text) == 4
            and doc[i].text.isdigit()
            and i + 2 < self.n
            and doc[i + 1].text == "-"
            and doc[i + 2].text.isdigit()
        )

    def _team_eligible(self, group: _Group) -> bool:
        """A city, a county, an unknown name: what a club may be called. Never a country or a nation
        (national sides are named for their country, and stay it), never a person with a full name."""
        if group.person is not None:
            person = group.person
            return (
                person.entry is None
                and len(person.words) == 1
                and all(e - s == 1 for s, e in group.spans)  # no first name, no initial
            )
        entry = group.entry
        if entry is not None:
            return entry.source == "cities"
        return True

    def _scan_results_lines(self) -> None:
        """Names spaCy missed in a results line: two or more "Name <score>" pairs on one line
        ("Valencia 0 Getafe 0", "Glamorgan 259 and 207, Durham 114") name teams."""
        doc = self.toks
        line: list[tuple[int, int]] = []
        i = 0
        while i <= self.n:
            if i == self.n or "\n" in doc[i].text:
                if len(line) >= 2:
                    for start, end in line:
                        if start >= 0:
                            name = self._text(start, end)
                            club = self.gaz.teams.get(fold(name))
                            self._add_mention(club or "t:" + fold(name), start, end, "ORG", name)
                line = []
                i += 1
                continue
            end = i
            while end < self.n and self.owner[end] is None and doc[end].is_alpha and _is_cap(doc[end]):
                end += 1
            if end > i and end < self.n and _SCORE.match(doc[end].text) and not self._date_at(end):
                prev = doc[i - 1] if i > 0 else None
                if (
                    prev is None
                    or "\n" in prev.text
                    or prev.text in _RESULT_SEPARATORS
                    or _SCORE.match(prev.text)
                ):
                    line.append((i, end))
                    i = end
                    continue
            if end > i:
                i = end
                continue
            if self.owner[i] is not None and i + 1 < self.n and self.owner[i + 1] != self.owner[i]:
                nxt = doc[i + 1]
                if _SCORE.match(nxt.text) and not self._date_at(i + 1):
                    line.append((-1, -1))  # a known name with its score counts towards the line
            i += 1

    def _type_teams(self) -> None:
        for key, group in list(self.groups.items()):
            if key.startswith("t:") or key in self.gaz.team_ids or not self._team_eligible(group):
                continue
            votes = {span: self._team_evidence(*span) for span in group.spans}
            team = sum(1 for v in votes.values() if v > 0)
            place = sum(1 for v in votes.values() if v < 0)
            if not team or place > team:
                continue
            moved = {span for span, v in votes.items() if v >= 0}
            surfaces = Counter(self._text(s, e) for s, e in moved)
            name = max(surfaces.items(), key=lambda kv: (kv[1], kv[0].istitle(), len(kv[0])))[0]
            club = self.gaz.teams.get(fold(name))
            team_key = club or "t:" + fold(name)
            target = self.groups.get(team_key)
            if target is None:
                target = self.groups[team_key] = _Group(key=team_key, entry=self.gaz.entries.get(team_key))
            target.labels["ORG"] += len(moved)
            target.surfaces.update(surfaces)
            target.spans |= moved
            group.spans -= moved
            for s, e in moved:
                for i in range(s, e):
                    self.owner[i] = team_key
            if not group.spans:
                del self.groups[key]
