"""The public face of quote attribution: :class:`QuoteAttributor` walks a parsed document and tries
each frame at each candidate cue, then adds what the learned cue model finds beyond the frames."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

from spacy.tokens import Doc, Token

from streams.enrich.quotes.clauses import document_candidates
from streams.enrich.quotes.cue_model import CueModel, shipped_model
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
    ``learned`` adds the attributions the learned cue model (``cue_model``, by default the shipped
    one) finds where no frame matched: positions, support, criticism, plans ("X called for …",
    "X has backed Y"); off, only the frames report.
    """

    def __init__(
        self,
        *,
        speech_verbs: Iterable[str] | None = None,
        cognition: bool = True,
        continuations: bool = True,
        learned: bool = True,
        cue_model: CueModel | None = None,
    ) -> None:
        verbs = frozenset(speech_verbs) if speech_verbs is not None else SPEECH_VERBS
        self.cognition = COGNITION_VERBS if cognition else frozenset()
        self.cues = verbs | self.cognition
        self.continuations = continuations
        self.cue_model = (cue_model or shipped_model()) if learned else None

    # ------------------------------------------------------------------ public

    def attribute(self, doc: Doc, entities: list[Entity], text: str | None = None) -> list[Quote]:
        """Quotes of ``doc`` in text order, speakers resolved against ``entities``; ``text`` is
        ``doc.text`` where the caller has it (Doc.text joins every token on each access)."""
        text = doc.text if text is None else text
        return [q for a in self.attributions(doc, entities, text) for q in to_quotes(text, a)]

    def attributions(self, doc: Doc, entities: list[Entity], text: str | None = None) -> list[Attribution]:
        if len(doc) == 0:
            return []
        text = doc.text if text is None else text
        ctx = DocContext(doc, entities, quote_blocks(text), text)
        found: list[Attribution] = []
        for tok in ctx.tokens:
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
        kept = drop_overlaps(found)
        if self.cue_model is None:
            return kept
        kept.extend(self._learned(ctx, self.cue_model, kept))
        kept.sort(key=lambda a: (a.pieces[0][0], a.cue_start))
        return kept

    # ------------------------------------------------------------------ learned

    def _learned(self, ctx: DocContext, model: CueModel, framed: list[Attribution]) -> list[Attribution]:
        """The model's attributions, most probable first, one per cue word, none whose content is
        mostly another attribution's (the frames', which are more precise, come first) and none that
        is all quotation: direct quotes are the frames' (a quotation they leave alone is nested in
        another or has no reporting clause, and the model, never trained to tell, adds false ones)."""
        used = {bisect_left(ctx.starts, a.cue_start) for a in framed}
        taken = [piece for a in framed for piece in a.pieces]
        scored = []
        for cand, source, feats in document_candidates(ctx, skip=used):
            if ctx.all_quoted(cand.start, cand.end):
                continue
            p = model.probability(feats)
            if p >= model.threshold:
                scored.append((p, cand, source))
        scored.sort(key=lambda x: (-x[0], x[1].start))
        out: list[Attribution] = []
        for p, cand, source in scored:
            if cand.cue in used or any(
                2 * (min(cand.end, e) - max(cand.start, s)) > min(cand.end - cand.start, e - s)
                for s, e in taken
            ):
                continue
            cue = ctx.tokens[cand.cue]
            speaker, name, span = ctx.speaker(source) if source is not None else (None, None, None)
            out.append(
                Attribution(
                    cue_text(cue),
                    cue.idx,
                    [(cand.start, cand.end)],
                    False,
                    speaker,
                    name,
                    span,
                    venue_at(ctx, cue),
                    max(ctx.sent_end(cue.i), cue.idx + len(cue.text)),
                    confidence=round(p, 4),
                )
            )
            used.add(cand.cue)
            taken.append((cand.start, cand.end))
        return out

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
