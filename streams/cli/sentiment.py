"""``stancewire sentiment`` and ``stancewire eval sentiment``.

Plain functions with Typer annotations, mounted by ``streams.cli``; heavy imports stay inside them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from streams.sentiment.base import POLARITIES, SentimentScorer, check_span

err = Console(stderr=True)

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Folder holding NewsMTSC train.jsonl (default: ../shared/data/newsmtsc)."
    ),
]
ModelDirOption = Annotated[
    Path | None,
    typer.Option("--model-dir", help="Model artifact folder (default: the shipped stance-sentiment-v1)."),
]
ThreadsOption = Annotated[int, typer.Option("--threads", help="onnxruntime intra-op threads.")]
BatchOption = Annotated[
    int | None, typer.Option("--batch-size", help="Targets per model call (default: the artifact's).")
]

#: Lines read from stdin before one batched model call.
CHUNK_LINES = 256


def _parse(line: str) -> tuple[tuple[str, int, int], Any]:
    """(text, start, end) and the optional ``id`` of one input line; ``ValueError`` says what is wrong."""
    if not line.strip():
        raise ValueError("empty line")
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(record, dict):
        raise ValueError('expected an object {"text", "start", "end"}')
    missing = [key for key in ("text", "start", "end") if key not in record]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    text, start, end = record["text"], record["start"], record["end"]
    check_span(text, start, end)
    return (text, start, end), record.get("id")


def _chunks(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def score_lines(
    scorer: SentimentScorer, lines: Iterable[str], out: IO[str], *, probabilities: bool = False
) -> tuple[int, int]:
    """Write one result line per input line (an ``{"error"}`` line for a bad one); (scored, errors)."""
    scored = errors = 0
    for chunk in _chunks(lines, CHUNK_LINES):
        parsed: list[tuple[tuple[str, int, int], Any] | str] = []
        for line in chunk:
            try:
                parsed.append(_parse(line))
            except ValueError as exc:
                parsed.append(str(exc))
        good = [entry for entry in parsed if not isinstance(entry, str)]
        results = iter(scorer.predict([item for item, _ in good]) if good else [])
        for entry in parsed:
            record: dict[str, Any]
            if isinstance(entry, str):
                record = {"error": entry}
                errors += 1
            else:
                result = next(results)
                record = {} if entry[1] is None else {"id": entry[1]}
                record.update(polarity=result.polarity, score=round(result.score, 4))
                if probabilities:
                    record["probabilities"] = {k: round(v, 4) for k, v in result.probabilities.items()}
                scored += 1
            out.write(orjson.dumps(record).decode() + "\n")
        out.flush()
    return scored, errors


def sentiment_command(
    model_dir: ModelDirOption = None,
    baseline: Annotated[
        bool, typer.Option("--baseline", help="Score with the VADER lexicon baseline instead of the model.")
    ] = False,
    probabilities: Annotated[
        bool, typer.Option("--probabilities", help="Add each class probability to the output.")
    ] = False,
    threads: ThreadsOption = 1,
) -> None:
    """Sentiment toward a target: JSON lines {"text", "start", "end"} on stdin → {"polarity", "score"}.

    ``start``/``end`` are character offsets of the target in ``text`` (end exclusive). A bad line gets
    {"error": ...} on its output line and the rest goes on. ``score`` is in [-1, 1]. The targets of
    one text in a chunk of lines are read in one pass of the joint model, as the pipeline reads them.
    """
    scorer: SentimentScorer
    if baseline:
        from streams.sentiment.lexicon import VaderBaseline

        scorer = VaderBaseline()
    else:
        from streams.stancemodel.model import shared_model

        scorer = shared_model(model_dir, threads=threads)
    _, errors = score_lines(scorer, sys.stdin, sys.stdout, probabilities=probabilities)
    if errors:
        err.print(f"[yellow]{errors} line(s) could not be scored[/]")


def eval_sentiment_command(
    data_dir: DataDirOption = None,
    model_dir: ModelDirOption = None,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON document instead of a table.")] = False,
    threads: ThreadsOption = 1,
    batch_size: BatchOption = None,
    min_macro_f1: Annotated[
        float, typer.Option("--min-macro-f1", help="Exit 1 when the trained model scores below this.")
    ] = 0.0,
) -> None:
    """Trained model vs the VADER baseline on the held-out validation part of NewsMTSC train."""
    from streams.evaluation.sentiment import (
        SentimentDataMissing,
        data_file,
        evaluate,
        load_newsmtsc,
        split_items,
        split_rule,
    )
    from streams.sentiment.lexicon import VaderBaseline
    from streams.sentiment.model import TargetSentimentModel
    from streams.stancemodel.model import StanceSentimentModel

    try:
        path = data_file(data_dir)
    except SentimentDataMissing as exc:
        err.print(f"[yellow]{exc}[/]")
        return
    _, validation = split_items(load_newsmtsc(data_dir))
    # The pipeline's model: the joint stance + sentiment model's target head (the targets of one
    # sentence read in one pass, as the pipeline reads them). target-sentiment-v1 is the model of before.
    model = StanceSentimentModel(model_dir, threads=threads)
    before = TargetSentimentModel(threads=threads, batch_size=batch_size)
    reports = {
        "trained": evaluate(model, validation),
        "before": evaluate(before, validation),
        "vader": evaluate(VaderBaseline(), validation),
    }
    if json_out:
        document = {
            "data": str(path),
            "split": split_rule(),
            "validation_targets": len(validation),
            "model": {"version": model.version, "dir": str(model.model_dir)},
            "before_model": {"version": before.version, "dir": str(before.model_dir)},
            **{name: report.as_dict() for name, report in reports.items()},
        }
        sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        table = Table(
            title=f"target sentiment, NewsMTSC train → validation part ({len(validation)} targets)",
            caption=f"{path}; model {model.version}; Hamborg & Donnay, EACL 2021",
        )
        table.add_column("figure")
        table.add_column(f"trained ({model.version})", justify="right")
        table.add_column(f"before ({before.version})", justify="right")
        table.add_column("VADER baseline", justify="right")
        columns = [reports["trained"], reports["before"], reports["vader"]]
        table.add_row("macro-F1", *[f"{r.macro_f1:.4f}" for r in columns])
        table.add_row("accuracy", *[f"{r.accuracy:.4f}" for r in columns])
        for label in POLARITIES:
            table.add_row(f"F1 {label}", *[f"{r.per_class[label].f1:.4f}" for r in columns])
        table.add_row("targets/s", *[f"{r.count / r.seconds:.0f}" if r.seconds else "-" for r in columns])
        Console().print(table)
    if reports["trained"].macro_f1 < min_macro_f1:
        err.print(f"[red]trained macro-F1 {reports['trained'].macro_f1:.4f} is below {min_macro_f1}[/]")
        raise typer.Exit(1)
