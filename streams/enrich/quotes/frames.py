"""Frames: the shapes in which news attributes a statement (a quotation beside its reporting clause,
a colon after the speaker, a clausal complement, "according to"), what content each reports, and how
attributions become Quote events (continuations joined, overlaps dropped)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from spacy.tokens import Token

from streams.enrich.quotes.lexicon import (
    GAP_DEPS,
    MEDIA_WORDS,
    NAMING_VERBS,
    OBJECT_CONTENT_VERBS,
    RELATIVE_PRONOUNS,
    VENUE_TYPES,
)
from streams.enrich.quotes.marks import (
    CLOSE_QUOTES,
    GAP_AFTER_COLON,
    LEADING_DET,
    MARKS,
    OPEN_QUOTES,
    STRAIGHT_QUOTE,
    TERMINAL,
    Block,
    inner_pieces,
    strip_marks,
)
from streams.enrich.quotes.speakers import DocContext, np_core, subject_of
from streams.models import OffsetSpan, Quote


@dataclass(slots=True)
class Attribution:
    cue: str
    cue_start: int
    pieces: list[tuple[int, int]]  # content, outer quotation marks excluded
    direct: bool
    speaker: str | None
    speaker_name: str | None
    speaker_span: OffsetSpan | None
    venue: str | None
    frame_end: int  # end of the sentence holding the cue
    blocks: list[Block] = field(default_factory=list)
    # The cue model's probability for an attribution it found; None for the frames' (no probability).
    confidence: float | None = None


def opens_report(ctx: DocContext, block: Block, cue: Token, lexical: bool) -> bool:
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


def block_after(ctx: DocContext, cue: Token) -> Block | None:
    """The block that starts after the cue with only the cue's own modifiers and a ``,``/``:`` between."""
    cue_end = cue.idx + len(cue.text)
    k = bisect_left(ctx.block_starts, cue_end)
    if k >= len(ctx.blocks):
        return None
    block = ctx.blocks[k]
    if block.taken:
        return None
    between = [ctx.tokens[i] for i in ctx.token_range(cue_end, block.start) if not ctx.tokens[i].is_space]
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


def colon_frames(ctx: DocContext) -> list[Attribution]:
    """Quotations introduced by a colon after their speaker: ``Daron Shaw: “…”``, ``he went further: “…”``."""
    out: list[Attribution] = []
    for block in ctx.blocks:
        if block.taken:
            continue
        head_text = ctx.text[max(0, block.start - 6) : block.start]
        if not GAP_AFTER_COLON.search(head_text):
            continue
        k = bisect_left(ctx.starts, block.start) - 1
        while k >= 0 and (ctx.tokens[k].is_space or ctx.tokens[k].text in MARKS):
            k -= 1
        if k < 1 or ctx.tokens[k].text != ":" or ctx.in_quote[k - 1]:
            continue
        before = ctx.tokens[k - 1]
        speaker_tok: Token | None = None
        cue_tok: Token | None = None
        if before.pos_ == "PROPN" or (ctx.entity_at[before.i] is not None and before.pos_ != "VERB"):
            speaker_tok = before
            while speaker_tok.dep_ in ("compound", "flat") and speaker_tok.head.i > speaker_tok.i:
                speaker_tok = speaker_tok.head
            prev = ctx.tokens[speaker_tok.left_edge.i - 1] if speaker_tok.left_edge.i > 0 else None
            if prev is not None and prev.pos_ == "VERB" and prev.i == speaker_tok.left_edge.i - 1:
                cue_tok = prev  # "Stated Stone:", "Continued Stone:"
        else:
            # the nearest verb up the tree with a real subject ("Clinton has since apologized for what
            # happened:" → Clinton, not "what")
            node = before
            for _ in range(6):
                if node.pos_ in ("VERB", "AUX"):
                    subject = subject_of(ctx, node)
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
        cue = cue_text(cue_tok) if cue_tok is not None else ":"
        cue_start = cue_tok.idx if cue_tok is not None else ctx.tokens[k].idx
        venue = venue_at(ctx, cue_tok) if cue_tok is not None else None
        out.append(
            Attribution(
                cue,
                cue_start,
                inner_pieces(ctx.text, block),
                True,
                speaker,
                name,
                span,
                venue,
                ctx.tokens[k].idx + 1,
                [block],
            )
        )
    return out


def attach_continuations(text: str, found: list[Attribution], blocks: list[Block]) -> None:
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
        rest = TERMINAL.split(gap, maxsplit=1)
        tail = rest[1] if len(rest) > 1 else gap
        if tail.strip():
            continue
        c = bisect_right(cues, last_end)
        if c < len(cues) and cues[c] < block.start and cues[c] != prev.cue_start:
            continue
        block.taken = True
        prev.blocks.append(block)
        prev.pieces.extend(inner_pieces(text, block))
        ends[k] = max(ends[k], block.end)


def drop_overlaps(found: list[Attribution]) -> list[Attribution]:
    """One attribution per stretch of content: direct ones first, then the earlier content."""
    ranked = sorted(found, key=lambda a: (not a.direct, a.pieces[0][0], a.cue_start))
    kept: list[Attribution] = []
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


def to_quotes(text: str, att: Attribution) -> list[Quote]:
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
            found_by="frames" if att.confidence is None else "cue-model",
            confidence=att.confidence,
        )
        for start, end in att.pieces
    ]


def cue_text(cue: Token) -> str:
    particles = [c for c in cue.children if c.dep_ == "prt" and c.i == cue.i + 1]
    return f"{cue.text} {particles[0].text}" if particles else cue.text


def venue_at(ctx: DocContext, cue: Token) -> str | None:
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
            start, end = np_core(cand)  # as written: "Bloomberg TV", not a canonical "Bloomberg News"
            return LEADING_DET.sub("", ctx.text[start:end])
    return None


def complement(ctx: DocContext, cue: Token) -> tuple[int, int] | None:
    """Offsets of what the cue reports: its clausal complement (or object), else the clause it hangs on."""
    lemma = cue.lemma_
    parts: list[Token] = []
    if lemma in NAMING_VERBS:
        # "called him “a liar”", "described it as “a step”": object and predicate, or nothing
        named = [c for c in cue.children if c.dep_ == "oprd" or (c.dep_ == "prep" and c.lower_ == "as")]
        if not named and lemma == "call":  # "called for a ban": a stated demand
            named = [p for c in cue.children if c.dep_ == "prep" and c.lower_ == "for" for p in c.children]
            return trim(ctx, [t for p in named for t in p.subtree]) if named else None
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
        return trim(ctx, [t for p in parts for t in p.subtree])
    if cue.dep_ == "parataxis" and cue.head.i != cue.i:
        skip = {t.i for t in cue.subtree}
        return trim(ctx, [t for t in cue.head.subtree if t.i not in skip])
    return None


def according(ctx: DocContext, according: Token) -> Attribution | None:
    to = ctx.tokens[according.i + 1]
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
    content = trim(ctx, [ctx.tokens[i] for i in range(first, last) if i not in phrase])
    if content is None:
        return None
    start, end, direct = content_kind(ctx, *content)
    return Attribution(
        "according to", according.idx, [(start, end)], direct, speaker, name, span, None, ctx.sent_ends[k]
    )


def content_kind(ctx: DocContext, start: int, end: int) -> tuple[int, int, bool]:
    """(start, end, direct): a complement that is all quotation is a direct quote (marks stripped).

    'said that “…”' stays indirect: the content holds "that", a word outside the quotation marks.
    """
    if ctx.all_quoted(start, end):
        s, e = strip_marks(ctx.text, start, end)
        return s, e, True
    return start, end, False


def trim(ctx: DocContext, toks: list[Token]) -> tuple[int, int] | None:
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
