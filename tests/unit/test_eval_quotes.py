"""PolNeAR reader, split, direct-quote rule and scoring, on small synthetic brat files (never the real data)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import typer
from typer.testing import CliRunner

from streams.cli.eval import eval_app
from streams.evaluation.polnear import (
    GoldAttribution,
    PolnearMissing,
    article_names,
    data_dir_or_raise,
    is_quoted,
    load_articles,
    parse_ann,
    quote_regions,
    split_of,
)
from streams.evaluation.quotes import Predicted, content_overlap, group_quotes, score_article, speaker_matches
from streams.models import Entity, OffsetSpan, Quote

TEXT = (
    "Trump said that the wall would be built.\n\n"
    "“We will win,” Clinton told CNN. “Believe me.”\n\n"
    "The plan is “a disaster,” according to Sanders."
)


def span(text: str, part: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(part, start + 1)
    return start, start + len(part)


def t_line(n: int, kind: str, text: str, *parts: str) -> str:
    pieces = [span(text, p) for p in parts]
    spec = ";".join(f"{s} {e}" for s, e in pieces)
    return f"T{n}\t{kind} {spec}\t{' '.join(parts)}"


def ann_for(text: str) -> str:
    lines = [
        t_line(1, "Source", text, "Trump"),
        t_line(2, "Cue", text, "said"),
        t_line(3, "Content", text, "that the wall would be built"),
        t_line(4, "Attribution", text, "said"),
        "E1\tAttribution:T4 Source:T1 Cue:T2 Content:T3",
        # a discontinuous content, its text column running over two lines as brat writes it
        t_line(5, "Source", text, "Clinton"),
        t_line(6, "Cue", text, "told"),
        t_line(7, "Content", text, "“We will win,”", "“Believe me.”"),
        "continued text of T7",
        t_line(8, "Attribution", text, "told"),
        "E2\tAttribution:T8 Content:T7 Cue:T6 Source:T5",
        t_line(9, "Source", text, "Sanders"),
        t_line(10, "Cue", text, "according to"),
        t_line(11, "Content", text, "The plan is “a disaster,”"),
        t_line(12, "Attribution", text, "according to"),
        "E3\tAttribution:T12 Content:T11 Cue:T10 Source:T9",
        # no content: dropped
        "E4\tAttribution-no-source:T10",
        "#1\tAnnotatorNotes T3\ta note",
    ]
    return "\n".join(lines) + "\n"


def make_corpus(root: Path, names: list[str], *, annotators: str = "aaaa|bbbb") -> Path:
    (root / "text").mkdir(parents=True)
    (root / "attributions").mkdir()
    rows = ["compartment\tfilename\tlevel\tannotators\tpublisher"]
    for name in names:
        (root / "text" / f"{name}.txt").write_bytes(TEXT.encode())
        (root / "attributions" / f"{name}_aaaa.ann").write_bytes(ann_for(TEXT).encode())
        (root / "attributions" / f"{name}_bbbb.ann").write_bytes(b"")  # a second annotator, not taken
        rows.append(f"train\t{name}\tLevel-1\t{annotators}\tnyt")
    (root / "metadata.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


# --- reading -----------------------------------------------------------------------------------


def test_parse_ann_reads_relations_pieces_and_direct_flag():
    atts = parse_ann(ann_for(TEXT), TEXT)
    assert [a.id for a in atts] == ["E1", "E2", "E3"]
    said, told, according = atts
    assert TEXT[said.source[0][0] : said.source[0][1]] == "Trump"
    assert TEXT[said.cue[0][0] : said.cue[0][1]] == "said"
    assert not said.direct
    assert [TEXT[s:e] for s, e in told.content] == ["“We will win,”", "“Believe me.”"]
    assert told.direct
    assert not according.direct  # "The plan is" lies outside the quotation marks


def test_quote_regions_pair_curly_straight_and_close_at_paragraph_end():
    text = 'He said “one” and "two".\nShe said “three\nNext.'
    assert [text[s:e] for s, e in quote_regions(text)] == ["“one”", '"two"', "“three"]


@pytest.mark.parametrize(
    ("text", "part", "expected"),
    [
        ("He said “we will win.”", "“we will win.”", True),
        ("He said “we will win.”", "we will win", True),  # marks just outside the span still count
        ("He said that “we will win.”", "that “we will win.”", False),
        ("A “living wage” is $12 an hour.", "A “living wage” is $12 an hour", False),
        ("He said “” then.", "“”", False),  # no word at all
    ],
)
def test_is_quoted(text, part, expected):
    assert is_quoted(text, [span(text, part)]) is expected


def test_is_quoted_over_pieces_of_one_long_quote():
    text = "“A black man won Idaho? That was the ... comical relief,” Madison said."
    pieces = [span(text, "“A black man won Idaho? That was the"), span(text, "comical relief,”")]
    assert is_quoted(text, pieces)


def test_split_is_deterministic_and_about_a_fifth():
    names = [f"publisher_2016-01-{i:04d}_slug" for i in range(2000)]
    held = [n for n in names if split_of(n) == "heldout"]
    assert 0.17 < len(held) / len(names) < 0.23
    assert [split_of(n) for n in names] == [split_of(n) for n in names]
    # pinned: changing the rule would silently change the held-out articles
    assert [split_of(n) for n in "abcdefghijkl"] == ["dev"] * 6 + ["heldout"] + ["dev"] * 3 + ["heldout"] * 2


def test_load_articles_takes_first_listed_annotator_and_filters_split(tmp_path):
    root = make_corpus(tmp_path / "polnear", list("abcdefg"))
    arts = list(load_articles(root, "all"))
    assert [a.name for a in arts] == list("abcdefg")
    assert {a.annotator for a in arts} == {"aaaa"}
    assert all(len(a.attributions) == 3 for a in arts)
    assert article_names(root, "heldout") == ["g"]
    assert [a.name for a in load_articles(root, "dev", limit=2)] == ["a", "b"]


def test_load_articles_without_metadata_takes_a_file_that_exists(tmp_path):
    root = make_corpus(tmp_path / "polnear", ["a"], annotators="zzzz|aaaa")
    (root / "metadata.tsv").unlink()
    (root / "attributions" / "a_bbbb.ann").unlink()
    (art,) = load_articles(root)
    assert art.annotator == "aaaa"


def test_missing_data_dir_is_a_clear_error(tmp_path):
    with pytest.raises(PolnearMissing, match="skipping"):
        data_dir_or_raise(tmp_path / "nowhere")


# --- scoring -----------------------------------------------------------------------------------


def quote(
    start: int,
    end: int,
    speaker_span: tuple[int, int] | None,
    *,
    kind: str = "indirect",
    speaker: str | None = None,
) -> Quote:
    return Quote(
        text="",
        start=start,
        end=end,
        speaker=speaker,
        speaker_name=None,
        speaker_span=None if speaker_span is None else OffsetSpan(start=speaker_span[0], end=speaker_span[1]),
        cue="said",
        kind=kind,  # type: ignore[typeddict-item]
    )


def test_content_overlap_is_half_of_the_shorter_span():
    assert content_overlap([(0, 10)], [(5, 100)]) == 5  # 5 of the shorter 10
    assert content_overlap([(0, 10)], [(6, 100)]) == 0  # 4 of 10
    assert content_overlap([(0, 100)], [(10, 20), (30, 40)]) == 20  # pieces add up


def test_speaker_matches_by_span_or_by_a_mention_of_the_same_entity():
    gold = GoldAttribution("E1", [(0, 10)], source=[(20, 25)])
    assert speaker_matches(Predicted([(0, 10)], None, (22, 30), False), gold, {})
    assert not speaker_matches(Predicted([(0, 10)], None, (40, 45), False), gold, {})
    ent = Entity(id="p:x", name="X", type="PERSON", mentions=[{"start": 20, "end": 25, "text": "X"}])
    assert speaker_matches(Predicted([(0, 10)], "p:x", (40, 45), False), gold, {"p:x": ent})
    no_source = GoldAttribution("E2", [(0, 10)])
    assert speaker_matches(Predicted([(0, 10)], None, None, False), no_source, {})
    assert not speaker_matches(Predicted([(0, 10)], None, (22, 30), False), no_source, {})


def test_quotes_sharing_cue_and_speaker_span_are_one_attribution():
    a, b = quote(0, 10, (12, 14), kind="direct"), quote(30, 40, (12, 14), kind="direct")
    other = quote(50, 60, (12, 14))
    other["cue"] = "added"
    groups = group_quotes([a, b, other, quote(70, 80, None), quote(90, 95, None)])
    assert [g.pieces for g in groups] == [[(0, 10), (30, 40)], [(50, 60)], [(70, 80)], [(90, 95)]]
    assert [g.direct for g in groups] == [True, False, False, False]
    gold = GoldAttribution("E1", [(0, 11), (29, 41)], source=[(12, 14)], direct=True)
    s = score_article([a, b], [gold])
    assert (s.direct_speaker.tp, s.direct_speaker.predicted, s.direct_speaker.gold) == (1, 1, 1)


def test_score_article_direct_and_all_one_to_one():
    golds = [
        GoldAttribution("E1", [(0, 50)], source=[(60, 65)], direct=True),
        GoldAttribution("E2", [(100, 150)], source=[(90, 95)]),
        GoldAttribution("E3", [(200, 250)], source=[(190, 195)]),
    ]
    quotes = [
        quote(0, 50, (60, 65), kind="direct"),  # right
        quote(5, 45, (61, 65), kind="direct"),  # another attribution on the same content: one too many
        quote(100, 150, (10, 12)),  # content right, speaker wrong
        quote(300, 350, (290, 295)),  # nothing there
    ]
    s = score_article(quotes, golds)
    assert (s.direct_speaker.tp, s.direct_speaker.predicted, s.direct_speaker.gold) == (1, 2, 1)
    assert (s.all_content.tp, s.all_content.predicted, s.all_content.gold) == (2, 4, 3)
    assert (s.all_speaker.tp, s.all_speaker.predicted, s.all_speaker.gold) == (1, 4, 3)
    assert s.all_speaker.precision == pytest.approx(0.25)
    assert s.all_speaker.recall == pytest.approx(1 / 3)
    assert s.all_speaker.f1 == pytest.approx(2 * 0.25 * (1 / 3) / (0.25 + 1 / 3))


# --- the command -------------------------------------------------------------------------------

cli = typer.Typer()
cli.add_typer(eval_app, name="eval")


def invoke(*args: str):
    return CliRunner().invoke(cli, ["eval", "quotes", *args])


def test_cli_skips_with_a_message_when_the_data_is_absent(tmp_path):
    result = invoke("--data-dir", str(tmp_path / "nowhere"))
    assert result.exit_code == 0
    assert "PolNeAR not found" in result.output


def test_cli_rejects_an_unknown_split(tmp_path):
    result = invoke("--data-dir", str(tmp_path), "--split", "test")
    assert result.exit_code == 2


def test_cli_json_on_a_synthetic_corpus(tmp_path):
    root = make_corpus(tmp_path / "polnear", ["a", "g"])
    result = invoke("--data-dir", str(root), "--split", "all", "--json")
    assert result.exit_code == 0, result.output
    doc = orjson.loads(result.stdout)
    assert doc["articles"] == 2 and doc["split"] == "all"
    assert doc["all_speaker"]["gold"] == 6 and doc["direct_speaker"]["gold"] == 2
    assert doc["direct_speaker"]["tp"] == 2  # “We will win,” … “Believe me.”, Clinton
    assert doc["all_speaker"]["recall"] > 0.6
    table = invoke("--data-dir", str(root), "--split", "heldout")
    assert table.exit_code == 0 and "heldout (1 articles)" in table.stdout and "direct:" in table.stdout
