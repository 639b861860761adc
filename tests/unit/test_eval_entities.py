"""CoNLL reader, text rebuild, type mapping and scoring, on small synthetic CoNLL text (never the real data)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from streams.cli.eval import eval_app
from streams.enrich.gazetteer import load_gazetteer
from streams.evaluation.entities import (
    ConllMissing,
    TypedCounts,
    data_file_or_raise,
    entity_spans,
    parse_conll,
)
from streams.models import Entity, Span

CONLL = """-DOCSTART- -X- -X- O

SOCCER NN B-NP O
- : O O
ACME NNP B-NP B-ORG
WIN VB B-VP O

Jane NNP B-NP B-PER
Doe NNP I-NP I-PER
of IN B-PP O
Acme NNP B-NP B-ORG
Mining NNP I-NP I-ORG
Corp NNP I-NP I-ORG
visited VBD B-VP O
Paris NNP B-NP I-LOC
. . O O

-DOCSTART- -X- -X- O

Oslo NNP B-NP B-LOC
Berlin NNP B-NP B-LOC
"""


def test_documents_text_offsets_and_gold_spans():
    first, second = parse_conll(CONLL.splitlines())
    assert first.text == "SOCCER - ACME WIN\nJane Doe of Acme Mining Corp visited Paris ."
    spans = [(first.text[s:e], kind) for s, e, kind in first.gold]
    # IOB1 ("I-LOC" opening an entity) and IOB2 both read
    assert spans == [("ACME", "ORG"), ("Jane Doe", "PER"), ("Acme Mining Corp", "ORG"), ("Paris", "LOC")]
    assert [second.text[s:e] for s, e, _ in second.gold] == ["Oslo", "Berlin"]
    assert all(first.text[s:e] for s, e in first.tokens)


def mention(text: str, part: str) -> Span:
    start = text.index(part)
    return Span(start=start, end=start + len(part), text=part)


def test_type_mapping_drops_roles_demonyms_and_other_types():
    text = "British prime minister Jane Doe met Acme in Paris with Catholics."
    entities = [
        Entity(
            id="p",
            name="Jane Doe",
            type="PERSON",
            mentions=[mention(text, "Jane Doe"), mention(text, "prime minister")],
            wikidata=None,
        ),
        Entity(
            id="Q145", name="United Kingdom", type="GPE", mentions=[mention(text, "British")], wikidata="Q145"
        ),
        Entity(id="o", name="Acme", type="ORG", mentions=[mention(text, "Acme")], wikidata=None),
        Entity(id="Q90", name="Paris", type="GPE", mentions=[mention(text, "Paris")], wikidata="Q90"),
        Entity(id="g", name="Catholics", type="NORP", mentions=[mention(text, "Catholics")], wikidata=None),
    ]
    spans = entity_spans(entities, load_gazetteer())
    assert sorted((text[s:e], kind) for s, e, kind in spans) == [
        ("Acme", "ORG"),
        ("Jane Doe", "PER"),
        ("Paris", "LOC"),
    ]


def test_exact_span_and_type_micro_counts():
    counts = TypedCounts()
    gold = [(0, 4, "PER"), (10, 14, "ORG"), (20, 25, "LOC"), (30, 33, "MISC")]
    counts.add_document({(0, 4, "PER"), (10, 14, "LOC"), (20, 24, "LOC")}, gold)
    assert counts.by_type["PER"].tp == 1
    assert counts.by_type["LOC"].tp == 0 and counts.by_type["LOC"].predicted == 2
    total = counts.total
    assert (total.tp, total.predicted, total.gold) == (1, 3, 3)


def test_missing_data_is_reported_and_the_command_exits_0(tmp_path: Path):
    with pytest.raises(ConllMissing):
        data_file_or_raise(tmp_path)
    result = CliRunner().invoke(eval_app, ["entities", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0
    assert "skipping the entity evaluation" in " ".join(result.output.split())
