"""The joint stance + sentiment model at run time: marking, pair symmetry, heads, determinism, errors.

Runs the shipped artifact (streams/data/models/stance-sentiment-v1) on made-up sentences; what the
model *says* is measured by ``stancewire eval stances`` / ``eval sentiment``, not here."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.stancemodel.encoding import SPAN_END, SPAN_START, SpanMarker
from streams.stancemodel.model import (
    DEFAULT_MODEL_DIR,
    SWAPPED,
    TOKENIZER_FILE,
    SentenceRequest,
    StanceSentimentModel,
    _gelu,
    shared_model,
)

TEXT = "Chancellor Hans Brandt sharply criticized Viktor Orban and praised the European Commission."
BRANDT = (TEXT.index("Hans Brandt"), TEXT.index("Hans Brandt") + len("Hans Brandt"))
ORBAN = (TEXT.index("Viktor Orban"), TEXT.index("Viktor Orban") + len("Viktor Orban"))
COMMISSION = (
    TEXT.index("European Commission"),
    TEXT.index("European Commission") + len("European Commission"),
)


@pytest.fixture(scope="module")
def model() -> StanceSentimentModel:
    return shared_model()


@pytest.fixture(scope="module")
def marker() -> SpanMarker:
    return SpanMarker.from_file(DEFAULT_MODEL_DIR / TOKENIZER_FILE, max_length=128)


def test_every_span_is_marked_once_and_positions_point_at_its_marker(marker):
    (encoded,) = marker.encode([(TEXT, [ORBAN, BRANDT, COMMISSION])])
    text = marker.tokenizer.decode(encoded.ids, skip_special_tokens=False)
    assert text.count(SPAN_START) == 3 and text.count(SPAN_END) == 3
    assert encoded.ids[0] == marker.cls_id and encoded.ids[-1] == marker.sep_id
    for position, (start, end) in zip(encoded.positions, [ORBAN, BRANDT, COMMISSION], strict=True):
        assert position is not None and encoded.ids[position] == marker.start_id
        closing = encoded.ids.index(marker.end_id, position)
        inside = marker.tokenizer.decode(encoded.ids[position + 1 : closing])
        assert inside == TEXT[start:end].lower()
    # the caller's order is kept: Orban (second in the text) first
    assert encoded.positions[1] < encoded.positions[0] < encoded.positions[2]


def test_overlapping_or_outside_spans_are_refused(marker):
    with pytest.raises(ValueError, match="overlap"):
        marker.encode([(TEXT, [(0, 10), (5, 15)])])
    with pytest.raises(ValueError, match="not inside"):
        marker.encode([(TEXT, [(0, len(TEXT) + 1)])])


def test_a_long_sentence_keeps_the_window_with_the_most_spans(marker):
    filler = "and then the committee met again " * 60
    text = "Anna Berg met Tom Lind. " + filler + "Later Eva Holm spoke."
    spans = [(0, 9), (14, 22), (text.index("Eva Holm"), text.index("Eva Holm") + 8)]
    (encoded,) = marker.encode([(text, spans)])
    assert len(encoded.ids) == 128
    assert encoded.positions[0] is not None and encoded.positions[1] is not None
    assert encoded.positions[2] is None  # too far away to fit with the other two


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(TEXT) - 1), min_size=0, max_size=8, unique=True))
def test_any_set_of_disjoint_spans_encodes(cuts):
    marker = SpanMarker.from_file(DEFAULT_MODEL_DIR / TOKENIZER_FILE, max_length=64)
    bounds = sorted(cuts)
    spans = [(a, b) for a, b in zip(bounds[0::2], bounds[1::2], strict=False) if a < b]
    (encoded,) = marker.encode([(TEXT, spans)])
    assert len(encoded.ids) <= 64
    assert len(encoded.positions) == len(spans)
    for position in encoded.positions:
        assert position is None or encoded.ids[position] == marker.start_id


def test_a_pair_read_either_way_gives_the_same_directed_reading(model):
    forward, backward = model.analyze(
        [
            SentenceRequest(TEXT, (BRANDT, ORBAN), ((0, 1),)),
            SentenceRequest(TEXT, (BRANDT, ORBAN), ((1, 0),)),
        ]
    )
    p, q = forward.pair_scores[0], backward.pair_scores[0]
    assert p is not None and q is not None
    assert math.isclose(float(p.sum()), 1.0, rel_tol=1e-5)
    np.testing.assert_allclose(p, q[list(SWAPPED)], atol=1e-6)


def test_sentiment_of_each_span_is_a_distribution(model):
    (result,) = model.analyze([SentenceRequest(TEXT, (BRANDT, ORBAN, COMMISSION))])
    assert result.pair_scores == []
    for row in result.span_scores:
        assert row is not None and row.shape == (3,) and math.isclose(float(row.sum()), 1.0, rel_tol=1e-5)


def test_scores_do_not_depend_on_the_other_sentences_of_the_call(model):
    request = SentenceRequest(TEXT, (BRANDT, ORBAN, COMMISSION), ((0, 1), (0, 2)))
    alone = model.analyze([request])[0]
    other = SentenceRequest("Nobody here said a word about Kim Park.", ((30, 38),))
    crowded = model.analyze([other, request, other])[1]
    for a, b in zip(
        alone.pair_scores + alone.span_scores, crowded.pair_scores + crowded.span_scores, strict=True
    ):
        assert a is not None and b is not None
        np.testing.assert_array_equal(a, b)


def test_the_split_pair_head_equals_the_head_it_was_trained_as(model):
    """The runtime multiplies each span once (blocks of the hidden weight); the trained head reads the
    concatenation [h_p, h_q, h_p·h_q, mean]. Both must give the same logits."""
    rng = np.random.default_rng(7)
    h = rng.normal(size=(4, 384)).astype(np.float32)
    mean = rng.normal(size=384).astype(np.float32)
    pairs = np.array([[0, 1], [2, 3], [3, 0]])
    forward, backward = model._pair_logits(h, pairs, mean)
    heads = model._heads
    for row, (i, j) in enumerate(pairs):
        for logits, (a, b) in ((forward, (i, j)), (backward, (j, i))):
            features = np.concatenate([h[a], h[b], h[a] * h[b], mean])
            hidden = _gelu(features @ heads["pair_hidden_weight"] + heads["pair_hidden_bias"])
            expected = hidden @ heads["pair_out_weight"] + heads["pair_out_bias"]
            np.testing.assert_allclose(logits[row], expected, rtol=1e-4, atol=1e-4)


def test_gelu_matches_the_erf_form():
    x = np.linspace(-6, 6, 101, dtype=np.float32)
    expected = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x], dtype=np.float32)
    np.testing.assert_allclose(_gelu(x), expected, atol=1e-6)


def test_bad_requests_say_what_is_wrong(model):
    with pytest.raises(ValueError, match="request 0"):
        model.analyze([SentenceRequest(TEXT, ((5, 2),))])
    with pytest.raises(ValueError, match="pair"):
        model.analyze([SentenceRequest(TEXT, (BRANDT,), ((0, 0),))])


def test_predict_reads_the_targets_of_one_text_together_as_the_pipeline_does(model):
    items = [(TEXT, *ORBAN), (TEXT, *COMMISSION), (TEXT, 0, 5)]
    together = model.predict(items)
    (result,) = model.analyze([SentenceRequest(TEXT, (ORBAN, COMMISSION, (0, 5)))])
    for sentiment, row in zip(together, result.span_scores, strict=True):
        assert row is not None
        assert sentiment.score == pytest.approx(float(row[2] - row[0]))
    overlapping = model.predict([(TEXT, *ORBAN), (TEXT, ORBAN[0], ORBAN[0] + 6)])
    assert len(overlapping) == 2


def test_a_missing_artifact_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no stance model"):
        StanceSentimentModel(tmp_path)


def test_stances_from_the_pair_model_and_sentiment_from_the_joint_model(model):
    from streams.enrich.pipeline import load_model
    from streams.settings import Settings
    from streams.stancemodel.model import DEFAULT_PAIR_MODEL_DIR, PairAndTargetModels

    both = load_model(Settings())
    assert isinstance(both, PairAndTargetModels)  # the shipped default
    assert both.pairs.model_dir == DEFAULT_PAIR_MODEL_DIR and both.targets is model
    assert both.version == "stance-pairs-v1 + stance-sentiment-v1"
    requests = [
        SentenceRequest(TEXT, (BRANDT, ORBAN, COMMISSION), ((0, 1), (0, 2))),
        SentenceRequest(TEXT, (BRANDT, ORBAN)),  # no pair: the stance model does not read it
    ]
    before = both.pairs.sentences_encoded
    got = both.analyze(requests)
    assert both.pairs.sentences_encoded == before + 1
    joint, alone = model.analyze(requests), both.pairs.analyze(requests[:1])
    for g, j in zip(got, joint, strict=True):
        assert all(np.array_equal(a, b) for a, b in zip(g.span_scores, j.span_scores, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(got[0].pair_scores, alone[0].pair_scores, strict=True))
    assert got[0].pair_classes == alone[0].pair_classes
    assert got[1].pair_scores == []
    # one model for both, when asked
    assert load_model(Settings(stance_pair_model_dir="none")) is model


def test_a_sentence_the_joint_model_reads_as_none_keeps_that_reading(model):
    from streams.stancemodel.model import DEFAULT_PAIR_MODEL_DIR, PairAndTargetModels

    pairs = shared_model(DEFAULT_PAIR_MODEL_DIR)
    request = SentenceRequest(TEXT, (BRANDT, ORBAN, COMMISSION), ((0, 1), (0, 2)))
    (joint,) = model.analyze([request])
    none_at = min(float(row[0]) for row in joint.pair_scores if row is not None)
    keeps = PairAndTargetModels(pairs, model, skip_none=none_at)  # every pair at least this sure
    before = pairs.sentences_encoded
    (kept,) = keeps.analyze([request])
    assert pairs.sentences_encoded == before  # not read again
    assert kept.pair_classes == joint.pair_classes
    assert all(np.array_equal(a, b) for a, b in zip(kept.pair_scores, joint.pair_scores, strict=True))
    rereads = PairAndTargetModels(pairs, model, skip_none=min(1.0, none_at + 1e-6))
    rereads.analyze([request])
    assert pairs.sentences_encoded == before + 1


def test_a_sentence_read_only_for_its_pairs_skips_the_sentiment_model(model):
    from streams.stancemodel.model import DEFAULT_PAIR_MODEL_DIR, PairAndTargetModels

    pairs = shared_model(DEFAULT_PAIR_MODEL_DIR)
    both = PairAndTargetModels(pairs, model)
    request = SentenceRequest(TEXT, (BRANDT, ORBAN, COMMISSION), ((0, 1), (0, 2)), sentiment=False)
    idle = SentenceRequest(TEXT, (BRANDT,), sentiment=False)  # no pair, no sentiment: nothing to read
    joint_before, pairs_before = model.sentences_encoded, pairs.sentences_encoded
    got, unread = both.analyze([request, idle])
    assert model.sentences_encoded == joint_before
    assert pairs.sentences_encoded == pairs_before + 1
    assert got.span_scores == [None, None, None] and unread.span_scores == [None]
    assert unread.pair_scores == []
    (alone,) = pairs.analyze([request])
    assert got.pair_classes == alone.pair_classes
    assert all(np.array_equal(a, b) for a, b in zip(got.pair_scores, alone.pair_scores, strict=True))
