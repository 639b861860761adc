"""Quote attribution: who said what, where, over a parsed spaCy ``Doc`` and its resolved entities.

Pure Python over the parse (no model, no per-document loading, patterns compiled at import); build
one :class:`QuoteAttributor` per worker.

An attribution is a cue ("said", "told", "according to", a colon after the speaker) with its speaker
and its content; it is emitted as one :class:`~streams.models.Quote` per piece of content.

- ``start``/``end``/``text``: the content, ``text == body[start:end]``; a direct quote's outer
  quotation marks are left out. A quotation interrupted by its reporting clause
  (``“A,” he said. “B.”``) or continued in the next sentence or paragraph comes as one Quote per
  piece, every piece with the same speaker, ``speaker_span`` and cue (that is how to tell that
  they are one attribution).
- ``kind``: ``direct`` when every word of the content lies between double quotation marks (curly
  “ ” or straight "), else ``indirect`` (reported speech, possibly with partial quotes inside it,
  like 'said a “coalition of the willing” was needed').
- ``speaker_span``: where the source is written (a name, a role such as "the official", or a
  pronoun). ``speaker``: the id of the entity that span refers to, else ``None``, never a guess: a
  name or role resolves through the entity list (a mention covering the head word, a name in
  apposition as in "Finland’s president, Alexander Stubb,", a bare surname of a PERSON named in full
  elsewhere); "he"/"she" resolve to the most recent main-clause PERSON subject before them, and to
  nothing when that subject is an unresolved role ("the official ... he said"). ``speaker_name``:
  the entity's name, else the literal role text ("one European official"), ``None`` for an
  unresolved pronoun.
- ``venue``: the medium named at the cue, as written without its article ("told the BBC" → "BBC",
  "said on CNN", "in an interview with Bloomberg TV"), else ``None``.

Quotations are found on the characters: curly pairs, straight pairs, and a quote left open at the
end of a paragraph runs to it (news style for quotes over several paragraphs). A quotation is
attributed (direct) when a reporting clause sits right after it (``“…,” Stubb told Bloomberg TV``,
any verb), right before it (``Starmer said: “…”``, ``he added, “…”``, a speech verb) or when it follows
a colon after a speaker (``Republican pollster Daron Shaw: “…”``). Indirect speech is the clausal
complement of a speech or belief verb with a subject ("X said (that) …", "X told the BBC …"), the
clause a parenthetical "…, the official said" hangs on, or the sentence around "according to X".
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

from spacy.tokens import Doc, Token

from streams.models import Entity, OffsetSpan, Quote


def _words(text: str) -> list[str]:
    return text.split()


# Verbs that report speech or a stated position (lemmas).
SPEECH_VERBS: frozenset[str] = frozenset(
    _words(
        """
        say tell add warn insist argue note stress claim explain state declare announce acknowledge
        admit assert suggest write tweet post report reply respond answer ask deny urge predict promise
        vow pledge contend maintain conclude recall reiterate emphasize emphasise observe remark comment
        testify confirm concede complain caution allege charge counter estimate point quip joke boast
        brag describe call accuse criticize criticise praise blame demand propose recommend question
        agree disagree threaten indicate signal proclaim mention lament retort repeat hint advise
        whisper shout scream yell tout dismiss continue mock scoff snap interject read quote chant echo
        tease recount thank write publish insinuate speculate acknowledge reveal show find conclude
        announce muse wonder reason elaborate underline highlight assure reassure
        """
    )
)
# Verbs of belief: attributions in PolNeAR's sense ("X believes that …"), reported as "indirect".
COGNITION_VERBS: frozenset[str] = frozenset(
    ["think", "believe", "feel", "know", "expect", "hope", "fear", "worry", "doubt"]
)
# Cues whose direct object is the addressee, not the content.
ADDRESSEE_VERBS: frozenset[str] = frozenset(
    {"tell", "ask", "urge", "warn", "advise", "remind", "assure", "reassure", "thank"}
)
# Cues whose direct object is the content ("she denied the claim").
OBJECT_CONTENT_VERBS: frozenset[str] = frozenset(
    _words(
        """
        deny announce acknowledge admit confirm predict promise pledge propose recommend demand question
        stress emphasize emphasise reiterate repeat claim dismiss tout reveal highlight underline
        criticize criticise praise blame accuse
        """
    )
)
# Cues whose content is the predicate ("called him “a liar”", "described it as “a step forward”").
NAMING_VERBS: frozenset[str] = frozenset({"call", "describe", "dub", "label", "brand", "term"})
# Cues taken only with a quotation next to them, never with a complement ("continues to run").
DIRECT_ONLY_VERBS: frozenset[str] = frozenset(
    _words(
        """
        continue read quote chant echo thank shout yell scream whisper joke quip tease snap scoff mock
        interject muse recount
        """
    )
)
# Heads of noun phrases that name a person by role: a pronoun after one of these is not resolved.
ROLE_NOUNS: frozenset[str] = frozenset(
    _words(
        """
        official officials spokesman spokeswoman spokesperson minister president leader chancellor
        senator governor mayor candidate secretary adviser advisor aide director chief chairman
        chairwoman ceo lawyer attorney diplomat source sources analyst expert strategist pollster
        congressman congresswoman representative ambassador general officer judge nominee founder
        executive manager professor economist commissioner premier king queen prince pope man woman
        """
    )
)
MEDIA_WORDS: frozenset[str] = frozenset(
    _words(
        """
        tv television radio newspaper paper magazine network channel podcast broadcaster news times post
        journal herald tribune guardian telegraph bbc cnn msnbc nbc abc cbs fox npr reuters bloomberg
        """
    )
)
GAP_DEPS = frozenset(
    {
        "npadvmod",
        "prep",
        "advmod",
        "dative",
        "dobj",
        "punct",
        "nsubj",
        "agent",
        "prt",
        "aux",
        "neg",
        "cc",
        "mark",
        "advcl",
        "attr",
        "pcomp",
        "acomp",
        "oprd",
    }
)
SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})
MAIN_CLAUSE_DEPS = frozenset({"ROOT", "conj", "parataxis"})
PERSON_PRONOUNS = frozenset({"he", "she"})
RELATIVE_PRONOUNS = frozenset({"who", "that", "which"})
SPEAKER_TYPES = frozenset({"PERSON", "ORG", "NORP", "GPE"})
VENUE_TYPES = frozenset({"ORG", "PRODUCT", "WORK_OF_ART", "FAC"})
NOMINAL_POS = frozenset({"PROPN", "NOUN", "PRON"})
MIN_WORDS_ANY_VERB = 3  # a quotation before a reporting clause with a verb outside the lexicon

OPEN_QUOTES = "“„«"
CLOSE_QUOTES = "”»"
STRAIGHT_QUOTE = '"'
MARKS = OPEN_QUOTES + CLOSE_QUOTES + STRAIGHT_QUOTE
_QUOTE_CHARS = re.compile(r"[“”„«»\"\n]")
_TERMINAL = re.compile(r"[.!?…][”\"’)\]]*\s+")
_FULL_BEFORE = re.compile(r"(?:^|[.!?:;…—–]|[”\"’]|\n)\s*$")
_GAP_BEFORE_CLAUSE = re.compile(r"[\s,—–-]{0,4}")
_GAP_AFTER_COLON = re.compile(r":\s*$")
_WORD = re.compile(r"\w+")
_LEADING_DET = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)


@dataclass(slots=True)
class _Block:
    """Adjacent quoted pieces (outer offsets, marks included) read as one stretch of quotation."""

    pieces: list[tuple[int, int]]
    full: bool  # begins a sentence (or follows a colon), i.e. is not embedded in narrative
    taken: bool = False

    @property
    def start(self) -> int:
        return self.pieces[0][0]

    @property
    def end(self) -> int:
        return self.pieces[-1][1]


@dataclass(slots=True)
class _Attribution:
    cue: str
    cue_start: int
    pieces: list[tuple[int, int]]  # content, outer quotation marks excluded
    direct: bool
    speaker: str | None
    speaker_name: str | None
    speaker_span: OffsetSpan | None
    venue: str | None
    frame_end: int  # end of the sentence holding the cue
    blocks: list[_Block] = field(default_factory=list)


class QuoteAttributor:
    """Finds direct and indirect quotes and their speakers in a parsed document.

    ``speech_verbs`` replaces the cue lexicon (lemmas); ``cognition`` also reports belief and intention
    ("X believes that …") as indirect quotes; ``continuations`` appends a quotation that follows a
    direct quote with nothing but the rest of the reporting sentence in between to that quote.
    """

    def __init__(
        self,
        *,
        speech_verbs: Iterable[str] | None = None,
        cognition: bool = True,
        continuations: bool = True,
    ) -> None:
        verbs = frozenset(speech_verbs) if speech_verbs is not None else SPEECH_VERBS
        self.cognition = COGNITION_VERBS if cognition else frozenset()
        self.cues = verbs | self.cognition
        self.continuations = continuations

    # ------------------------------------------------------------------ public

    def attribute(self, doc: Doc, entities: list[Entity]) -> list[Quote]:
        """Quotes of ``doc`` in text order, speakers resolved against ``entities``."""
        text = doc.text  # Doc.text joins every token on each access: read it once
        return [q for a in self.attributions(doc, entities) for q in _to_quotes(text, a)]

    def attributions(self, doc: Doc, entities: list[Entity]) -> list[_Attribution]:
        if len(doc) == 0:
            return []
        ctx = _Context(doc, entities, _quote_blocks(doc.text))
        found: list[_Attribution] = []
        for tok in doc:
            if ctx.in_quote[tok.i]:
                continue
            att: _Attribution | None = None
            if tok.lower_ == "according" and tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ == "to":
                att = _according(ctx, tok)
            elif tok.pos_ == "VERB" or (tok.pos_ == "AUX" and tok.lemma_ in self.cues):
                att = self._frame(ctx, tok)
            if att is not None:
                found.append(att)
        found.extend(_colon_frames(ctx))
        if self.continuations:
            _attach_continuations(ctx.text, found, ctx.blocks)
        return _drop_overlaps(found)

    # ------------------------------------------------------------------ frames

    def _frame(self, ctx: _Context, cue: Token) -> _Attribution | None:
        lexical = cue.lemma_ in self.cues
        if not lexical and not any(j in ctx.after_block for j in range(max(0, cue.i - 16), cue.i + 1)):
            return None
        subject = _subject(ctx, cue)
        left = cue.i if subject is None else min(cue.i, ctx.left_outside_quote(subject))
        before = ctx.block_before(left)
        if subject is None:
            subject, before = _subject_after_block(ctx, cue)
            if subject is None:
                return None
        if before is not None and not _opens_report(ctx, before, cue, lexical):
            before = None
        if not lexical and (
            before is None or len(_WORD.findall(ctx.text, before.start, before.end)) < MIN_WORDS_ANY_VERB
        ):
            return None
        speaker, name, span = ctx.speaker(subject)
        if span is None:
            return None
        attached = [before] if before is not None else []
        if lexical:
            after = _block_after(ctx, cue)
            if after is not None and (
                attached
                or after.full
                or _ends_sentence(ctx.text, after)
                or ctx.text[cue.idx + len(cue.text) : after.start].strip() == ":"
            ):
                attached.append(after)
        frame_end = max(ctx.sent_end(cue.i), cue.idx + len(cue.text))
        venue = _venue(ctx, cue)
        if attached:
            for block in attached:
                block.taken = True
            pieces = [p for b in attached for p in _inner_pieces(ctx.text, b)]
            return _Attribution(
                _cue_text(cue), cue.idx, pieces, True, speaker, name, span, venue, frame_end, attached
            )
        if cue.lemma_ in DIRECT_ONLY_VERBS:
            return None
        if cue.lemma_ in self.cognition and subject.pos_ != "PRON" and ctx.entity_at[subject.i] is None:
            return None
        content = _complement(ctx, cue)
        if content is None:
            return None
        start, end, direct = _content_kind(ctx, *content)
        return _Attribution(
            _cue_text(cue), cue.idx, [(start, end)], direct, speaker, name, span, venue, frame_end
        )


# ---------------------------------------------------------------------- per-document context


class _Context:
    """Per-document lookups: token offsets, sentences, quotations, entity mentions, PERSON subjects."""

    def __init__(self, doc: Doc, entities: list[Entity], blocks: list[_Block]) -> None:
        self.doc = doc
        self.text = doc.text
        self.blocks = blocks
        self.starts = [t.idx for t in doc]
        n = len(doc)
        self.sent_starts: list[int] = []
        self.sent_ends: list[int] = []
        for sent in doc.sents:
            self.sent_starts.append(sent.start)
            self.sent_ends.append(sent.end_char)
        self.in_quote = [False] * n
        # token index right after each block (gap of spaces/commas/dashes skipped) -> block
        self.after_block: dict[int, _Block] = {}
        self.block_ends = [b.end for b in blocks]
        self.block_starts = [b.start for b in blocks]
        for block in blocks:
            for start, end in block.pieces:
                for i in self.token_range(start, end):
                    self.in_quote[i] = True
            j = bisect_left(self.starts, block.end)
            while j < n and doc[j].text in (",", "—", "–", "-") and doc[j].idx - block.end < 3:
                j += 1
            if j < n and _GAP_BEFORE_CLAUSE.fullmatch(self.text, block.end, doc[j].idx):
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

    def block_before(self, i: int) -> _Block | None:
        block = self.after_block.get(i)
        return block if block is not None and block.full and not block.taken else None

    def all_quoted(self, start: int, end: int) -> bool:
        words = [i for i in self.token_range(start, end) if self.doc[i].is_alpha or self.doc[i].is_digit]
        return bool(words) and all(self.in_quote[i] for i in words)

    # -- speakers

    def speaker(self, tok: Token) -> tuple[str | None, str | None, OffsetSpan | None]:
        """(entity id, name, span) of the source expressed by ``tok`` (a subject or pobj head)."""
        if tok.lower_ in RELATIVE_PRONOUNS and tok.head.dep_ == "relcl":
            tok = tok.head.head
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
        start, end = _np_core(tok)
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
            for tok in self.doc:
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


# ---------------------------------------------------------------------- quotation marks


def _quote_blocks(text: str) -> list[_Block]:
    """Quoted stretches of ``text``, adjacent ones (only whitespace between) merged into blocks."""
    pieces: list[tuple[int, int, bool]] = []  # (start, end, closed)
    open_at = -1
    straight = False
    for m in _QUOTE_CHARS.finditer(text):
        ch = m.group()
        i = m.start()
        if ch == "\n":
            if open_at >= 0:
                pieces.append((open_at, i, False))
            open_at, straight = -1, False
        elif ch in OPEN_QUOTES or (ch == STRAIGHT_QUOTE and open_at < 0):
            open_at, straight = i, ch == STRAIGHT_QUOTE
        elif open_at >= 0 and (ch in CLOSE_QUOTES or (ch == STRAIGHT_QUOTE and straight)):
            pieces.append((open_at, i + 1, True))
            open_at, straight = -1, False
    if open_at >= 0:
        pieces.append((open_at, len(text), False))
    blocks: list[_Block] = []
    prev_closed = True
    for start, end, closed in pieces:
        if not _WORD.search(text, start, end):
            continue
        if blocks:
            gap = text[blocks[-1].end : start]
            if not gap.strip() and ("\n" not in gap or not prev_closed):
                blocks[-1].pieces.append((start, end))
                prev_closed = closed
                continue
        full = bool(_FULL_BEFORE.search(text, max(0, start - 4), start)) or start == 0
        blocks.append(_Block([(start, end)], full))
        prev_closed = closed
    return blocks


def _inner_pieces(text: str, block: _Block) -> list[tuple[int, int]]:
    return [_strip_marks(text, s, e) for s, e in block.pieces]


def _strip_marks(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start] in MARKS or text[start].isspace()):
        start += 1
    while end > start and (text[end - 1] in MARKS or text[end - 1].isspace() or text[end - 1] == ","):
        end -= 1
    return start, end


def _ends_sentence(text: str, block: _Block) -> bool:
    inner = text[block.pieces[-1][0] : block.pieces[-1][1]].rstrip(MARKS + " ")
    return inner.endswith((".", "!", "?", "…")) or not text[block.end : block.end + 3].strip()


def _opens_report(ctx: _Context, block: _Block, cue: Token, lexical: bool) -> bool:
    """Does ``block`` end the way a quotation before its reporting clause does (``“…,” X said``)?"""
    inner = ctx.text[block.pieces[-1][0] : block.pieces[-1][1]].rstrip(MARKS + " ")
    gap = ctx.text[block.end : block.end + 2]
    if inner.endswith((",", "?", "!", "—", "–", "-", "…")) or gap.startswith(","):
        return True
    # '“… missing.” Trump said.': a bare reporting clause with nothing else to report.
    return (
        lexical
        and inner.endswith(".")
        and not any(c.dep_ in ("ccomp", "xcomp", "dobj") and not ctx.in_quote[c.i] for c in cue.children)
    )


def _block_after(ctx: _Context, cue: Token) -> _Block | None:
    """The block that starts after the cue with only the cue's own modifiers and a ``,``/``:`` between."""
    cue_end = cue.idx + len(cue.text)
    k = bisect_left(ctx.block_starts, cue_end)
    if k >= len(ctx.blocks):
        return None
    block = ctx.blocks[k]
    if block.taken:
        return None
    between = [ctx.doc[i] for i in ctx.token_range(cue_end, block.start) if not ctx.doc[i].is_space]
    if not between:
        return block if not ctx.text[cue_end : block.start].strip() else None
    if between[-1].text not in (",", ":", "—", "–") or len(between) > 14:
        return None
    if "\n" in ctx.text[cue_end : block.start] and between[-1].text != ":":
        return None
    for tok in between:
        if tok.is_punct or ctx.in_quote[tok.i]:
            continue
        node = tok
        while node.head.i != cue.i and node.head.i != node.i:
            node = node.head
        if node.head.i != cue.i or node.dep_ not in GAP_DEPS:
            return None
    return block


def _colon_frames(ctx: _Context) -> list[_Attribution]:
    """Quotations introduced by a colon after their speaker: ``Daron Shaw: “…”``, ``he went further: “…”``."""
    out: list[_Attribution] = []
    for block in ctx.blocks:
        if block.taken:
            continue
        head_text = ctx.text[max(0, block.start - 6) : block.start]
        if not _GAP_AFTER_COLON.search(head_text):
            continue
        k = bisect_left(ctx.starts, block.start) - 1
        while k >= 0 and (ctx.doc[k].is_space or ctx.doc[k].text in MARKS):
            k -= 1
        if k < 1 or ctx.doc[k].text != ":" or ctx.in_quote[k - 1]:
            continue
        before = ctx.doc[k - 1]
        speaker_tok: Token | None = None
        cue_tok: Token | None = None
        if before.pos_ == "PROPN" or (ctx.entity_at[before.i] is not None and before.pos_ != "VERB"):
            speaker_tok = before
            while speaker_tok.dep_ in ("compound", "flat") and speaker_tok.head.i > speaker_tok.i:
                speaker_tok = speaker_tok.head
            prev = ctx.doc[speaker_tok.left_edge.i - 1] if speaker_tok.left_edge.i > 0 else None
            if prev is not None and prev.pos_ == "VERB" and prev.i == speaker_tok.left_edge.i - 1:
                cue_tok = prev  # "Stated Stone:", "Continued Stone:"
        else:
            # the nearest verb up the tree with a real subject ("Clinton has since apologized for what
            # happened:" → Clinton, not "what")
            node = before
            for _ in range(6):
                if node.pos_ in ("VERB", "AUX"):
                    subject = _subject(ctx, node)
                    if subject is not None and subject.lower_ not in RELATIVE_PRONOUNS | {"what", "it"}:
                        speaker_tok, cue_tok = subject, node
                        break
                if node.head.i == node.i:
                    break
                node = node.head
        if speaker_tok is None:
            continue
        speaker, name, span = ctx.speaker(speaker_tok)
        if span is None:
            continue
        block.taken = True
        cue = _cue_text(cue_tok) if cue_tok is not None else ":"
        cue_start = cue_tok.idx if cue_tok is not None else ctx.doc[k].idx
        venue = _venue(ctx, cue_tok) if cue_tok is not None else None
        out.append(
            _Attribution(
                cue,
                cue_start,
                _inner_pieces(ctx.text, block),
                True,
                speaker,
                name,
                span,
                venue,
                ctx.doc[k].idx + 1,
                [block],
            )
        )
    return out


def _attach_continuations(text: str, found: list[_Attribution], blocks: list[_Block]) -> None:
    """A full, unattributed block right after a direct quote's sentence continues that quote."""
    direct = sorted((a for a in found if a.direct and a.blocks), key=lambda a: a.pieces[-1][1])
    if not direct:
        return
    ends = [max(a.pieces[-1][1], a.frame_end) for a in direct]
    cues = sorted(a.cue_start for a in found)
    for block in blocks:
        if block.taken or not block.full:
            continue
        k = bisect_right(ends, block.start) - 1
        if k < 0:
            continue
        prev = direct[k]
        last_end = prev.blocks[-1].end
        gap = text[last_end : block.start]
        if gap.count("\n") > 2:
            continue
        rest = _TERMINAL.split(gap, maxsplit=1)
        tail = rest[1] if len(rest) > 1 else gap
        if tail.strip():
            continue
        c = bisect_right(cues, last_end)
        if c < len(cues) and cues[c] < block.start and cues[c] != prev.cue_start:
            continue
        block.taken = True
        prev.blocks.append(block)
        prev.pieces.extend(_inner_pieces(text, block))
        ends[k] = max(ends[k], block.end)


def _drop_overlaps(found: list[_Attribution]) -> list[_Attribution]:
    """One attribution per stretch of content: direct ones first, then the earlier content."""
    ranked = sorted(found, key=lambda a: (not a.direct, a.pieces[0][0], a.cue_start))
    kept: list[_Attribution] = []
    for att in ranked:
        s, e = att.pieces[0][0], att.pieces[-1][1]
        clash = any(
            s < k.pieces[-1][1]
            and k.pieces[0][0] < e
            and (
                any(ps <= att.cue_start < pe for ps, pe in k.pieces)
                or 2 * (min(e, k.pieces[-1][1]) - max(s, k.pieces[0][0])) > e - s
            )
            for k in kept
        )
        if not clash:
            kept.append(att)
    kept.sort(key=lambda a: (a.pieces[0][0], a.cue_start))
    return kept


def _to_quotes(text: str, att: _Attribution) -> list[Quote]:
    """One Quote per piece of content, all with the attribution's speaker, cue and venue."""
    return [
        Quote(
            text=text[start:end],
            start=start,
            end=end,
            speaker=att.speaker,
            speaker_name=att.speaker_name,
            speaker_span=att.speaker_span,
            cue=att.cue,
            kind="direct" if att.direct else "indirect",
            venue=att.venue,
        )
        for start, end in att.pieces
    ]


# ---------------------------------------------------------------------- parse helpers


def _subject(ctx: _Context, cue: Token) -> Token | None:
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


def _subject_after_block(ctx: _Context, cue: Token) -> tuple[Token | None, _Block | None]:
    """``“…,” Texas delegate Bill Eastland, wearing a hat, said``: the parse lost the subject; the
    nominal right after the quotation, before the cue, is the speaker."""
    lo = max(0, cue.i - 16)
    for j in range(cue.i - 1, lo - 1, -1):
        block = ctx.block_before(j)
        if block is None:
            continue
        first = ctx.doc[j]
        if first.pos_ not in NOMINAL_POS or ctx.in_quote[j]:
            return None, None
        head = first
        while lo <= head.head.i < cue.i and head.head.i != head.i and head.head.pos_ in NOMINAL_POS:
            head = head.head
        if any(
            ctx.doc[t].pos_ in ("VERB", "AUX")
            and ctx.doc[t].dep_ not in ("advcl", "acl", "relcl")
            and not ctx.in_quote[t]
            and ctx.doc[t].head.i not in range(j, cue.i)
            for t in range(j, cue.i)
        ):
            return None, None
        return head, block
    return None, None


def _cue_text(cue: Token) -> str:
    particles = [c for c in cue.children if c.dep_ == "prt" and c.i == cue.i + 1]
    return f"{cue.text} {particles[0].text}" if particles else cue.text


def _np_core(tok: Token) -> tuple[int, int]:
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


def _venue(ctx: _Context, cue: Token) -> str | None:
    """The medium named at the cue: "told the BBC", "said on CNN", "in an interview with Bloomberg TV"."""
    candidates: list[Token] = []
    for child in cue.children:
        if child.dep_ in ("dative", "dobj") and cue.lemma_ in ("tell", "say"):
            candidates.append(child)
        elif child.dep_ == "prep" and child.lower_ in ("on", "to", "in", "with"):
            for pobj in child.children:
                if pobj.dep_ != "pobj":
                    continue
                if pobj.lower_ == "interview":
                    candidates += [
                        p
                        for c in pobj.children
                        if c.dep_ == "prep" and c.lower_ == "with"
                        for p in c.children
                        if p.dep_ == "pobj"
                    ]
                elif child.lower_ != "in":
                    candidates.append(pobj)
    for cand in candidates:
        if ctx.in_quote[cand.i]:
            continue
        entity = ctx.entity_at[cand.i]
        ent_type = entity["type"] if entity is not None else cand.ent_type_
        if ent_type == "PERSON":
            continue
        words = {t.lower_ for t in cand.subtree}
        if ent_type in VENUE_TYPES or (cand.pos_ == "PROPN" and words & MEDIA_WORDS):
            start, end = _np_core(cand)  # as written: "Bloomberg TV", not a canonical "Bloomberg News"
            return _LEADING_DET.sub("", ctx.text[start:end])
    return None


def _complement(ctx: _Context, cue: Token) -> tuple[int, int] | None:
    """Offsets of what the cue reports: its clausal complement (or object), else the clause it hangs on."""
    lemma = cue.lemma_
    parts: list[Token] = []
    if lemma in NAMING_VERBS:
        # "called him “a liar”", "described it as “a step”": object and predicate, or nothing
        named = [c for c in cue.children if c.dep_ == "oprd" or (c.dep_ == "prep" and c.lower_ == "as")]
        if not named and lemma == "call":  # "called for a ban": a stated demand
            named = [p for c in cue.children if c.dep_ == "prep" and c.lower_ == "for" for p in c.children]
            return _trim(ctx, [t for p in named for t in p.subtree]) if named else None
        if not named:
            return None
        parts = named + [c for c in cue.children if c.dep_ == "dobj"]
    if not parts:
        parts = [c for c in cue.children if c.dep_ in ("ccomp", "xcomp")]
    if not parts and lemma in OBJECT_CONTENT_VERBS:
        parts = [c for c in cue.children if c.dep_ == "dobj" and c.pos_ != "PRON"]
    if not parts and lemma == "say":
        parts = [
            c
            for c in cue.children
            if c.dep_ == "dobj" and c.pos_ != "PRON" and any(t.pos_ in ("VERB", "AUX") for t in c.subtree)
        ]
    if parts:
        return _trim(ctx, [t for p in parts for t in p.subtree])
    if cue.dep_ == "parataxis" and cue.head.i != cue.i:
        skip = {t.i for t in cue.subtree}
        return _trim(ctx, [t for t in cue.head.subtree if t.i not in skip])
    return None


def _according(ctx: _Context, according: Token) -> _Attribution | None:
    to = ctx.doc[according.i + 1]
    source = next((c for c in to.children if c.dep_ == "pobj"), None)
    if source is None:
        return None
    speaker, name, span = ctx.speaker(source)
    if span is None:
        return None
    k = bisect_right(ctx.sent_starts, according.i) - 1
    first = ctx.sent_starts[k]
    last = ctx.sent_starts[k + 1] if k + 1 < len(ctx.sent_starts) else len(ctx.doc)
    phrase = range(according.i, source.right_edge.i + 1)
    content = _trim(ctx, [ctx.doc[i] for i in range(first, last) if i not in phrase])
    if content is None:
        return None
    start, end, direct = _content_kind(ctx, *content)
    return _Attribution(
        "according to", according.idx, [(start, end)], direct, speaker, name, span, None, ctx.sent_ends[k]
    )


def _content_kind(ctx: _Context, start: int, end: int) -> tuple[int, int, bool]:
    """(start, end, direct): a complement that is all quotation is a direct quote (marks stripped).

    'said that “…”' stays indirect: the content holds "that", a word outside the quotation marks.
    """
    if ctx.all_quoted(start, end):
        s, e = _strip_marks(ctx.text, start, end)
        return s, e, True
    return start, end, False


def _trim(ctx: _Context, toks: list[Token]) -> tuple[int, int] | None:
    """Contiguous offsets of ``toks`` without punctuation at the edges; None under two words."""
    if not toks:
        return None
    toks = sorted(toks, key=lambda t: t.i)
    lo, hi = 0, len(toks) - 1
    while (
        lo <= hi
        and (toks[lo].is_punct or toks[lo].is_space or toks[lo].dep_ == "cc")
        and toks[lo].text not in OPEN_QUOTES + STRAIGHT_QUOTE
    ):
        lo += 1
    while (
        hi >= lo
        and (toks[hi].is_punct or toks[hi].is_space)
        and toks[hi].text not in CLOSE_QUOTES + STRAIGHT_QUOTE
    ):
        hi -= 1
    if lo > hi or sum(1 for t in toks[lo : hi + 1] if t.is_alpha) < 1:
        return None
    first, last = toks[lo], toks[hi]
    return first.idx, last.idx + len(last.text)
