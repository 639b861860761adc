"""Entity resolution: spaCy's NER spans → one canonical entity per real-world thing in an article.

What :meth:`EntityResolver.resolve` does to one parsed doc, in order:

1. **Clean and split spaCy's spans.** A leading "the", trailing possessives and punctuation go; a
   person's title ("President", "Mr") is cut off (and remembered as a role); lists ("Macron, Meloni,
   Zelenskiy") are split at commas, and phrases ("Zelenskiy in Downing Street") at the lower-case
   words that no name contains, so each piece is a name of its own.
2. **People.** Full names (two or more capitalised words) become one cluster per person (same first
   and last name, or a longer name ending with the same words: "López Obrador"); a surname, a
   later part of a name, or (for spans spaCy tagged PERSON) a first name alone links to the cluster
   it belongs to, the nearest preceding one when two share it. Transliteration variants compare
   equal (Zelenskiy / Zelensky / Zelenskyy), and so do accents and possessives. A span spaCy gave
   another label is a person when its text is a known person's name in this article or the
   gazetteer, or when a title or role word stands right before it ("counterpart Volodymyr
   Zelenskiy"). Surnames spaCy missed altogether are found by scanning the tokens.
3. **Gazetteer.** Names, short forms and demonyms of curated entries (see
   :mod:`streams.enrich.gazetteer`) link to that entry: "UK", "Britain" and "British" are all
   United Kingdom, with its QID as id.
4. **Roles.** A role tied to a person in the text ("US President Donald Trump", "Finland's
   president, Alexander Stubb", "Keir Starmer, the prime minister") or by the gazetteer's offices
   (valid on the article's date when one is given) lets a later standalone role ("the US
   president", "the British prime minister", "Finland's president") count as a mention of that
   person. The mention's span is the role words only ("prime minister"), so it never overlaps the
   country's own mention ("UK"). A role with no country ("the president") links only when exactly
   one person in the article holds it.
5. **Organisations and teams.** A short form of a company the article names in full links to it
   ("Kestrel" → "Kestrel Mining Corp"); a single name spaCy once tagged PERSON is not a person when
   more of its mentions, and the words around them ("shares of X", "X shares"), say company. In a
   sports report (a sport named in the first line, or sports words all over), a mention of a town or
   an unknown single name is a team when the words around it say so (a score after it, "beat X",
   "X coach") and the mentions that say place ("in X", a dateline) are fewer; names in a results line
   ("Valencia 0 Getafe 0") are teams too. A team is linked to a club in the gazetteer by its
   ``team_names``, never to its town.
6. **Ids.** Gazetteer entries keep their id (a Wikidata QID for shipped entries, e.g. ``Q145``);
   anything else gets ``<class>:<slug of canonical name>`` with class one of person, org, place,
   group, event, law, product, work, other (``person:maria-okonkwo``, ``org:lancaster-house``), so
   the same name gets the same id in every article. Every entity carries ``wikidata`` (QID or null).

Everything per document is one pass over the tokens plus dictionary look-ups; the gazetteer's tables
are built once, when the resolver is.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from spacy.tokens import Doc, Token

from streams.enrich.gazetteer import (
    AliasHit,
    GazEntry,
    Gazetteer,
    extra_paths,
    fold,
    load_gazetteer,
    name_variant,
    person_key,
)
from streams.models import Entity, Span
from streams.settings import Settings

KEPT_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "LAW", "PRODUCT", "WORK_OF_ART"}
)
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
# Labels whose span may be a gazetteer demonym or an ambiguous alias ("Georgia", "Chad").
_GAZ_SAFE_LABELS = frozenset({"GPE", "LOC", "NORP", "ORG", "FAC"})
_ID_CLASS = {
    "PERSON": "person",
    "ORG": "org",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "NORP": "group",
    "EVENT": "event",
    "LAW": "law",
    "PRODUCT": "product",
    "WORK_OF_ART": "work",
}
# When votes tie, the more specific label wins.
_LABEL_RANK = {"GPE": 0, "ORG": 1, "PERSON": 2, "NORP": 3, "LOC": 4, "FAC": 5}

_DETERMINERS = frozenset({"the", "a", "an"})
_POSSESSIVES = frozenset({"'s", "’s", "'", "’", "s"})
_EDGE_PUNCT = frozenset([*".,;:!?\"'“”‘’()[]{}<>«»—–-/|*•…", "--", "..."])
_SPLIT_PUNCT = frozenset({",", ";", "/", "|", "(", ")", "[", "]", "“", "”", '"', "—", "–", ":", "•", "--"})
_CONJUNCTIONS = frozenset({"and", "&", "or", "nor", "plus"})
# Lower-case words that names do contain: "Bank of England", "Ursula von der Leyen".
# fmt: off
_NAME_PARTICLES = frozenset(
    {
        "of", "the", "for", "on", "de", "du", "des", "del", "della", "di", "da", "do", "dos", "das",
        "la", "le", "les", "lo", "y", "e", "von", "van", "der", "den", "ter", "ten", "zu", "al", "el",
        "bin", "ibn", "bint", "ben", "abu", "st", "st.", "und", "et", "an", "-", "'s",
    }
)
# fmt: on
# fmt: off
_PERSON_PARTICLES = frozenset(
    {"de", "du", "des", "del", "della", "di", "da", "do", "dos", "das", "la", "le", "y", "e", "von",
     "van", "der", "den", "ter", "ten", "zu", "al", "el", "bin", "ibn", "bint", "ben", "abu", "-"}
)
# fmt: on
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "v"})
# Titles cut off the front of a person's span (lower-cased, dots removed).
# fmt: off
HONORIFICS = frozenset(
    {
        "mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame", "lord", "lady", "prof", "professor",
        "rev", "reverend", "fr", "father", "sen", "senator", "rep", "representative", "congressman",
        "congresswoman", "gov", "governor", "mayor", "president", "vice", "prime", "minister",
        "chancellor", "secretary", "king", "queen", "prince", "princess", "pope", "sheikh", "sheik",
        "emir", "gen", "general", "col", "colonel", "lt", "capt", "captain", "sgt", "adm", "admiral",
        "judge", "justice", "ambassador", "premier", "chairman", "chairwoman", "speaker",
        "commissioner", "crown", "supreme", "leader", "archbishop", "bishop", "cardinal", "imam",
        "rabbi", "ayatollah", "deputy", "foreign", "defence", "defense", "finance", "interior",
        "state", "attorney", "chief", "executive", "ceo", "director", "commander", "candidate",
        "nominee", "lawmaker", "mp", "mep", "hon", "honourable", "honorable", "comrade", "marshal",
        "president-elect", "coach", "manager", "officer", "detective", "inspector", "sergeant",
        "dr.", "mr.", "mrs.", "ms.", "sen.", "rep.", "gov.", "gen.", "lt.", "col.", "capt.", "st",
        "spokesman", "spokeswoman", "spokesperson", "madam", "prez", "sheriff", "pastor",
    }
)
# fmt: on
# Words that, right before a capitalised span, say it names a person.
# fmt: off
_PERSON_CUES = HONORIFICS | frozenset(
    {"counterpart", "spokesman", "spokeswoman", "spokesperson", "adviser", "advisor", "aide",
     "envoy", "colleague", "rival", "opponent", "challenger", "successor", "predecessor", "wife",
     "husband", "son", "daughter", "brother", "sister", "mother", "father", "actor", "actress",
     "singer", "author", "writer", "journalist", "economist", "analyst", "professor", "lawyer",
     "attorney", "founder", "billionaire", "mogul", "tycoon", "activist", "dissident", "player",
     "striker", "midfielder", "star", "chef", "artist", "dr", "mr", "mrs", "ms"}
)
# fmt: on

# A span spaCy tagged PERSON whose last word is one of these names an organisation ("Zentra Labs").
# fmt: off
_ORG_DESIGNATORS = frozenset(
    {
        "inc", "corp", "corporation", "co", "company", "ltd", "llc", "plc", "gmbh", "ag", "sa", "group",
        "holdings", "partners", "labs", "laboratories", "bank", "university", "college", "institute",
        "foundation", "association", "committee", "commission", "council", "agency", "ministry",
        "department", "party", "union", "federation", "fund", "trust", "airlines", "airways", "motors",
        "technologies", "systems", "pharmaceuticals", "capital", "ventures", "industries", "network",
        "news", "times", "post", "press", "media", "club", "fc", "society", "church", "army", "forces",
        "court", "parliament", "assembly", "senate", "congress", "office", "service", "services",
        "coalition", "alliance", "campaign", "pac", "movement", "front", "brigade", "initiative",
        "project", "center", "centre", "school", "hospital", "magazine", "journal", "tv", "radio",
    }
)
# fmt: on

# The legal forms that end a company's name: "Newmont Mining Corp", "Ahold NV", "Deutsche Bank AG".
# fmt: off
_COMPANY_SUFFIXES = frozenset({
    "corp", "corporation", "inc", "incorporated", "ltd", "limited", "plc", "ag", "sa", "nv", "bv", "co",
    "gmbh", "spa", "ab", "asa", "oyj", "as", "bhd", "pty", "llc", "lp", "kk", "sae", "sarl", "srl",
    "holdings", "group",
})
# First words of company names that are no name of their own ("General Motors", "National Grid").
_GENERIC_ORG_WORDS = frozenset({
    "general", "national", "international", "united", "american", "british", "first", "new", "great",
    "global", "royal", "standard", "central", "western", "eastern", "northern", "southern", "union",
    "federal", "state", "china", "japan", "bank", "banco", "grupo", "deutsche",
})
# fmt: on
# Words around a name that call it a company: "shares of X", "X shares", "X's stock".
_ORG_BEFORE_2 = frozenset({("shares", "of"), ("stake", "in"), ("shareholders", "of"), ("chairman", "of")})
_ORG_AFTER = frozenset({"shares", "stock", "shareholders", "spokesman", "spokeswoman", "subsidiary", "unit"})

# ... or a place ("Franklin Delano Roosevelt Park").
# fmt: off
_PLACE_DESIGNATORS = frozenset({
    "park", "square", "street", "avenue", "road", "bridge", "airport", "station", "stadium", "arena",
    "hall", "house", "building", "tower", "plaza", "museum", "library", "memorial", "island", "county",
})
# fmt: on

# Roles: lower-case token sequences → canonical role. Only offices one person holds at a time, so
# "the president of France" can point at someone.
_ROLE_PHRASES: dict[tuple[str, ...], str] = {}
for _canon, _variants in {
    "president": ["president"],
    "vice president": ["vice president", "vice - president", "vice-president"],
    "president-elect": ["president - elect", "president-elect"],
    "prime minister": ["prime minister", "premier minister"],
    "deputy prime minister": ["deputy prime minister"],
    "chancellor": ["chancellor"],
    "chancellor of the exchequer": ["chancellor of the exchequer"],
    "foreign minister": ["foreign minister", "minister of foreign affairs", "foreign affairs minister"],
    "foreign secretary": ["foreign secretary"],
    "secretary of state": ["secretary of state"],
    "defence minister": [
        "defence minister",
        "defense minister",
        "minister of defence",
        "minister of defense",
    ],
    "defence secretary": ["defence secretary", "defense secretary", "secretary of defense"],
    "finance minister": ["finance minister", "minister of finance"],
    "treasury secretary": ["treasury secretary", "secretary of the treasury"],
    "home secretary": ["home secretary"],
    "interior minister": ["interior minister", "minister of the interior"],
    "attorney general": ["attorney general", "attorney - general"],
    "first minister": ["first minister"],
    "supreme leader": ["supreme leader"],
    "crown prince": ["crown prince"],
    "secretary-general": ["secretary - general", "secretary general", "secretary-general"],
    "king": ["king"],
    "queen": ["queen"],
    "emir": ["emir"],
    "pope": ["pope"],
    "premier": ["premier"],
    "taoiseach": ["taoiseach"],
    "chairman": ["chairman", "chairwoman", "chair"],
    "speaker": ["speaker"],
    "governor": ["governor"],
    "mayor": ["mayor"],
}.items():
    for _variant in _variants:
        _ROLE_PHRASES[tuple(_variant.replace("-", " - ").split())] = _canon
_ROLE_FIRST = {phrase[0] for phrase in _ROLE_PHRASES}
_ROLE_MAX = max(len(phrase) for phrase in _ROLE_PHRASES)
# Words before a role that make it not the current holder, or not a definite one.
# fmt: off
_ROLE_BLOCKERS = frozenset(
    {"former", "ex", "late", "then", "future", "next", "previous", "incoming", "outgoing", "first",
     "a", "an", "another", "every", "each", "any", "no", "his", "her", "its", "their", "our", "your",
     "my", "whose", "which", "what", "acting", "interim", "one", "some", "two", "deputy", "vice",
     "new", "past", "would-be", "-"}
)
# fmt: on

# Parts of speech that do not start a name ("Follow Jeff Poor", "Incredibly").
_NOT_NAME_POS = frozenset({"VERB", "ADV", "ADP", "DET", "PRON", "AUX", "SCONJ", "CCONJ", "PART", "INTJ"})

# Sports reports (results tables, match reports): a club is often named for its town ("Celtic 4
# Aberdeen 0", "Leicestershire beat Somerset"), and there it is an organisation, not a place.
# fmt: off
_SPORTS = frozenset({
    "soccer", "football", "cricket", "tennis", "golf", "baseball", "basketball", "rugby", "hockey",
    "athletics", "cycling", "boxing", "motor", "racing", "motorcycling", "rowing", "swimming", "skiing",
    "volleyball", "handball", "badminton", "snooker", "squash", "sailing", "nfl", "nba", "nhl",
})
_SPORTS_WORDS = frozenset({
    "match", "matches", "innings", "wickets", "wicket", "goals", "scored", "scorers", "striker",
    "midfielder", "goalkeeper", "defender", "coach", "standings", "halftime", "half-time",
    "semifinal", "semi-final", "quarter-final", "quarterfinal", "playoff", "playoffs", "championship",
    "league", "tournament", "seeded", "batting", "bowling", "inning", "homer",
    "pitcher", "kickoff", "stadium", "fixture", "fixtures", "relegation", "unbeaten", "drew", "lap",
    "laps", "podium", "prix", "captain", "scorer", "midfield", "rebounds", "touchdown",
})
# fmt: on
_SPORTS_MIN_WORDS = 4
_TEAM_AFTER = frozenset({
    "beat", "beats", "drew", "draw", "lost", "lose", "won", "v", "vs", "vs.", "defeated", "thrashed",
    "edged", "routed", "coach", "manager", "striker", "midfielder", "defender", "goalkeeper", "captain",
    "fans", "club", "side", "squad", "team", "batsman", "bowler", "pitcher", "forward", "winger",
})  # fmt: skip
_TEAM_BEFORE = frozenset({"beat", "against", "v", "vs", "vs.", "defeated", "thrashed", "edged", "routed"})
_TEAM_BEFORE_2 = frozenset({
    ("drew", "with"), ("draw", "with"), ("lost", "to"), ("loss", "to"), ("win", "over"), ("victory", "over"),
    ("win", "against"), ("joined", "from"), ("played", "for"), ("signed", "for"),
})  # fmt: skip
_RESULT_SEPARATORS = frozenset({",", ":", ";", "-", "–", "and", "v", "vs", "vs."})
_PLACE_BEFORE = frozenset({"in", "at", "near", "from", "outside", "around"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_SLUG = re.compile(r"[^a-z0-9]+")
# A figure glued to the end of a name in a results table: "Durham 114", "Kent 108-3", "Dale 4-43".
_SCORE = re.compile(r"^\d+(?:[-/.:]\d+)*$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _SLUG.sub("-", ascii_text.lower()).strip("-") or "x"


def _is_cap(token: Token) -> bool:
    text = token.text
    return bool(text) and text[0].isupper()


def _same_word(token: Token, word: str) -> bool:
    """The token is ``word`` as written, or ``word`` in capitals ("SRI" for "Sri")."""
    text = token.text
    return text == word or (text.isupper() and len(text) > 1 and text == word.upper())


def _is_lower_word(token: Token) -> bool:
    return token.is_alpha and token.text.islower()


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

    def resolve(self, doc: Doc, published: str | None = None) -> list[Entity]:
        """Canonical entities of ``doc``; ``published`` (ISO date) makes roles date-aware."""
        day = published[:10] if published and _DAY.match(published) else None
        return _Resolution(self.gazetteer, doc, day).run()


class _Resolution:
    """The state of resolving one doc (a fresh one per call: the resolver itself stays immutable)."""

    def __init__(self, gazetteer: Gazetteer, doc: Doc, day: str | None) -> None:
        self.gaz = gazetteer
        self.doc = doc
        self.day = day
        self.text = doc.text
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

    # --- driver -------------------------------------------------------------------------------------

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

    # --- 1. candidates from spaCy's spans ------------------------------------------------------------

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

    # --- 2. which candidates are people --------------------------------------------------------------

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

    # --- 3. people ----------------------------------------------------------------------------------------

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

    # --- 4. everything else ---------------------------------------------------------------------------------

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

    # --- 5. names spaCy missed ----------------------------------------------------------------------------

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

    # --- acronyms ------------------------------------------------------------------------------------------

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

    def _merge(self, source: str, target: str) -> None:
        src = self.groups.pop(source)
        dst = self.groups[target]
        dst.labels.update(src.labels)
        dst.surfaces.update(src.surfaces)
        dst.spans |= src.spans
        for start, end in src.spans:
            for i in range(start, end):
                self.owner[i] = target

    # --- 6. roles ----------------------------------------------------------------------------------------

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

    # --- 7. teams ----------------------------------------------------------------------------------------

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

    # --- 8. output ------------------------------------------------------------------------------------------

    def _assemble(self) -> list[Entity]:
        text = self.doc.text
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
