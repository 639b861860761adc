"""The analyze path against plain spaCy, side by side in one run, on the same texts and model.

    python -m bench.analyze_throughput [--copies 200] [--repeats 2] [--batch-size 16]

Plain ``nlp.pipe`` is the ceiling: it is what the model alone costs. The analyze path adds entity
resolution, quote attribution (and stances/sentiment when enabled) on top of the same ``nlp.pipe``.
Runs alternate (plain, analyze, plain, analyze, ...) so that a slow moment of the machine hits both,
and the best run of each is compared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from streams.enrich.nlp import load_nlp
from streams.enrich.pipeline import Enricher
from streams.ingest import read_seed_file
from streams.ingest.files import expand_paths
from streams.settings import get_settings

REPO = Path(__file__).resolve().parent.parent


def corpus(copies: int) -> list:
    seeds = [read_seed_file(path) for path in expand_paths([REPO / "seeds"])]
    return [seeds[i % len(seeds)] for i in range(copies)]


def run(copies: int, repeats: int, batch_size: int) -> dict:
    settings = get_settings()
    nlp = load_nlp(settings.spacy_model)
    enricher = Enricher.from_settings(settings)
    enricher.batch_size = batch_size
    articles = corpus(copies)
    bodies = [a.body for a in articles]
    words = sum(len(body.split()) for body in bodies)
    # Warm both paths once (lazy allocations, caches) before timing.
    list(nlp.pipe(bodies[:4], batch_size=batch_size))
    list(enricher.enrich_stream(articles[:4]))
    plain: list[float] = []
    analyze: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _doc in nlp.pipe(bodies, batch_size=batch_size):
            pass
        plain.append(words / (time.perf_counter() - started))
        started = time.perf_counter()
        for _article in enricher.enrich_stream(articles):
            pass
        analyze.append(words / (time.perf_counter() - started))
    best_plain, best_analyze = max(plain), max(analyze)
    return {
        "benchmark": "analyze_vs_nlp_pipe",
        "model": enricher.models,
        "articles": len(articles),
        "words": words,
        "batch_size": batch_size,
        "repeats": repeats,
        "plain_words_per_s": plain,
        "analyze_words_per_s": analyze,
        "best_plain_words_per_s": best_plain,
        "best_analyze_words_per_s": best_analyze,
        "ratio": best_analyze / best_plain,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--out", type=Path, default=REPO / "var" / "bench" / "analyze_throughput.json")
    args = parser.parse_args()
    result = run(args.copies, args.repeats, args.batch_size)
    table = Table(
        title=f"analyze vs plain nlp.pipe — {result['articles']} articles, {result['words']:,} words"
    )
    table.add_column("path")
    table.add_column("words/s (best)", justify="right")
    table.add_column("runs", justify="right")
    table.add_row(
        "plain nlp.pipe",
        f"{result['best_plain_words_per_s']:,.0f}",
        ", ".join(f"{v:,.0f}" for v in result["plain_words_per_s"]),
    )
    table.add_row(
        "stancewire analyze",
        f"{result['best_analyze_words_per_s']:,.0f}",
        ", ".join(f"{v:,.0f}" for v in result["analyze_words_per_s"]),
    )
    table.add_row("ratio", f"{result['ratio']:.1%}", "")
    Console().print(table)
    print(f"peak RSS {result['peak_rss_mb']:.0f} MB; model {result['model']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
