"""The shipped target-sentiment artifact at run time (onnxruntime + tokenizers; no torch needed)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from streams.sentiment.lexicon import VaderBaseline, polarity_of_compound
from streams.sentiment.model import DEFAULT_MODEL_DIR, TargetSentimentModel, shared_model


def span(text: str, mention: str) -> tuple[str, int, int]:
    start = text.index(mention)
    return (text, start, start + len(mention))


PUTIN = span("The only thing that Vladimir Putin understands is power.", "Vladimir Putin")
PRAISE = span(
    "Colleagues praised Maria Lopez as a brilliant, generous and inspiring leader who saved the hospital.",
    "Maria Lopez",
)
NEUTRAL = span("Angela Merkel will travel to Paris on Tuesday for the meeting.", "Angela Merkel")


@pytest.fixture(scope="module")
def model() -> TargetSentimentModel:
    return shared_model()


def test_artifact_is_shipped_with_a_manifest():
    manifest = json.loads((DEFAULT_MODEL_DIR / "manifest.json").read_text())
    assert manifest["version"] == "target-sentiment-v1"
    assert manifest["labels"] == ["negative", "neutral", "positive"]
    assert manifest["validation"]["macro_f1"] >= 0.75
    assert (DEFAULT_MODEL_DIR / "model.onnx").stat().st_size == manifest["files"]["model.onnx"]["bytes"]


def test_signs_on_clear_sentences(model):
    putin, praise = model.predict([PUTIN, PRAISE])
    assert putin.polarity == "negative" and putin.score < 0
    assert praise.polarity == "positive" and praise.score > 0


def test_the_target_matters(model):
    text = "Police arrested the violent thug after Officer Diaz bravely rescued the children."
    thug, officer = model.predict([span(text, "the violent thug"), span(text, "Officer Diaz")])
    assert thug.score < officer.score


def test_scores_and_probabilities_are_well_formed(model):
    results = model.predict([PUTIN, PRAISE, NEUTRAL])
    for result in results:
        assert -1.0 <= result.score <= 1.0
        assert set(result.probabilities) == {"negative", "neutral", "positive"}
        assert sum(result.probabilities.values()) == pytest.approx(1.0, abs=1e-4)
        assert result.polarity == max(result.probabilities, key=result.probabilities.__getitem__)
        assert result.score == pytest.approx(
            result.probabilities["positive"] - result.probabilities["negative"]
        )
    assert model.predict([]) == []


def test_batch_order_is_kept(model):
    items = [PRAISE, PUTIN, NEUTRAL, PUTIN, span("Smith lied.", "Smith"), PRAISE]
    together = model.predict(items)
    alone = [model.predict([item])[0] for item in items]
    # The shipped int8 model runs one target per onnxruntime call: a score never depends on its batch.
    assert model.batch_size == 1
    assert together == alone
    clear = [PRAISE, span("Smith lied.", "Smith"), NEUTRAL, PRAISE, span("Smith lied.", "Smith")]
    wide = TargetSentimentModel(batch_size=4).predict(clear)
    assert [r.polarity for r in wide] == ["positive", "negative", "neutral", "positive", "negative"]


def test_long_texts_keep_the_target_in_the_window(model):
    filler = "The committee met again on a weekday to review the routine schedule. " * 120
    for sentence, start, end in (PUTIN, PRAISE):
        mention = sentence[start:end]
        for text, offset in (
            (filler + sentence, len(filler)),
            (sentence + " " + filler, 0),
            (filler + sentence + " " + filler, len(filler)),
        ):
            item = (text, start + offset, end + offset)
            assert text[item[1] : item[2]] == mention
            (ids,) = model.encoder.encode([item])
            assert len(ids) <= model.max_length
            decoded = model.encoder.decode(ids)
            assert f"[TGT] {mention.lower()} [/TGT]" in decoded
            # the whole sentence around the target is kept, then as much filler as fits
            assert " ".join(sentence.lower().rstrip(".").split()[-3:]) in decoded
            assert " ".join(sentence.lower().split()[:2]) in decoded
            if sentence == PRAISE[0]:
                assert model.predict([item])[0].polarity == "positive"
    huge_target = ("x" * 5 + " ") * 400
    (ids,) = model.encoder.encode([(huge_target, 0, len(huge_target))])
    assert len(ids) == model.max_length and ids[1] == model.encoder.target_start_id
    assert ids[-2] == model.encoder.target_end_id


def test_bad_spans_are_refused(model):
    with pytest.raises(ValueError, match="item 1"):
        model.predict([PUTIN, ("short", 2, 40)])
    with pytest.raises(ValueError):
        model.predict([("text", 3, 3)])


def test_loaded_once_per_process():
    assert shared_model() is shared_model(DEFAULT_MODEL_DIR)


def test_runtime_needs_neither_torch_nor_transformers():
    code = (
        "import sys; from streams.sentiment.model import TargetSentimentModel as M; "
        "M().predict([('Smith lied.', 0, 5)]); "
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_vader_baseline_same_api():
    vader = VaderBaseline()
    bad, good, flat = vader.predict([PUTIN, PRAISE, NEUTRAL])
    assert good.polarity == "positive" and good.score > 0.05
    assert flat.polarity == "neutral"
    assert bad.polarity in ("negative", "neutral", "positive")  # the lexicon does not see the target
    assert polarity_of_compound(0.05) == "positive"
    assert polarity_of_compound(-0.05) == "negative"
    assert polarity_of_compound(0.049) == "neutral"
    with pytest.raises(ValueError):
        vader.predict([("abc", 0, 9)])


def test_temperature_from_the_manifest_softens_but_keeps_labels(model, tmp_path):
    manifest = json.loads((DEFAULT_MODEL_DIR / "manifest.json").read_text())
    assert manifest["temperature"] > 0
    for name in ("model.onnx", "tokenizer.json"):
        (tmp_path / name).symlink_to(DEFAULT_MODEL_DIR / name)
    (tmp_path / "manifest.json").write_text(json.dumps({**manifest, "temperature": 1000.0}))
    hot = TargetSentimentModel(tmp_path)
    items = [PUTIN, PRAISE, NEUTRAL]
    assert [r.polarity for r in hot.predict(items)] == [r.polarity for r in model.predict(items)]
    assert all(abs(r.score) < 0.05 for r in hot.predict(items))
    np.testing.assert_allclose(hot.logits(items), model.logits(items), atol=1e-3)
    (tmp_path / "manifest.json").write_text(json.dumps({**manifest, "temperature": 0}))
    with pytest.raises(ValueError, match="temperature"):
        TargetSentimentModel(tmp_path)
