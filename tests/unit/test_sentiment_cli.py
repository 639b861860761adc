"""The sentiment CLI functions, mounted in a throwaway Typer app as ``streams.cli`` mounts them."""

from __future__ import annotations

import io

import orjson
import typer
from typer.testing import CliRunner

from streams.cli.sentiment import eval_sentiment_command, score_lines, sentiment_command
from streams.sentiment.base import TargetSentiment

app = typer.Typer()
app.command("sentiment")(sentiment_command)
app.command("eval-sentiment")(eval_sentiment_command)
runner = CliRunner()

PUTIN = "The only thing that Vladimir Putin understands is power."
PRAISE = "Colleagues praised Maria Lopez as a brilliant, generous and inspiring leader."
BLAME = "Prosecutors accused Tom Berg of fraud, calling him a liar and a danger to the public."


def request(text: str, mention: str, **extra: object) -> str:
    start = text.index(mention)
    return orjson.dumps({"text": text, "start": start, "end": start + len(mention), **extra}).decode()


LINES = [
    request(PUTIN, "Vladimir Putin"),
    "{not json",
    request(PRAISE, "Maria Lopez", id="a-7"),
    '{"text": "short", "start": 2, "end": 40}',
    '{"text": "no offsets"}',
    "",
    "[1, 2]",
    '{"text": "Smith lied.", "start": "0", "end": 5}',
    request(PUTIN, "Vladimir Putin"),
    request(BLAME, "Tom Berg"),
]


def test_sentiment_command_answers_every_line_in_order():
    result = runner.invoke(app, ["sentiment"], input="\n".join(LINES) + "\n")
    assert result.exit_code == 0, result.output
    out = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(LINES)
    # The Putin line is a borderline case (docs/sentiment.md: its reading moves with the model); the
    # sign is checked on plain praise and plain blame.
    assert out[0]["polarity"] in ("negative", "neutral", "positive") and -1 <= out[0]["score"] <= 1
    assert set(out[0]) == {"polarity", "score"}
    assert out[9]["polarity"] == "negative" and out[9]["score"] < 0
    assert out[2] == {"id": "a-7", "polarity": "positive", "score": out[2]["score"]} and out[2]["score"] > 0
    for index in (1, 3, 4, 5, 6, 7):
        assert set(out[index]) == {"error"}, out[index]
    assert "not JSON" in out[1]["error"]
    assert "span" in out[3]["error"]
    assert "missing start, end" in out[4]["error"]
    assert out[8] == out[0]


def test_sentiment_command_baseline_and_probabilities():
    result = runner.invoke(
        app, ["sentiment", "--baseline", "--probabilities"], input=request(PRAISE, "Maria Lopez") + "\n"
    )
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    record = orjson.loads(line)
    assert record["polarity"] == "positive"
    assert set(record["probabilities"]) == {"negative", "neutral", "positive"}


def test_score_lines_batches_across_chunks(monkeypatch):
    import streams.cli.sentiment as module

    monkeypatch.setattr(module, "CHUNK_LINES", 3)
    calls: list[int] = []

    class Constant:
        name = "constant"

        def predict(self, items):
            calls.append(len(items))
            return [TargetSentiment("neutral", 0.0) for _ in items]

    lines = [request(PUTIN, "Putin")] * 5 + ["oops"] + [request(PUTIN, "Putin")]
    out = io.StringIO()
    assert score_lines(Constant(), lines, out) == (6, 1)
    assert calls == [3, 2, 1]
    assert [orjson.loads(x).get("polarity", "error") for x in out.getvalue().splitlines()] == (
        ["neutral"] * 5 + ["error", "neutral"]
    )


def test_eval_skips_clearly_without_data(tmp_path):
    result = runner.invoke(app, ["eval-sentiment", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0
    assert "NewsMTSC" in result.output and "skipping" in result.output


def test_eval_on_a_tiny_synthetic_file(tmp_path):
    sentences = []
    for n in range(60):
        text = (
            f"Critics slammed senator Smith{n} for lying." if n % 2 else f"Lee{n} arrived in town on Monday."
        )
        mention = f"Smith{n}" if n % 2 else f"Lee{n}"
        start = text.index(mention)
        target = {
            "from": start,
            "to": start + len(mention),
            "mention": mention,
            "polarity": 2.0 if n % 2 else 4.0,
        }
        sentences.append(
            orjson.dumps({"primary_gid": f"s{n}", "sentence_normalized": text, "targets": [target]})
        )
    (tmp_path / "train.jsonl").write_bytes(b"\n".join(sentences) + b"\n")
    result = runner.invoke(app, ["eval-sentiment", "--data-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.stdout)
    assert document["validation_targets"] > 0
    for name in ("trained", "vader"):
        assert 0.0 <= document[name]["macro_f1"] <= 1.0
        assert set(document[name]["per_class"]) == {"negative", "neutral", "positive"}
    table = runner.invoke(app, ["eval-sentiment", "--data-dir", str(tmp_path)])
    assert table.exit_code == 0, table.output
    assert "macro-F1" in table.stdout and "VADER" in table.stdout
    strict = runner.invoke(app, ["eval-sentiment", "--data-dir", str(tmp_path), "--min-macro-f1", "1.01"])
    assert strict.exit_code == 1
