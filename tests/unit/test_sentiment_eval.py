"""The NewsMTSC reader, the deterministic split and the evaluation math, on tiny synthetic data."""

from __future__ import annotations

import orjson
import pytest

from streams.evaluation.sentiment import (
    SentimentDataMissing,
    SentimentItem,
    data_file,
    default_data_dir,
    evaluate,
    is_validation,
    load_newsmtsc,
    parse_lines,
    score,
    split_items,
    split_rule,
)
from streams.sentiment.base import TargetSentiment


def line(gid: str, text: str, targets: list[tuple[str, float]]) -> str:
    spans = []
    for mention, polarity in targets:
        start = text.index(mention)
        spans.append({"from": start, "to": start + len(mention), "mention": mention, "polarity": polarity})
    return orjson.dumps({"primary_gid": gid, "sentence_normalized": text, "targets": spans}).decode()


def test_score_by_hand():
    gold = ["negative"] * 4 + ["neutral"] * 3 + ["positive"] * 3
    predicted = ["negative", "negative", "negative", "neutral"]
    predicted += ["neutral", "neutral", "positive"]
    predicted += ["positive", "positive", "negative"]
    report = score(gold, predicted)
    assert report.count == 10
    assert report.accuracy == pytest.approx(7 / 10)
    assert report.confusion["negative"] == {"negative": 3, "neutral": 1, "positive": 0}
    assert report.confusion["positive"]["negative"] == 1
    neg = report.per_class["negative"]
    assert (neg.precision, neg.recall, neg.support) == (pytest.approx(3 / 4), pytest.approx(3 / 4), 4)
    assert neg.f1 == pytest.approx(0.75)
    neu = report.per_class["neutral"]  # tp 2, predicted 3, gold 3
    assert neu.f1 == pytest.approx(2 / 3)
    pos = report.per_class["positive"]  # tp 2, predicted 3, gold 3
    assert pos.f1 == pytest.approx(2 / 3)
    assert report.macro_f1 == pytest.approx((0.75 + 2 / 3 + 2 / 3) / 3)
    assert report.as_dict()["macro_f1"] == round(report.macro_f1, 4)


def test_score_edge_cases():
    perfect = score(["neutral", "positive"], ["neutral", "positive"])
    # A class absent on both sides scores F1 0 and still counts in the macro average (as in sklearn).
    assert perfect.accuracy == 1.0
    assert perfect.macro_f1 == pytest.approx(2 / 3)
    empty = score([], [])
    assert (empty.count, empty.accuracy, empty.macro_f1) == (0, 0.0, 0.0)
    with pytest.raises(ValueError):
        score(["negative"], [])
    with pytest.raises(ValueError):
        score(["negative"], ["angry"])


def test_parse_lines_maps_codes_and_offsets():
    lines = [
        line("g1", "Critics slammed Smith while Jones smiled.", [("Smith", 2.0), ("Jones", 6.0)]),
        "",
        line("g2", "The mayor spoke on Monday.", [("The mayor", 4.0)]),
    ]
    items = parse_lines(lines)
    assert [(i.gid, i.text[i.start : i.end], i.label) for i in items] == [
        ("g1", "Smith", "negative"),
        ("g1", "Jones", "positive"),
        ("g2", "The mayor", "neutral"),
    ]
    bad = orjson.dumps(
        {
            "primary_gid": "g",
            "sentence_normalized": "abc",
            "targets": [{"from": 0, "to": 2, "mention": "bc", "polarity": 2.0}],
        }
    )
    with pytest.raises(ValueError, match="offsets"):
        parse_lines([bad])


def test_split_is_deterministic_by_sentence():
    items = [
        SentimentItem(f"gid-{n}", "Alice and Bob met.", start, end, "neutral")
        for n in range(2000)
        for start, end in ((0, 5), (10, 13))
    ]
    train, validation = split_items(items)
    assert split_items(items) == (train, validation)
    assert len(train) + len(validation) == len(items)
    assert 0.12 < len(validation) / len(items) < 0.18
    validation_gids = {i.gid for i in validation}
    assert validation_gids.isdisjoint({i.gid for i in train})  # both targets of a sentence together
    assert all(is_validation(gid) for gid in validation_gids)
    other_train, _ = split_items(items, seed="another seed")
    assert other_train != train
    assert "sha256" in split_rule() and "15" in split_rule()


def test_missing_data_says_where(tmp_path):
    with pytest.raises(SentimentDataMissing, match="NewsMTSC"):
        data_file(tmp_path / "nowhere")
    assert default_data_dir().parts[-3:] == ("shared", "data", "newsmtsc")


def test_load_and_evaluate_with_a_fake_model(tmp_path):
    (tmp_path / "train.jsonl").write_text(
        "\n".join(
            [
                line("a", "Critics slammed Smith.", [("Smith", 2.0)]),
                line("b", "Fans cheered Jones.", [("Jones", 6.0)]),
                line("c", "Lee arrived.", [("Lee", 4.0)]),
            ]
        )
        + "\n"
    )
    items = load_newsmtsc(tmp_path)

    class Keyword:
        name = "keyword"

        def predict(self, spans):
            out = []
            for text, _, _ in spans:
                polarity = "negative" if "slammed" in text else "positive"
                out.append(TargetSentiment(polarity, -1.0 if polarity == "negative" else 1.0))
            return out

    report = evaluate(Keyword(), items)
    assert report.count == 3
    assert report.accuracy == pytest.approx(2 / 3)
    assert report.confusion["neutral"]["positive"] == 1
    assert report.seconds >= 0.0
