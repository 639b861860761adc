"""The public face of quote attribution: :class:`QuoteAttributor` walks a parsed document and tries
each frame at each candidate cue."""

from __future__ import annotations

from collections.abc import Iterable

from spacy.tokens import Doc, Token

from streams.enrich.quotes.frames import (
    Attribution,
    according,
    attach_continuations,
    block_after,
    colon_frames,
    complement,
    content_kind,
    cue_text,
    drop_overlaps,
    opens_report,
    to_quotes,
    venue_at,
)
from streams.enrich.quotes.lexicon import (
    COGNITION_VERBS,
    DIRECT_ONLY_VERBS,
    MIN_WORDS_ANY_VERB,
    SPEECH_VERBS,
)
from streams.enrich.quotes.marks import WORD, ends_sentence, inner_pieces, quote_blocks
from streams.enrich.quotes.speakers import DocContext, subject_after_block, subject_of
from streams.models import Entity, Quote


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
        return [q for a in self.attributions(doc, entities) for q in to_quotes(text, a)]

    def attributions(self, doc: Doc, entities: list[Entity]) -> list[Attribution]:
        if len(doc) == 0:
            return []
        ctx = DocContext(doc, entities, quote_blocks(doc.text))
        found: list[Attribution] = []
        for tok in doc:
            if ctx.in_quote[tok.i]:
                continue
            att: Attribution | None = None
            if tok.lower_ == "according" and tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ == "to":
                att = according(ctx, tok)
            elif tok.pos_ == "VERB" or (tok.pos_ == "AUX" and tok.lemma_ in self.cues):
                att = self._frame(ctx, tok)
            if att is not None:
                found.append(att)
        found.extend(colon_frames(ctx))
        if self.continuations:
            attach_continuations(ctx.text, found, ctx.blocks)
        return drop_overlaps(found)

    # ------------------------------------------------------------------ frames

    def _frame(self, ctx: DocContext, cue: Token) -> Attribution | None:
        lexical = cue.lemma_ in self.cues
        if not lexical and not any(j in ctx.after_block for j in range(max(0, cue.i - 16), cue.i + 1)):
            return None
        subject = subject_of(ctx, cue)
        left = cue.i if subject is None else min(cue.i, ctx.left_outside_quote(subject))
        before = ctx.block_before(left)
        if subject is None:
            subject, before = subject_after_block(ctx, cue)
            if subject is None:
                return None
        if before is not None and not opens_report(ctx, before, cue, lexical):
            before = None
        if not lexical and (
            before is None or len(WORD.findall(ctx.text, before.start, before.end)) < MIN_WORDS_ANY_VERB
        ):
            return None
        speaker, name, span = ctx.speaker(subject)
        if span is None:
            return None
        attached = [before] if before is not None else []
        if lexical:
            after = block_after(ctx, cue)
            if after is not None and (
                attached
                or after.full
                or ends_sentence(ctx.text, after)
                or ctx.text[cue.idx + len(cue.text) : after.start].strip() == ":"
            ):
                attached.append(after)
        frame_end = max(ctx.sent_end(cue.i), cue.idx + len(cue.text))
        venue = venue_at(ctx, cue)
        if attached:
            for block in attached:
                block.taken = True
            pieces = [p for b in attached for p in inner_pieces(ctx.text, b)]
            return Attribution(
                cue_text(cue), cue.idx, pieces, True, speaker, name, span, venue, frame_end, attached
            )
        if cue.lemma_ in DIRECT_ONLY_VERBS:
            return None
        if cue.lemma_ in self.cognition and subject.pos_ != "PRON" and ctx.entity_at[subject.i] is None:
            return None
        content = complement(ctx, cue)
        if content is None:
            return None
        start, end, direct = content_kind(ctx, *content)
        return Attribution(
            cue_text(cue), cue.idx, [(start, end)], direct, speaker, name, span, venue, frame_end
        )
