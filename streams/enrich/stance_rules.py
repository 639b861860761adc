"""Clause rules for stances, and the rules-only stance stage that stancewire shipped before the model.

The learned stage (:mod:`streams.enrich.stances`) reads entity → entity stances with the joint model;
it still uses these rules where they earn their place (see docs/quality.md): stances toward *topics*
("keep the trans-Atlantic alliance together", "backed a coalition of the willing"), on which no
training data exists, and institution holders ("the Trump administration").

* **Quotes.** A quote whose speaker is a resolved entity says something about every entity or topic
  it mentions (other than the speaker): the speaker is the holder, each of those is a target.
* **Stance verbs.** "X urged Europe to ramp up defense spending", "X declined to criticize Y",
  "X wants an apology from Y": the verb's subject (a name, a role, a pronoun resolved in the text)
  is the holder; the entities and topics its clause acts on are the targets.

Polarity comes from the clause when the clause says it plainly (the verb that governs the target:
*keep, back, increase* → support; *stop, criticize, avoid* → oppose; a negation or *declined to*
turns it). :class:`RuleStanceExtractor` is the whole rules-only stage of before (clause rules, else
the sign of a target-sentiment score): ``stancewire eval stances`` prints it beside the model as the
baseline.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from streams.enrich.topics import TopicCatalog
from streams.models import Entity, Quote, Stance
from streams.models import Span as TextSpan
from streams.sentiment.base import TargetSentiment

#: Entity types a stance can target (places such as FAC/LOC are where things happen, not positions).
TARGET_TYPES = frozenset({"PERSON", "ORG", "GPE", "NORP"})
HOLDER_TYPES = frozenset({"PERSON", "ORG", "GPE", "NORP"})

#: Verbs whose object (or whose clause's object) the holder favours / disfavours. Lemmas.
SUPPORT_VERBS = frozenset(
    """
    support back endorse praise welcome hail applaud commend defend protect keep maintain preserve
    strengthen bolster boost increase raise expand ramp secure guarantee provide fund finance help
    champion favor favour embrace promote advance uphold reinforce restore approve sign ratify
    join build pursue seek want need thank congratulate trust respect admire like love
    """.split()
)
OPPOSE_VERBS = frozenset(
    """
    oppose criticize criticise condemn denounce reject attack blame accuse slam blast fault
    stop halt end cut reduce scrap abolish ban block veto resist fight counter punish sanction
    threaten warn avoid prevent undermine weaken question doubt dismiss distrust mock insult
    deride ridicule disavow repeal withdraw leave quit abandon
    """.split()
)
#: Stance verbs whose subject holds a stance even outside a quote (lemma → how it relates).
STANCE_VERBS = (
    SUPPORT_VERBS | OPPOSE_VERBS | frozenset({"urge", "call", "pledge", "vow", "promise", "decline"})
)
#: Verbs whose direct object is a person addressed, not a target ("urged European leaders to ...").
ADDRESS_VERBS = frozenset({"urge", "call", "ask", "tell", "press", "push", "encourage", "invite", "lead"})
#: Predicates that favour their subject: "a coalition was needed", "unity is important".
NEED_PREDICATES = frozenset(
    {"need", "require", "important", "essential", "vital", "crucial", "necessary", "welcome", "key"}
)
#: Nouns that, with "from"/"by" + target, disfavour the target: "an apology from Zelenskiy".
DEMAND_NOUNS = frozenset({"apology", "apologies", "resignation", "retraction", "explanation", "concession"})
#: Verbs that negate their complement: "declined to criticize Trump".
NEGATING_HEADS = frozenset({"decline", "refuse", "fail", "reject", "avoid", "stop"})
#: Subject heads that stand for an institution around a named entity: "the Trump administration".
INSTITUTION_NOUNS = frozenset(
    {
        "administration",
        "government",
        "cabinet",
        "campaign",
        "team",
        "ministry",
        "camp",
        "regime",
        "presidency",
    }
)
#: Nouns naming people by role: an unresolved one between a pronoun and a name blocks resolution.
ROLE_NOUNS = frozenset(
    """
    official officials spokesman spokeswoman spokesperson minister president leader aide adviser advisor
    source diplomat lawmaker senator representative governor mayor secretary chancellor candidate
    ambassador envoy general commander chief executive director chairman chairwoman analyst expert
    """.split()
)
PRONOUNS_PERSON = frozenset({"he", "she", "him", "her"})
PRONOUNS_THING = frozenset({"it"})
FIRST_PERSON = frozenset({"i", "we"})

RULE_CONFIDENCE = 0.85
PRONOUN_FACTOR = 0.85
MODEL_CONFIDENCE_FACTOR = 0.75
SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})


@dataclass(frozen=True, slots=True)
class TargetRef:
    id: str
    name: str
    start: int
    end: int
    token_start: int
    token_end: int


@dataclass(frozen=True, slots=True)
class StanceCandidate:
    holder: str
    holder_name: str
    target: TargetRef
    evidence: tuple[int, int]
    cue: str | None
    rule: str | None  # "support" | "oppose" | "neutral" when the clause decides, else None
    confidence: float
    item: tuple[str, int, int]  # what the sentiment model scores: (sentence, start, end)


def make_stance(
    text: str, candidate: StanceCandidate, polarity: str, score: float, confidence: float
) -> Stance:
    """The stance event of ``candidate``: sentiment clipped to [-1, 1], figures rounded, evidence text
    cut from ``text`` (both stance stages build their stances here)."""
    start, end = candidate.evidence
    return Stance(
        holder=candidate.holder,
        holder_name=candidate.holder_name,
        target=candidate.target.id,
        target_name=candidate.target.name,
        polarity=polarity,  # type: ignore[typeddict-item]
        sentiment=round(max(-1.0, min(1.0, score)), 4),
        confidence=round(confidence, 4),
        evidence=TextSpan(start=start, end=end, text=text[start:end]),
        cue=candidate.cue,
    )


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


class MentionIndex:
    """Token → entity lookups for one doc (built per doc from the resolved entities)."""

    def __init__(self, doc: Doc, entities: list[Entity]) -> None:
        self.doc = doc
        self.by_token: dict[int, Entity] = {}
        self.spans: list[tuple[Entity, int, int, int, int]] = []  # entity, char start/end, token start/end
        for entity in entities:
            for mention in entity["mentions"]:
                span = doc.char_span(mention["start"], mention["end"], alignment_mode="expand")
                if span is None or len(span) == 0:
                    continue
                self.spans.append((entity, mention["start"], mention["end"], span.start, span.end))
                for i in range(span.start, span.end):
                    self.by_token.setdefault(i, entity)

    def entity_id_at(self, i: int) -> str | None:
        entity = self.by_token.get(i)
        return entity["id"] if entity is not None else None

    def targets_in(self, token_start: int, token_end: int, exclude: set[str]) -> list[TargetRef]:
        found = []
        for entity, start, end, t_start, t_end in self.spans:
            inside = t_start >= token_start and t_end <= token_end
            if inside and entity["id"] not in exclude and entity["type"] in TARGET_TYPES:
                found.append(TargetRef(entity["id"], entity["name"], start, end, t_start, t_end))
        return found


class RuleStanceExtractor:
    """Built once per worker: the topic catalog's matcher and thresholds live here."""

    def __init__(self, topics: TopicCatalog, *, model_threshold: float = 0.3) -> None:
        self.topics = topics
        self.model_threshold = model_threshold

    # -- phase 1: candidates ---------------------------------------------------------------------
    def candidates(self, doc: Doc, entities: list[Entity], quotes: list[Quote]) -> list[StanceCandidate]:
        index = MentionIndex(doc, entities)
        topic_refs = self.topic_refs(doc)
        found: list[StanceCandidate] = []
        found.extend(self.quote_candidates(doc, index, topic_refs, entities, quotes))
        found.extend(self.verb_candidates(doc, index, topic_refs, entities))
        return found

    def topic_refs(self, doc: Doc) -> list[TargetRef]:
        return [
            TargetRef(m.topic.id, m.topic.name, m.start, m.end, m.token_start, m.token_end)
            for m in self.topics.find(doc)
        ]

    def quote_candidates(
        self,
        doc: Doc,
        index: MentionIndex,
        topic_refs: list[TargetRef],
        entities: list[Entity],
        quotes: list[Quote],
    ) -> list[StanceCandidate]:
        names = {e["id"]: e["name"] for e in entities}
        types = {e["id"]: e["type"] for e in entities}
        found = []
        for quote in quotes:
            holder = quote["speaker"]
            if holder is None or types.get(holder) not in HOLDER_TYPES:
                continue
            content = doc.char_span(quote["start"], quote["end"], alignment_mode="expand")
            if content is None:
                continue
            speaker_span = quote["speaker_span"]
            targets = index.targets_in(content.start, content.end, exclude={holder})
            targets += [
                t for t in topic_refs if t.token_start >= content.start and t.token_end <= content.end
            ]
            for target in targets:
                if speaker_span and target.start < speaker_span["end"] and speaker_span["start"] < target.end:
                    continue
                ruled = self._clause_rule(doc, target, stop_at=content)
                rule = None
                if ruled is not None and not _hypothetical(ruled[1]):
                    subject = _subject_of(_clause_verb(ruled[1]))
                    # "I'm clear that he does want lasting peace": the wanting is his, not the speaker's.
                    if not _someone_else(subject, holder, index, target):
                        rule = ruled[0]
                found.append(self._candidate(doc, holder, names[holder], target, quote["cue"], rule, 1.0))
        return found

    def verb_candidates(
        self, doc: Doc, index: MentionIndex, topic_refs: list[TargetRef], entities: list[Entity]
    ) -> list[StanceCandidate]:
        found = []
        for token in doc:
            if token.pos_ not in ("VERB", "AUX") or token.lemma_.lower() not in STANCE_VERBS:
                continue
            holder = self._holder(doc, token, index, entities)
            if holder is None:
                continue
            holder_id, holder_name, factor = holder
            left, right = token.left_edge.i, token.right_edge.i + 1
            subject_tokens = {
                t.i for child in token.children if child.dep_ in SUBJECT_DEPS for t in child.subtree
            }
            targets = index.targets_in(left, right, exclude={holder_id})
            targets += [t for t in topic_refs if t.token_start >= left and t.token_end <= right]
            for target in targets:
                if subject_tokens.intersection(range(target.token_start, target.token_end)):
                    continue
                ruled = self._clause_rule(doc, target, stop_at=doc[left:right])
                if ruled is None or _hypothetical(ruled[1]):  # outside quotes only plain statements count
                    continue
                governor = ruled[1]
                if governor.lemma_.lower() not in DEMAND_NOUNS and _token_index(
                    _subject_of(_clause_verb(governor))
                ) != _token_index(_subject_of(token)):
                    continue  # the clause has a subject of its own: its stance is not the holder's
                found.append(
                    self._candidate(doc, holder_id, holder_name, target, token.text, ruled[0], factor)
                )
        return found

    def _candidate(
        self,
        doc: Doc,
        holder: str,
        holder_name: str,
        target: TargetRef,
        cue: str | None,
        rule: str | None,
        factor: float,
    ) -> StanceCandidate:
        sentence = doc[target.token_start].sent
        confidence = (RULE_CONFIDENCE if rule else MODEL_CONFIDENCE_FACTOR) * factor
        return StanceCandidate(
            holder=holder,
            holder_name=holder_name,
            target=target,
            evidence=(sentence.start_char, sentence.end_char),
            cue=cue,
            rule=rule,
            confidence=confidence,
            item=(sentence.text, target.start - sentence.start_char, target.end - sentence.start_char),
        )

    # -- clause rules ----------------------------------------------------------------------------
    def _clause_rule(self, doc: Doc, target: TargetRef, *, stop_at: Span) -> tuple[str, Token] | None:
        """What the clause governing ``target`` says about it, if it says it plainly.

        Only the target's own governor counts: the verb it is the object of ("keep the alliance
        together"), the predicate it is the subject of ("a coalition was needed"), the noun it is
        demanded from ("an apology from Zelenskiy"). A target that only modifies another noun ("a US
        backstop", "the Trump administration") or sits in an adjunct ("in London") gets no rule.
        """
        prefix = _hyphen_prefix(doc, target)
        if prefix is not None:  # "anti-Brexit", "pro-Kremlin", "post-Brexit"
            if prefix in ("anti", "pro") and target.token_start >= 2:
                word = doc[target.token_start - 2]
                return ("oppose" if prefix == "anti" else "support"), word.head
            return None
        token = _np_head(doc, target)
        while token.dep_ in ("conj", "appos") and token.head.i != token.i:  # "back Macron and Meloni"
            token = token.head
        parent = token.head
        if parent.i == token.i or not stop_at.start <= parent.i < stop_at.end:
            return None
        lemma = parent.lemma_.lower()
        if token.dep_ in SUBJECT_DEPS:
            if lemma in NEED_PREDICATES or _has_need_complement(parent):
                return _negated(parent, "support"), parent
            if _exonerates(parent):  # "Zelenskiy had done nothing wrong", "X is not to blame"
                return "support", parent
            return None
        if token.dep_ == "pobj" and parent.dep_ == "prep":
            governor = parent.head
            if governor.lemma_.lower() in DEMAND_NOUNS and parent.lower_ in ("from", "by"):
                return _negated(governor, "oppose"), governor
            if governor.pos_ == "NOUN" and governor.lemma_.lower() in (
                "support",
                "backing",
                "praise",
                "call",
            ):
                return (
                    (_negated(governor.head, "support"), governor.head)
                    if parent.lower_ in ("for", "of")
                    else None
                )
            if governor.pos_ in ("VERB", "AUX") and parent.lower_ in ("for", "against", "behind", "on"):
                verb = governor.lemma_.lower()
                if parent.lower_ == "against":
                    return _negated(governor, "oppose"), governor
                if verb in SUPPORT_VERBS or verb in ("call", "vote", "campaign", "argue", "stand"):
                    return _negated(governor, "support"), governor
                if verb in OPPOSE_VERBS:
                    return _negated(governor, "oppose"), governor
            return None
        if token.dep_ in ("dobj", "dative", "attr", "oprd") and parent.pos_ in ("VERB", "AUX"):
            if lemma in ADDRESS_VERBS:
                return None  # "urged European leaders to ...": people addressed, not targeted
            if lemma in SUPPORT_VERBS:
                return _negated(parent, "support"), parent
            if lemma in OPPOSE_VERBS:
                return _negated(parent, "oppose"), parent
        return None

    # -- holders ---------------------------------------------------------------------------------
    def _holder(
        self, doc: Doc, verb: Token, index: MentionIndex, entities: list[Entity]
    ) -> tuple[str, str, float] | None:
        subject = _subject_of(verb)
        if subject is None:
            return None
        factor = 1.0
        if subject.lower_ in PRONOUNS_PERSON | PRONOUNS_THING:
            resolved = self._antecedent(doc, subject, index)
            if resolved is None:
                return None
            subject, factor = resolved, PRONOUN_FACTOR
        institution = institution_around(subject, index)
        if institution is not None:
            _entity, start, end = institution
            text = doc.text
            holder_id = f"org:{slug(text[start:end])}"
            name = text[start:end]
            add_entity(entities, holder_id, name, start, end, text)
            return holder_id, name, factor
        found = index.by_token.get(subject.i)
        if found is None or found["type"] not in HOLDER_TYPES:
            return None
        return found["id"], found["name"], factor

    def _antecedent(self, doc: Doc, pronoun: Token, index: MentionIndex) -> Token | None:
        # "X has made clear it wants ...": the governing clause's own subject, same sentence.
        clause = pronoun.head
        while clause.dep_ in ("ccomp", "xcomp", "conj", "advcl") and clause.head.i != clause.i:
            clause = clause.head
            subject = _subject_of(clause)
            if subject is not None and subject.lower_ not in PRONOUNS_PERSON | PRONOUNS_THING:
                return subject
        wanted = {"PERSON"} if pronoun.lower_ in PRONOUNS_PERSON else {"ORG", "GPE", "NORP"}
        # else the nearest earlier subject that is an entity of the right kind, within 3 sentences
        sentence_starts = [s.start for s in doc.sents if s.start <= pronoun.i]
        floor = sentence_starts[-4] if len(sentence_starts) >= 4 else 0
        for i in range(pronoun.i - 1, floor - 1, -1):
            token = doc[i]
            if token.dep_ not in SUBJECT_DEPS or _reported(token.head):
                continue
            if institution_around(token, index) is not None and "ORG" in wanted:
                return token
            entity = index.by_token.get(i)
            if entity is not None and entity["type"] in wanted:
                return token
            if entity is None and token.lemma_.lower() in ROLE_NOUNS and "PERSON" in wanted:
                return None  # an unresolved role ("the official") stands between: do not guess past it
        return None

    # -- phase 2: stances ------------------------------------------------------------------------
    def finalize(
        self, text: str, candidates: Sequence[StanceCandidate], sentiments: Sequence[TargetSentiment | None]
    ) -> list[Stance]:
        # One stance per (holder, target): what a clause says plainly beats the model's reading.
        best: dict[tuple[str, str], tuple[tuple[bool, float], Stance]] = {}
        for candidate, sentiment in zip(candidates, sentiments, strict=True):
            score = sentiment.score if sentiment is not None else 0.0
            if candidate.rule is not None:
                polarity = candidate.rule
                confidence = candidate.confidence
                if sentiment is not None and _disagrees(polarity, score):
                    confidence *= 0.8
            else:
                # The model scores how a sentence speaks of a person or body; of a topic ("a plan to
                # stop the fighting" reads positive) it says little, so topics need a clause rule.
                if candidate.target.id.startswith("topic:"):
                    continue
                if sentiment is None or sentiment.polarity == "neutral" or abs(score) < self.model_threshold:
                    continue
                polarity = "support" if score > 0 else "oppose"
                confidence = candidate.confidence * max(sentiment.probabilities.values(), default=0.5)
            stance = make_stance(text, candidate, polarity, score, confidence)
            key = (candidate.holder, candidate.target.id)
            rank = (candidate.rule is not None, stance["confidence"])
            if key not in best or rank > best[key][0]:
                best[key] = (rank, stance)
        return [stance for _, stance in best.values()]


def _hyphen_prefix(doc: Doc, target: TargetRef) -> str | None:
    i = target.token_start
    if i >= 2 and doc[i - 1].text == "-" and doc[i - 1].idx + 1 == doc[i].idx:
        return doc[i - 2].lower_
    return None


def _clause_verb(governor: Token) -> Token:
    """The verb of the clause a governor belongs to ("wants" for "an apology" in "wants an apology")."""
    token = governor
    for _ in range(4):
        if token.pos_ in ("VERB", "AUX") or token.head.i == token.i:
            return token
        token = token.head
    return token


def _token_index(token: Token | None) -> int | None:
    return token.i if token is not None else None


def _reported(verb: Token) -> bool:
    """Is this verb inside reported content ("he thought [Zelenskiy had done nothing wrong]")?"""
    token = verb
    for _ in range(12):
        if token.dep_ in ("ccomp", "xcomp", "relcl", "acl") or token.head.i == token.i:
            return token.dep_ in ("ccomp", "relcl", "acl")
        token = token.head
    return False


def _hypothetical(verb: Token) -> bool:
    """A clause under "if"/"whether" ("asked if Trump had agreed to ...") states nothing."""
    token = verb
    for _ in range(6):
        if any(child.dep_ == "mark" and child.lower_ in ("if", "whether") for child in token.children):
            return True
        if token.head.i == token.i:
            return False
        token = token.head
    return False


def _np_head(doc: Doc, target: TargetRef) -> Token:
    """The syntactic head of the target's tokens: the one whose head lies outside them."""
    for i in range(target.token_start, target.token_end):
        head = doc[i].head.i
        if not target.token_start <= head < target.token_end or head == i:
            return doc[i]
    return doc[target.token_end - 1]


EXONERATING_ADJECTIVES = frozenset({"wrong", "illegal", "improper", "unlawful"})
BLAME_ADJECTIVES = frozenset({"guilty", "responsible", "wrong", "culpable", "liable"})


def _exonerates(verb: Token) -> bool:
    for child in verb.children:
        nothing = child.dep_ == "dobj" and child.lower_ == "nothing"
        if nothing and any(grand.lower_ in EXONERATING_ADJECTIVES for grand in child.children):
            return True
        if child.dep_ in ("acomp", "attr") and child.lower_ in BLAME_ADJECTIVES:
            return any(c.dep_ == "neg" for c in verb.children)
        if child.dep_ == "xcomp" and child.lower_ == "blame":
            return any(c.dep_ == "neg" for c in verb.children)
    return False


def _someone_else(subject: Token | None, holder: str, index: MentionIndex, target: TargetRef) -> bool:
    """Does the clause belong to someone other than the quote's speaker ("he does want peace")?"""
    if subject is None or subject.lower_ in FIRST_PERSON:
        return False
    if target.token_start <= subject.i < target.token_end:
        return False  # the target is the subject: "a coalition was needed"
    if subject.lower_ in PRONOUNS_PERSON | PRONOUNS_THING | {"they"}:
        return True
    entity_id = index.entity_id_at(subject.i)
    entity = index.by_token.get(subject.i)
    return entity is not None and entity_id != holder and entity["type"] == "PERSON"


def _disagrees(polarity: str, score: float) -> bool:
    return (polarity == "support" and score < -0.5) or (polarity == "oppose" and score > 0.5)


def _negated(verb: Token, polarity: str) -> str:
    negated = any(child.dep_ == "neg" for child in verb.children)
    head = verb.head
    if verb.dep_ in ("xcomp", "ccomp") and head.lemma_.lower() in NEGATING_HEADS:
        negated = not negated
    if not negated:
        return polarity
    # "declined to criticize" is not support, only not opposition; "did not back" is opposition.
    return "neutral" if polarity == "oppose" else "oppose"


def _has_need_complement(verb: Token) -> bool:
    return any(
        child.dep_ in ("acomp", "attr") and child.lemma_.lower() in NEED_PREDICATES for child in verb.children
    )


def _subject_of(verb: Token) -> Token | None:
    """The verb's subject, inherited through xcomp/conj/advcl chains ("X has sought ... by pledging")."""
    token = verb
    for _ in range(6):
        for child in token.children:
            if child.dep_ in SUBJECT_DEPS:
                return child
        if token.dep_ in ("xcomp", "conj", "advcl", "pcomp", "acl") or token.head.dep_ == "prep":
            if token.head.i == token.i:
                return None
            token = token.head
            if token.dep_ == "prep":
                token = token.head
            continue
        return None
    return None


def institution_around(subject: Token, index: MentionIndex) -> tuple[Entity, int, int] | None:
    """ "the Trump administration": an institution noun whose compound/possessor is an entity."""
    if subject.lemma_.lower() not in INSTITUTION_NOUNS:
        return None
    for child in subject.children:
        if child.dep_ in ("compound", "poss", "amod"):
            entity = index.by_token.get(child.i)
            if entity is not None and entity["type"] in ("PERSON", "GPE", "NORP"):
                return entity, child.left_edge.idx, subject.idx + len(subject.text)
    return None


def add_entity(entities: list[Entity], entity_id: str, name: str, start: int, end: int, text: str) -> None:
    for entity in entities:
        if entity["id"] == entity_id:
            if all(m["start"] != start for m in entity["mentions"]):
                entity["mentions"].append(TextSpan(start=start, end=end, text=text[start:end]))
            return
    entities.append(
        Entity(
            id=entity_id,
            name=name,
            type="ORG",
            mentions=[TextSpan(start=start, end=end, text=text[start:end])],
        )
    )
