"""Candidate attributions for the learned cue model: each verb or noun with the clauses it governs.

PolNeAR annotates far more than speech: "Sanders has supported stem cell research", "Trump called
for a ban", "polls show …", "he was criticized for …". Their shape is syntactic: a cue word, its
subject (the source) and one of its complements (the content). This module lists, for every verb or
noun of a document, the complements that could be its content (:func:`candidates`) and describes each
candidate as a bag of sparse features (:func:`features`); :mod:`streams.enrich.quotes.cue_model`
scores them with weights learned on PolNeAR (``stancewire train quotes``).

Pure functions over the spaCy parse; no model here.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from spacy.tokens import Token

from streams.enrich.quotes.lexicon import COGNITION_VERBS, PERSON_PRONOUNS, SPEECH_VERBS
from streams.enrich.quotes.speakers import DocContext, subject_of

# Dependents of a cue that can hold its content: "said [that …]" (ccomp), "supports [the plan]" (dobj),
# "promised [to …]" (xcomp), "[that he lied] was reported" (nsubjpass), …
CONTENT_DEPS = frozenset({"ccomp", "dobj", "xcomp", "nsubjpass", "advcl", "acl", "oprd", "attr", "csubj"})
# Prepositions whose object is content named as its own relation ("called for", "talked about");
# any other preposition's object counts under a single "prep" relation.
CONTENT_PREPOSITIONS = frozenset({"for", "about", "on", "to", "of", "with", "against", "that", "as", "in"})
# Clausal parents a parenthetical cue hangs on: "The economy is strong, he said."
PARENT_DEPS = frozenset({"parataxis", "ccomp", "advcl"})
CUE_POS = frozenset({"VERB", "AUX", "NOUN"})
# Words left off the start of a content span: the complementizer and the punctuation before it.
LEADING_WORDS = frozenset({"that", ",", "to", "whether", "if", ":", "—"})
LEADING_DEPS = frozenset({"mark", "punct", "aux"})
# Nouns that report for someone else ("issued a statement describing …"): their subject is the
# issuer's, not the noun itself.
REPORT_NOUNS = frozenset(
    {
        "statement",
        "letter",
        "report",
        "interview",
        "speech",
        "tweet",
        "post",
        "op-ed",
        "memo",
        "release",
        "ad",
        "video",
        "book",
        "article",
        "remark",
        "comment",
    }
)
LEXICAL_CUES = SPEECH_VERBS | COGNITION_VERBS


@dataclass(frozen=True, slots=True)
class Candidate:
    """A cue token, the relation that links it to a content, the content's offsets and head."""

    cue: int  # token index
    relation: str
    start: int
    end: int
    head: int  # token index of the content's head


def content_offsets(tokens: list[Token], first: int, last: int) -> tuple[int, int] | None:
    """Offsets of the tokens ``first..last`` (a subtree's edges) without a leading "that"/"to"/comma
    and trailing punctuation; ``tokens`` is the document's, listed once."""
    while first <= last and tokens[first].dep_ in LEADING_DEPS and tokens[first].lower_ in LEADING_WORDS:
        first += 1
    while last >= first and tokens[last].is_punct:
        last -= 1
    if first > last:
        return None
    return tokens[first].idx, tokens[last].idx + len(tokens[last].text)


def candidates(tokens: list[Token], cue: Token) -> list[Candidate]:
    """Every complement of ``cue`` that could be the content of an attribution cued by it.

    A content is the stretch of its head's subtree (from its left to its right edge).
    """
    out: list[Candidate] = []
    for child in cue.children:
        dep = child.dep_
        if dep in CONTENT_DEPS:
            span = content_offsets(tokens, child.left_edge.i, child.right_edge.i)
            if span is not None:
                out.append(Candidate(cue.i, dep, *span, child.i))
        elif dep in ("prep", "agent", "dative"):
            word = child.lower_
            relation = f"prep:{word}" if word in CONTENT_PREPOSITIONS else "prep"
            for obj in child.children:
                if obj.dep_ in ("pobj", "pcomp"):
                    span = content_offsets(tokens, obj.left_edge.i, obj.right_edge.i)
                    if span is not None:
                        out.append(Candidate(cue.i, relation, *span, obj.i))
    head = cue.head
    if cue.dep_ in PARENT_DEPS and head.i != cue.i and head.i < cue.i:
        # "The economy is strong, he said": the head's subtree before the cue's own clause
        span = content_offsets(tokens, head.left_edge.i, cue.left_edge.i - 1)
        if span is not None:
            out.append(Candidate(cue.i, f"parent:{cue.dep_}", *span, head.i))
    return out


def source_of(ctx: DocContext, cue: Token) -> Token | None:
    """The token naming who holds the content cued by ``cue``, where the parse says so.

    The cue's subject (:func:`subject_of`), else a possessor ("Trump's claim"), the agent of a passive
    ("was reported by Politico"), and otherwise the subject of the verb the cue depends on: "began by
    saying", "issued a statement describing", "are more likely to say"; a participle on a noun
    ("voters saying …") has that noun as its source.
    """
    subject = subject_of(ctx, cue)
    if subject is not None:
        return subject
    for child in cue.children:
        if child.dep_ == "poss":
            return child
        if child.dep_ == "agent":
            for obj in child.children:
                if obj.dep_ == "pobj":
                    return obj
    node = cue
    for _ in range(4):
        head = node.head
        if head.i == node.i:
            return None
        if node.dep_ == "pcomp" or (node.dep_ == "pobj" and head.pos_ == "ADP"):
            node = head.head if head.head.i != head.i else head
        elif node.dep_ == "acl" and head.pos_ in ("NOUN", "PROPN", "PRON"):
            lemma = head.lemma_.lower()
            if lemma not in REPORT_NOUNS and lemma not in LEXICAL_CUES:
                return head
            node = head
            continue
        elif node.dep_ in ("dobj", "xcomp", "acomp", "conj", "advcl", "prep"):
            node = head
        else:
            return None
        subject = subject_of(ctx, node)
        if subject is not None:
            return subject
    return None


def _source_kind(ctx: DocContext, source: Token | None) -> str:
    if source is None:
        return "none"
    entity = ctx.entity_at[source.i]
    if entity is not None:
        return "ent:" + entity["type"]
    if source.lower_ in PERSON_PRONOUNS:
        return "pron:person"
    if source.pos_ == "PRON":
        return "pron:" + source.lower_
    return "noun:" + source.pos_


def _bucket(n: int) -> str:
    for limit, name in ((1, "0"), (2, "1"), (4, "2-3"), (8, "4-7"), (16, "8-15")):
        if n < limit:
            return name
    return "16+"


def features(ctx: DocContext, cand: Candidate, source: Token | None, sheet: Sheet) -> list[str]:
    """The sparse binary features of one candidate; the names are the model's vocabulary."""
    tokens = sheet.tokens
    cue, head, rel = tokens[cand.cue], tokens[cand.head], cand.relation
    lemma = cue.lemma_.lower()
    content = ctx.token_range(cand.start, cand.end)
    length = _bucket(len(content))
    has_verb = sheet.verbs[content.stop] > sheet.verbs[content.start]
    has_subject = False
    mark = "-"
    for c in head.children:
        if c.dep_ in ("nsubj", "nsubjpass", "expl"):
            has_subject = True
        elif c.dep_ == "mark" and mark == "-":
            mark = c.lower_
    negated = modal = False
    for c in cue.children:
        if c.dep_ == "neg":
            negated = True
        elif c.dep_ == "aux" and c.tag_ == "MD":
            modal = True
    kind = _source_kind(ctx, source)
    lexical = lemma in LEXICAL_CUES
    head_entity = ctx.entity_at[head.i]
    return [
        f"rel={rel}",
        f"lem={lemma}",
        f"lemrel={lemma}|{rel}",
        f"pos={cue.pos_}",
        f"tag={cue.tag_}",
        f"dep={cue.dep_}",
        f"deprel={cue.dep_}|{rel}",
        f"subj={kind}",
        f"subjrel={kind}|{rel}",
        f"lemsubj={lemma}|{kind.split(':')[0]}",
        f"len={length}",
        f"relen={rel}|{length}",
        f"hverb={has_verb}",
        f"hsubj={has_subject}|{rel}",
        f"mark={mark}|{rel}",
        f"hpos={head.pos_}|{rel}",
        f"neg={negated}",
        f"lex={lexical}",
        f"lexrel={lexical}|{rel}",
        f"inq={ctx.in_quote[cue.i]}",
        f"hq={ctx.all_quoted(cand.start, cand.end)}",
        f"hlem={head.lemma_.lower()}|{rel}",
        f"hent={head_entity['type'] if head_entity is not None else '-'}|{rel}",
        f"order={'after' if cand.start >= cue.idx else 'before'}|{rel}",
        f"prev={tokens[cue.i - 1].lower_ if cue.i > 0 else '^'}",
        f"head={cue.head.lemma_.lower()}|{cue.dep_}",
        f"modal={modal}",
        f"lemsk={lemma}|{kind}",
    ]


@dataclass(slots=True)
class Sheet:
    """Per-document lists read by every candidate: the tokens (spaCy makes a new object per
    ``doc[i]``) and prefix counts of verbs."""

    tokens: list[Token]
    verbs: list[int]

    @classmethod
    def of(cls, ctx: DocContext) -> Sheet:
        tokens = ctx.tokens
        verbs = [0]
        for tok in tokens:
            verbs.append(verbs[-1] + (tok.pos_ in ("VERB", "AUX")))
        return cls(tokens, verbs)


def document_candidates(
    ctx: DocContext, skip: Set[int] = frozenset()
) -> list[tuple[Candidate, Token | None, list[str]]]:
    """(candidate, its source token, its features) for every cue word of the document but the token
    indices in ``skip`` (cue words already used)."""
    sheet = Sheet.of(ctx)
    out: list[tuple[Candidate, Token | None, list[str]]] = []
    for tok in sheet.tokens:
        if tok.pos_ not in CUE_POS or tok.i in skip:
            continue
        found = candidates(sheet.tokens, tok)
        if not found:
            continue
        source = source_of(ctx, tok)
        out.extend((cand, source, features(ctx, cand, source, sheet)) for cand in found)
    return out
