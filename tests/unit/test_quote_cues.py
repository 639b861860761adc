"""The learned cue model of quote attribution: candidate clauses, sources, scoring, and how the
attributor adds the model's attributions to the frames' (real spaCy parse)."""

from __future__ import annotations

import math

import orjson
import pytest

from streams.enrich.quotes import QuoteAttributor
from streams.enrich.quotes.clauses import document_candidates, source_of
from streams.enrich.quotes.cue_model import CueModel, shipped_model
from streams.enrich.quotes.marks import quote_blocks
from streams.enrich.quotes.speakers import DocContext
from streams.evaluation.polnear import GoldAttribution, PolnearArticle
from streams.quotemodel.train import data_digest, labelled_rows
from tests.unit.test_quotes import entities, run


def context(nlp, text: str, *specs) -> DocContext:
    return DocContext(nlp(text), entities(text, *specs), quote_blocks(text))


def offsets(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


def test_a_position_is_a_candidate_with_its_subject_as_source(nlp):
    text = "Sanders has supported stem cell research for years."
    ctx = context(nlp, text)
    found = {
        (ctx.doc[c.cue].text, c.relation, text[c.start : c.end]): s for c, s, _ in document_candidates(ctx)
    }
    source = found[("supported", "dobj", "stem cell research")]
    assert source is not None and source.text == "Sanders"


def test_sources_beyond_the_subject(nlp):
    text = "The meeting was first reported by Politico."
    ctx = context(nlp, text)
    (reported,) = [t for t in ctx.doc if t.text == "reported"]
    assert source_of(ctx, reported).text == "Politico"  # the agent of a passive
    text = "When he returned, Rubio began by saying the plan was dead."
    ctx = context(nlp, text)
    (saying,) = [t for t in ctx.doc if t.text == "saying"]
    assert source_of(ctx, saying).text == "Rubio"  # through "began by"


def test_content_offsets_leave_out_the_complementizer(nlp):
    text = "The governor said that the plan would fail."
    ctx = context(nlp, text)
    contents = {text[c.start : c.end] for c, _, _ in document_candidates(ctx) if c.relation == "ccomp"}
    assert "the plan would fail" in contents


def test_probability_is_the_sigmoid_of_the_summed_weights():
    model = CueModel({"a": 1.5, "b": -0.5}, bias=-0.25, threshold=0.5, version="test")
    assert model.probability(["a", "b", "unseen"]) == pytest.approx(1 / (1 + math.exp(-0.75)))
    assert model.probability([]) == pytest.approx(1 / (1 + math.exp(0.25)))
    assert CueModel({"x": -100.0}, 0.0, 0.5, "test").probability(["x"]) == 0.0


def test_the_model_loads_from_its_folder(tmp_path):
    (tmp_path / "model.json").write_bytes(
        orjson.dumps({"version": "v-test", "bias": 0.1, "threshold": 0.4, "weights": {"lem=say": 2.0}})
    )
    model = CueModel.load(tmp_path)
    assert (model.version, model.bias, model.threshold, model.weights) == (
        "v-test",
        0.1,
        0.4,
        {"lem=say": 2.0},
    )
    shipped = shipped_model()
    assert shipped.version == "quote-cues-v1" and 0 < shipped.threshold < 1 and len(shipped.weights) > 1000


def test_positions_beyond_speech_are_reported_with_their_holder(nlp):
    text = "Bernie Sanders has supported stem cell research for years."
    sanders = ("Bernie Sanders", "PERSON", ("Bernie Sanders", "Sanders"))
    assert run(nlp, QuoteAttributor(learned=False), text, sanders) == []
    (quote,) = run(nlp, QuoteAttributor(), text, sanders)
    assert quote["kind"] == "indirect"
    assert quote["text"] == "stem cell research"
    assert quote["speaker"] == "person:bernie-sanders"
    assert quote["cue"] == "supported"


def test_a_quote_says_what_found_it_and_the_models_probability(nlp):
    text = "“We will not back down,” Bernie Sanders said. Sanders has supported stem cell research for years."
    sanders = ("Bernie Sanders", "PERSON", ("Bernie Sanders", "Sanders"))
    model = shipped_model()
    framed, learned = run(nlp, QuoteAttributor(), text, sanders)
    assert (framed["found_by"], framed["confidence"]) == ("frames", None)
    assert learned["found_by"] == "cue-model" and learned["text"] == "stem cell research"
    assert learned["confidence"] is not None and model.threshold <= learned["confidence"] <= 1


def test_an_always_yes_model_adds_nothing_the_frames_already_hold(nlp):
    """Every candidate passes; still one attribution per cue word, none mostly over another's
    content, and no quotation the frames left alone comes back as a direct quote."""
    always = CueModel({}, bias=30.0, threshold=0.5, version="always")
    text = "“We will not back down,” Starmer said on Sunday, and he argued that the deal was fair."
    doc = nlp(text)
    ents = entities(text, STARMER_SPEC)
    framed = QuoteAttributor(learned=False).attributions(doc, ents)
    both = QuoteAttributor(cue_model=always).attributions(doc, ents)
    assert len(both) > len(framed)
    assert [a for a in both if a.direct] == [a for a in framed if a.direct]
    assert len({a.cue_start for a in both}) == len(both)
    for n, att in enumerate(both):
        (s1, e1), *_ = att.pieces
        for other in both[n + 1 :]:
            (s2, e2), *_ = other.pieces
            assert 2 * (min(e1, e2) - max(s1, s2)) <= min(e1 - s1, e2 - s2)


STARMER_SPEC = ("Keir Starmer", "PERSON", ("Keir Starmer", "Starmer"))


def test_a_relative_pronoun_speaks_for_its_noun_and_is_where_the_source_is_written(nlp):
    text = "Keir Starmer, who said the plan would fail, left early."
    quotes = run(nlp, QuoteAttributor(learned=False), text, STARMER_SPEC)
    (quote,) = [q for q in quotes if q["text"] == "the plan would fail"]
    assert quote["speaker"] == "person:keir-starmer"
    assert quote["speaker_span"] == {"start": text.index("who"), "end": text.index("who") + 3}


def test_training_labels_follow_the_gold_cue_and_content(nlp):
    text = "Sanders has supported stem cell research for years."
    ctx = context(nlp, text)
    gold = GoldAttribution(
        id="E1",
        content=[offsets(text, "stem cell research")],
        source=[offsets(text, "Sanders")],
        cue=[offsets(text, "has supported")],
    )
    article = PolnearArticle(name="a", annotator="x", text=text, attributions=[gold])
    rows = labelled_rows(ctx, article)
    positives = [feats for feats, label in rows if label]
    assert len(positives) == 1 and "lemrel=support|dobj" in positives[0]
    assert any(not label for _, label in rows)  # "for years" is a candidate too, and not gold
    other = PolnearArticle(name="b", annotator="x", text=text, attributions=[])
    assert data_digest([article, other]) == data_digest([other, article]) != data_digest([article])


def test_a_setting_turns_the_cue_model_off():
    from streams.enrich.pipeline import Enricher
    from streams.models import RawArticle
    from streams.settings import Settings

    article = RawArticle(article_id="a", body="Bernie Sanders has supported stem cell research for years.")
    on = Enricher.from_settings(Settings(stance_model_enabled=False))
    off = Enricher.from_settings(Settings(stance_model_enabled=False, quote_model_enabled=False))
    assert on.models["quotes"] == "quote-cues-v1" and "quotes" not in off.models
    (enriched,) = on.enrich_batch([article])
    assert [q["text"] for q in enriched["quotes"]] == ["stem cell research"]
    assert enriched["models"]["quotes"] == "quote-cues-v1"
    (plain,) = off.enrich_batch([article])
    assert plain["quotes"] == []
