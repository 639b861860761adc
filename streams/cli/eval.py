"""``stancewire eval ...``: quality figures measured on real annotated news."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Annotated, Any, cast

import orjson
import typer
from rich.console import Console
from rich.table import Table

eval_app = typer.Typer(
    help="Measure enrichment quality on annotated data (read in place from ../shared/data)."
)

err = Console(stderr=True)

CITATION = "PolNeAR: Newell, Margolin & Ruths, LREC 2018"

# The PolNeAR folder, for `eval quotes` and `train quotes`.
PolnearDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="PolNeAR train folder (default: ../shared/data/polnear-train)."),
]


@eval_app.command("quotes")
def eval_quotes(
    data_dir: PolnearDirOption = None,
    split: Annotated[
        str,
        typer.Option(
            "--split", help="heldout (the fixed 20 %, report only), dev (the 80 % used for tuning) or all."
        ),
    ] = "heldout",
    limit: Annotated[
        int | None, typer.Option("--limit", help="Only the first N articles of the split.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON document instead of a table.")] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Articles per nlp.pipe batch.")] = 16,
    min_direct_f1: Annotated[
        float, typer.Option("--min-direct-f1", help="Exit 1 when direct-quote speaker F1 is below this.")
    ] = 0.0,
    min_all_f1: Annotated[
        float, typer.Option("--min-all-f1", help="Exit 1 when all-attribution speaker F1 is below this.")
    ] = 0.0,
    rules_only: Annotated[
        bool, typer.Option("--rules-only", help="Score the attribution frames alone (no learned cue model).")
    ] = False,
) -> None:
    """Quote attribution vs PolNeAR: P/R/F1 of (speaker, content) pairs, direct quotes and all attributions.

    The F1 of the frames alone (the attributor before the learned cue model) is printed beside."""
    from streams.enrich.nlp import load_nlp
    from streams.enrich.quotes import QuoteAttributor
    from streams.evaluation.polnear import (
        HELDOUT_PERCENT,
        SPLITS,
        PolnearMissing,
        Split,
        data_dir_or_raise,
        load_articles,
    )
    from streams.evaluation.quotes import MIN_OVERLAP, evaluate
    from streams.settings import get_settings

    if split not in SPLITS:
        err.print(f"[red]--split must be one of {', '.join(SPLITS)}, not {split!r}[/]")
        raise typer.Exit(2)
    try:
        path = data_dir_or_raise(data_dir)
    except PolnearMissing as exc:
        err.print(f"[yellow]{exc}[/]")
        return
    model = get_settings().spacy_model
    nlp = load_nlp(model)
    rules = QuoteAttributor(learned=False)
    run = evaluate(
        load_articles(path, cast(Split, split), limit),
        nlp,
        attributor=rules if rules_only else QuoteAttributor(),
        baseline=None if rules_only else rules,
        batch_size=batch_size,
    )
    scores = run.scores
    if json_out:
        document = {
            "data": str(path),
            "split": split,
            "heldout_rule": f"sha256 of the article name, {HELDOUT_PERCENT} % held out",
            "limit": limit,
            "spacy_model": model,
            "min_overlap": MIN_OVERLAP,
            **run.as_dict(),
        }
        sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        table = Table(
            title=f"quote attribution, PolNeAR train → {split} ({scores.articles} articles)",
            caption=(
                f"{path}; {model}; content match = overlap ≥ {MIN_OVERLAP:.0%} of the shorter span; {CITATION}"
            ),
        )
        table.add_column("figure")
        for name in ("precision", "recall", "F1", "matched", "predicted", "gold"):
            table.add_column(name, justify="right")
        baseline = dict(run.baseline.rows()) if run.baseline is not None else {}
        if baseline:
            table.add_column("F1 rules only", justify="right")
        for name, counts in scores.rows():
            table.add_row(
                name,
                f"{counts.precision:.4f}",
                f"{counts.recall:.4f}",
                f"{counts.f1:.4f}",
                str(counts.tp),
                str(counts.predicted),
                str(counts.gold),
                *([f"{baseline[name].f1:.4f}"] if baseline else []),
            )
        Console().print(table)
        if run.seconds_nlp:
            err.print(
                f"{run.words} words; nlp.pipe {run.seconds_nlp:.1f}s; entities {run.seconds_entities:.2f}s "
                f"({100 * run.seconds_entities / run.seconds_nlp:.1f} % of nlp); quotes "
                f"{run.seconds_quotes:.2f}s ({100 * run.seconds_quotes / run.seconds_nlp:.1f} % of nlp)"
            )
    failed = []
    if scores.direct_speaker.f1 < min_direct_f1:
        failed.append(f"direct-quote speaker F1 {scores.direct_speaker.f1:.4f} < {min_direct_f1}")
    if scores.all_speaker.f1 < min_all_f1:
        failed.append(f"all-attribution speaker F1 {scores.all_speaker.f1:.4f} < {min_all_f1}")
    if failed:
        err.print(f"[red]{'; '.join(failed)}[/]")
        raise typer.Exit(1)


CONLL_CITATION = "CoNLL-2003: Tjong Kim Sang & De Meulder, 2003 (Reuters 1996, research use)"


@eval_app.command("entities")
def eval_entities(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="CoNLL-2003 dev folder (default: ../shared/data/conll2003-dev)."),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N documents.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON document instead of a table.")] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Documents per nlp.pipe batch.")] = 16,
    min_f1: Annotated[
        float, typer.Option("--min-f1", help="Exit 1 when PER+LOC+ORG F1 is below this.")
    ] = 0.0,
) -> None:
    """Entities vs CoNLL-2003 dev: exact span + type P/R/F1 (PER, LOC, ORG), refused documents, spaCy beside."""
    from streams.cli import _decoder
    from streams.enrich.entities import EntityResolver
    from streams.enrich.nlp import load_nlp
    from streams.evaluation.entities import (
        ConllMissing,
        data_file_or_raise,
        evaluate,
        load_documents,
    )
    from streams.settings import get_settings

    try:
        path = data_file_or_raise(data_dir)
    except ConllMissing as exc:
        err.print(f"[yellow]{exc}[/]")
        return
    settings = get_settings()
    nlp = load_nlp(settings.spacy_model)
    documents = load_documents(path, limit)
    run = evaluate(
        documents,
        nlp,
        decoder=_decoder(),
        resolver=EntityResolver.from_settings(settings),
        batch_size=batch_size,
    )
    total = run.resolver.total
    if json_out:
        document = {
            "data": str(path),
            "limit": limit,
            "spacy_model": settings.spacy_model,
            **run.as_dict(),
        }
        sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        table = Table(
            title=(
                f"entities, CoNLL-2003 dev ({run.documents} documents, {len(run.refused)} refused as input)"
            ),
            caption=f"{path}; {settings.spacy_model}; exact span + type; {CONLL_CITATION}",
        )
        table.add_column("system")
        table.add_column("type")
        for name in ("precision", "recall", "F1", "matched", "predicted", "gold"):
            table.add_column(name, justify="right")
        for system, counts_by in (("stancewire", run.resolver), ("plain spaCy", run.spacy)):
            for kind, counts in counts_by.rows():
                table.add_row(
                    system,
                    kind,
                    f"{counts.precision:.4f}",
                    f"{counts.recall:.4f}",
                    f"{counts.f1:.4f}",
                    str(counts.tp),
                    str(counts.predicted),
                    str(counts.gold),
                )
        Console(width=max(Console().width, 110)).print(table)
        for number, reason in run.refused:
            err.print(f"[yellow]refused[/] document {number}: {reason}")
        if run.seconds_nlp:
            err.print(
                f"nlp.pipe {run.seconds_nlp:.1f}s; entities {run.seconds_entities:.2f}s "
                f"({100 * run.seconds_entities / run.seconds_nlp:.1f} % of nlp)"
            )
    if total.f1 < min_f1:
        err.print(f"[red]PER+LOC+ORG F1 {total.f1:.4f} < {min_f1}[/]")
        raise typer.Exit(1)


@eval_app.command("stories")
def eval_stories(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="PolNeAR train folder (default: ../shared/data/polnear-train)."),
    ] = None,
    cache: Annotated[
        Path,
        typer.Option("--cache", help="Sketches of enriched articles, reused across runs (derived data)."),
    ] = Path("var") / "eval" / "polnear-story-sketches.jsonl",
    pool: Annotated[
        Path | None,
        typer.Option(
            "--pool", help="Write the pooled pairs not yet judged here (TSV with titles), to judge."
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON document instead of a table.")] = False,
) -> None:
    """Story clustering vs hand-judged same-story pairs of PolNeAR: pairwise precision / recall."""
    from streams.enrich.pipeline import Enricher
    from streams.evaluation.polnear import PolnearMissing, data_dir_or_raise
    from streams.evaluation.stories import (
        JUDGMENTS,
        assign_stories,
        linked_pairs,
        read_judgments,
        read_metadata,
        score,
        sketches_of,
        title_candidates,
    )
    from streams.settings import get_settings
    from streams.stories import StoryConfig

    try:
        path = data_dir_or_raise(data_dir)
    except PolnearMissing as exc:
        err.print(f"[yellow]{exc}[/]")
        return
    # Stances play no part in story assignment: the stance model stays off to save time.
    settings = get_settings().model_copy(update={"stance_model_enabled": False})
    config = StoryConfig.from_settings(settings)
    articles = read_metadata(path)
    enricher: list[Enricher] = []

    def enrich(raws: list[Any]) -> Any:
        if not enricher:
            enricher.append(Enricher.from_settings(settings))
        return enricher[0].enrich_stream(raws)

    stories = assign_stories(sketches_of(articles, path, cache, enrich), config)
    judgments = read_judgments()
    scores = score(stories, judgments)
    if pool is not None:
        titles = {m.name: m.title for m in articles}
        todo = sorted((title_candidates(articles) | linked_pairs(stories)) - set(judgments))
        with pool.open("w", encoding="utf-8") as fh:
            fh.write("a\tb\tlabel\tnote\n")
            for a, b in todo:
                fh.write(f"{a}\t{b}\t?\t{titles[a]} || {titles[b]}\n")
        err.print(f"{len(todo)} pooled pairs without a judgment written to {pool}")
    if json_out:
        document = {
            "data": str(path),
            "judgments": str(JUDGMENTS),
            "config": dataclasses.asdict(config),
            **scores.as_dict(),
        }
        sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    table = Table(
        title=f"story membership, PolNeAR train ({scores.articles} articles → {scores.stories} stories)",
        caption=f"{path}; pairs judged by hand: {JUDGMENTS.name}; {CITATION}",
    )
    for name in ("precision", "recall", "F1", "linked", "right", "judged same", "unjudged"):
        table.add_column(name, justify="right")
    table.add_row(
        f"{scores.precision:.4f}",
        f"{scores.recall:.4f}",
        f"{scores.f1:.4f}",
        str(scores.linked),
        str(scores.tp),
        str(scores.judged_same),
        str(len(scores.unjudged)),
    )
    Console().print(table)
    for a, b in scores.false_positives + scores.unjudged:
        err.print(f"[yellow]linked, not same[/] {a} ~ {b}")
    for a, b in scores.false_negatives:
        err.print(f"[yellow]missed[/] {a} ~ {b}")
