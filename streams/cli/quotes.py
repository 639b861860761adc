"""``stancewire train quotes``: the learned cue model of quote attribution (docs/quotes.md).

A plain function with Typer annotations, mounted by ``streams.cli``; scikit-learn is imported inside.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from streams.cli.eval import PolnearDirOption

err = Console(stderr=True)


def train_quotes_command(
    data_dir: PolnearDirOption = None,
    output_dir: Annotated[
        Path | None,
        typer.Option("--output-dir", help="Artifact folder (default: streams/data/models/quote-cues-v1)."),
    ] = None,
    c: Annotated[float, typer.Option("--c", help="Inverse L2 strength of the logistic regression.")] = 0.3,
    min_count: Annotated[
        int, typer.Option("--min-count", help="Drop features seen in fewer candidates than this.")
    ] = 3,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Only the first N dev articles (smoke test).")
    ] = None,
) -> None:
    """Train the cue model on PolNeAR's dev part (needs scikit-learn: `make train-quotes`)."""
    from streams.evaluation.polnear import PolnearMissing, data_dir_or_raise

    try:
        import sklearn  # noqa: F401

        from streams.quotemodel.train import TrainConfig, train
    except ImportError as exc:  # pragma: no cover - depends on the environment
        err.print(f"[red]training needs scikit-learn (make train-quotes installs it): {exc}[/]")
        raise typer.Exit(2) from exc
    try:
        path = data_dir_or_raise(data_dir)
    except PolnearMissing as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    config = TrainConfig(data_dir=path, c=c, min_count=min_count, limit=limit)
    if output_dir is not None:
        config.output_dir = output_dir
    train(config, log=lambda line: err.print(line))
