"""Who speaks: per-document lookups (token offsets, sentences, quotations, entity mentions) and the
resolution of a subject to its speaker: an entity's mention, a name in apposition, a bare surname,
"he"/"she" to the last main-clause PERSON subject, else the role as written."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from spacy.tokens import Doc, Token

from streams.enrich.quotes.lexicon import (
    MAIN_CLAUSE_DEPS,
    NOMINAL_POS,
    PERSON_PRONOUNS,
    RELATIVE_PRONOUNS,
    ROLE_NOUNS,
    SPEAKER_TYPES,
    SPEECH_VERBS,
    SUBJECT_DEPS,
)
from streams.enrich.quotes.marks import GAP_BEFORE_CLAUSE, Block
from streams.models import Entity, OffsetSpan


class DocContext:
    """Per-document lookups: token offsets, sentences, quotations, entity mentions, PERSON subjects."""

    def __init__(
        self, doc: Doc, entities: list[Entity], blocks: list[Block], text: str | None = None
    ) -> None:
        self.doc = doc
        self.text = doc.text if text is None else text  # Doc.text joins every token on each access
        self.tokens = list(doc)  # spaCy makes a new Token object per doc[i] and per iteration
        self.blocks = blocks
        self.starts = [t.idx for t in self.tokens]
        n = len(doc)
        self.sent_starts: list[int] = []
        self.sent_ends: list[int] = []
        for sent in doc.sents:
            self.sent_starts.append(sent.start)
            self.sent_ends.append(sent.end_char)
        self.in_quote = [False] * n
        # token index right after each block (gap of spaces/commas/dashes skipped) -> block
        self.after_block: dict[int, Block] = {}
        self.block_ends = [b.end for b in blocks]
        self.block_starts = [b.start for b in blocks]
        for block in blocks:
            for start, end in block.pieces:
                for i in self.token_range(start, end):
                    self.in_quote[i] = True
            j = bisect_left(self.starts, block.end)
            while (
                j < n and self.tokens[j].text in (",", "—", "–", "-") and self.tokens[j].idx - block.end < 3
            ):
                j += 1
            if j < n and GAP_BEFORE_CLAUSE.fullmatch(self.text, block.end, self.tokens[j].idx):
                self.after_block[j] = block
        self.entity_at: list[Entity | None] = [None] * n
        self.mention_at: list[tuple[int, int] | None] = [None] * n
        self.surnames: dict[str, Entity | None] = {}
        for entity in entities:
            if entity["type"] == "PERSON":
                words = entity["name"].split()
                if len(words) > 1:
                    key = words[-1]
                    self.surnames[key] = None if key in self.surnames else entity
            for mention in entity["mentions"]:
                for i in self.token_range(mention["start"], mention["end"]):
                    current = self.entity_at[i]
                    if current is None or (current["type"] != "PERSON" and entity["type"] == "PERSON"):
                        self.entity_at[i] = entity
                        self.mention_at[i] = (mention["start"], mention["end"])
        self._antecedents: list[tuple[int, Entity | None]] | None = None
        self._antecedent_offsets: list[int] = []
        self._words: list[int] | None = None
        self._quoted: list[int] = []

    def token_range(self, start: int, end: int) -> range:
        return range(bisect_left(self.starts, start), bisect_left(self.starts, end))

    def sent_end(self, i: int) -> int:
        return self.sent_ends[bisect_right(self.sent_starts, i) - 1]

    def left_outside_quote(self, tok: Token) -> int:
        """Index of the leftmost token of ``tok``'s subtree that is not inside a quotation."""
        for t in tok.subtree:
            if not self.in_quote[t.i]:
                return min(t.i, tok.i)
        return tok.i

    def block_before(self, i: int) -> Block | None:
        block = self.after_block.get(i)
        return block if block is not None and block.full and not block.taken else None

    def all_quoted(self, start: int, end: int) -> bool:
        """Is every word (letters or digits) between the offsets inside a quotation, and is there one?"""
        if self._words is None:  # prefix counts of words and of quoted words: O(1) per question
            words, quoted = [0], [0]
            for tok in self.tokens:
                word = tok.is_alpha or tok.is_digit
                words.append(words[-1] + word)
                quoted.append(quoted[-1] + (word and self.in_quote[tok.i]))
            self._words, self._quoted = words, quoted
        span = self.token_range(start, end)
        n = self._words[span.stop] - self._words[span.start]
        return n > 0 and self._quoted[span.stop] - self._quoted[span.start] == n

    # -- speakers

    def speaker(self, tok: Token) -> tuple[str | None, str | None, OffsetSpan | None]:
        """(entity id, name, span) of the source expressed by ``tok`` (a subject or pobj head)."""
        if tok.lower_ in RELATIVE_PRONOUNS and tok.head.dep_ == "relcl":
            # "Rubio, who said …": the speaker is the noun the clause hangs on, written at the pronoun
            # (where PolNeAR and a reader find the source of this cue).
            if self.in_quote[tok.i]:
                return None, None, None
            speaker, name, _ = self.speaker(tok.head.head)
            return speaker, name, OffsetSpan(start=tok.idx, end=tok.idx + len(tok.text))
        if self.in_quote[tok.i]:
            return None, None, None
        entity, span = self.entity_of(tok)
        if entity is not None and span is not None:
            return entity["id"], entity["name"], span
        own = OffsetSpan(start=tok.idx, end=tok.idx + len(tok.text))
        if tok.lower_ in PERSON_PRONOUNS:
            person = self.resolve_pronoun(tok)
            return (person["id"], person["name"], own) if person is not None else (None, None, own)
        if tok.pos_ == "PRON":
            return None, None, own
        if tok.pos_ in ("VERB", "AUX") and tok.dep_ not in SUBJECT_DEPS:
            return None, None, None
        start, end = np_core(tok)
        if any(self.in_quote[i] for i in self.token_range(start, end)):
            return None, None, None
        return None, self.text[start:end], OffsetSpan(start=start, end=end)

    def entity_of(self, tok: Token) -> tuple[Entity | None, OffsetSpan | None]:
        """The speaker-like entity named by ``tok`` or a name in apposition to it."""
        for cand in (tok, *(c for c in tok.children if c.dep_ == "appos")):
            entity = self.entity_at[cand.i]
            mention = self.mention_at[cand.i]
            if entity is not None and mention is not None and entity["type"] in SPEAKER_TYPES:
                if entity["type"] != "PERSON" and cand.pos_ == "PROPN":
                    person = self.surnames.get(cand.text)
                    if person is not None:
                        return person, OffsetSpan(start=cand.idx, end=cand.idx + len(cand.text))
                return entity, OffsetSpan(start=mention[0], end=mention[1])
            if entity is None and cand.pos_ == "PROPN":
                person = self.surnames.get(cand.text)
                if person is not None:
                    return person, OffsetSpan(start=cand.idx, end=cand.idx + len(cand.text))
        return None, None

    def antecedents(self) -> list[tuple[int, Entity | None]]:
        """(offset, PERSON or None for an unresolved role) of main-clause subjects, in text order."""
        if self._antecedents is None:
            out: list[tuple[int, Entity | None]] = []
            for tok in self.tokens:
                if tok.dep_ not in SUBJECT_DEPS or self.in_quote[tok.i]:
                    continue
                if tok.head.dep_ not in MAIN_CLAUSE_DEPS and tok.head.lemma_ not in SPEECH_VERBS:
                    continue
                if tok.lower_ in PERSON_PRONOUNS:
                    k = bisect_right(self._antecedent_offsets, tok.idx) - 1
                    if k >= 0:
                        out.append((tok.idx, out[k][1]))
                        self._antecedent_offsets.append(tok.idx)
                    continue
                entity, _ = self.entity_of(tok)
                if entity is not None and entity["type"] == "PERSON":
                    out.append((tok.idx, entity))
                elif entity is None and tok.pos_ == "NOUN" and tok.lower_ in ROLE_NOUNS:
                    out.append((tok.idx, None))
                else:
                    continue
                self._antecedent_offsets.append(tok.idx)
            self._antecedents = out
        return self._antecedents

    def resolve_pronoun(self, tok: Token) -> Entity | None:
        found = self.antecedents()
        k = bisect_left(self._antecedent_offsets, tok.idx) - 1
        return found[k][1] if k >= 0 else None


def subject_of(ctx: DocContext, cue: Token) -> Token | None:
    """The cue's subject outside quotations, the one nearest the cue when the parse gives several.

    Climbs from "…, adding" / "and said" (advcl, conj) or "was expected to tell" (xcomp) to the
    verb whose subject it shares.
    """
    node = cue
    passive = False
    for _ in range(3):
        subjects = [
            c
            for c in node.children
            if not ctx.in_quote[c.i] and (c.dep_ == "nsubj" or (c.dep_ == "nsubjpass" and passive))
        ]
        if subjects:
            return min(subjects, key=lambda c: abs(c.i - cue.i))
        if (
            node.dep_ in ("conj", "advcl", "xcomp")
            and node.head.i != node.i
            and not ctx.in_quote[node.head.i]
        ):
            passive = node.dep_ == "xcomp"
            node = node.head
            continue
        break
    return None


def subject_after_block(ctx: DocContext, cue: Token) -> tuple[Token | None, Block | None]:
    """``“…,” Texas delegate Bill Eastland, wearing a hat, said``: the parse lost the subject; the
    nominal right after the quotation, before the cue, is the speaker."""
    lo = max(0, cue.i - 16)
    for j in range(cue.i - 1, lo - 1, -1):
        block = ctx.block_before(j)
        if block is None:
            continue
        first = ctx.tokens[j]
        if first.pos_ not in NOMINAL_POS or ctx.in_quote[j]:
            return None, None
        head = first
        while lo <= head.head.i < cue.i and head.head.i != head.i and head.head.pos_ in NOMINAL_POS:
            head = head.head
        if any(
            ctx.tokens[t].pos_ in ("VERB", "AUX")
            and ctx.tokens[t].dep_ not in ("advcl", "acl", "relcl")
            and not ctx.in_quote[t]
            and ctx.tokens[t].head.i not in range(j, cue.i)
            for t in range(j, cue.i)
        ):
            return None, None
        return head, block
    return None, None


def np_core(tok: Token) -> tuple[int, int]:
    """Offsets of a noun phrase without its trailing clauses: "one European official"."""
    start = tok.idx
    for child in tok.lefts:
        if child.dep_ in ("det", "amod", "compound", "poss", "nummod", "nmod", "case", "quantmod"):
            start = min(start, child.left_edge.idx)
    end = tok.idx + len(tok.text)
    for child in tok.rights:
        if child.dep_ in ("compound", "flat", "case") or (
            child.dep_ == "prep" and child.lower_ in ("of", "for")
        ):
            right = child.right_edge
            end = max(end, right.idx + len(right.text))
    return start, end
