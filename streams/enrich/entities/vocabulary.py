"""Words, labels and patterns entity resolution reads names by, and small token tests."""

from __future__ import annotations

import re
import unicodedata

from spacy.tokens import Token

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
