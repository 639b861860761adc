"""The raw limit: the analyze path against plain spaCy, side by side in one process, no Kafka.

    python -m bench.analyze_throughput [--articles 200] [--repeats 1] [--batch-size N]
    python -m bench.analyze_throughput --copies 200       # the seed article 200 times instead
    python -m bench.analyze_throughput --shard 0/2 --barrier DIR --analyze-only   # (bench/run.py)

Plain ``nlp.pipe`` is the ceiling: it is what the spaCy model alone costs. The analyze path
(``Enricher.enrich_stream``, what ``stancewire analyze`` and the worker run) adds entity resolution,
quote attribution, stances and the target-sentiment model on top of the same ``nlp.pipe``. The texts
are the benchmark corpus (bench/corpus.py) unless ``--copies`` asks for seed copies. Runs alternate
(plain, analyze, plain, analyze, ...) so that a slow moment of the machine hits both, and the best
run of each is compared. ``--batch-size`` defaults to the worker's (``STANCEWIRE_BATCH_SIZE``).

``--shard i/n`` takes every article of shard ``i`` of ``n`` (shards carry equal words) and
``--barrier DIR`` makes the process wait, once warm, until ``DIR/go`` exists (after writing
``DIR/ready-<i>``): that is how bench/run.py times the analyze path in two processes at once.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

import spacy
from rich.console import Console
from rich.table import Table

from bench.corpus import build_corpus, describe
from streams.enrich.pipeline import Enricher
from streams.ingest import read_seed_file
from streams.ingest.files import expand_paths
from streams.models import RawArticle
from streams.settings import get_settings
from streams.stancemodel.model import PairAndTargetModels

REPO = Path(__file__).resolve().parent.parent


def seed_copies(copies: int) -> list[RawArticle]:
    seeds = [read_seed_file(path) for path in expand_paths([REPO / "seeds"])]
    return [seeds[i % len(seeds)] for i in range(copies)]


def corpus_articles(n: int, seed: int | None = None) -> tuple[list[RawArticle], dict[str, Any]]:
    articles, origin = build_corpus(n) if seed is None else build_corpus(n, seed=seed)
    raws = [
        RawArticle(
            article_id=a.article_id, body=a.body, title=a.title, published=a.published, source=a.source
        )
        for a in articles
    ]
    return raws, {"origin": origin, **describe(articles)}


def shard(articles: list[RawArticle], index: int, count: int) -> list[RawArticle]:
    """Shard ``index`` of ``count``: articles dealt greedily so that every shard carries equal words."""
    load = [0] * count
    mine = []
    for article in articles:
        target = min(range(count), key=load.__getitem__)
        load[target] += len(article.body.split())
        if target == index:
            mine.append(article)
    return mine


def sentences_encoded(model: Any) -> dict[str, int]:
    """How many sentences each stance model has encoded so far (both models, or the joint one)."""
    if model is None:
        return {}
    if isinstance(model, PairAndTargetModels):
        return {"stance model": model.pairs.sentences_encoded, "joint model": model.targets.sentences_encoded}
    return {"joint model": int(model.sentences_encoded)}


def wait_for_go(barrier: Path, name: str) -> None:
    (barrier / f"ready-{name}").touch()
    while not (barrier / "go").exists():
        time.sleep(0.01)


def run(
    articles: list[RawArticle],
    repeats: int,
    batch_size: int | None = None,
    *,
    plain_too: bool = True,
    barrier: Path | None = None,
    name: str = "0",
) -> dict[str, Any]:
    settings = get_settings()
    enricher = Enricher.from_settings(settings)
    if batch_size:
        enricher.batch_size = batch_size
    # Plain spaCy gets a pipeline of its own, not the enricher's: a pass of one path over the corpus
    # fills the tokenizer's and the vocabulary's caches with its words, and the other path, run after
    # it on the same pipeline, went 5–8 % faster for it (docs/performance.md, "Both paths cold").
    # Apart, each path's first run is as cold as a worker's first sight of an article.
    nlp = spacy.load(settings.spacy_model) if plain_too else enricher.nlp
    bodies = [a.body for a in articles]
    words = sum(len(body.split()) for body in bodies)
    # Warm both paths once (lazy allocations, caches) before timing.
    list(nlp.pipe(bodies[:4], batch_size=enricher.batch_size))
    list(enricher.enrich_stream(articles[:4]))
    if barrier is not None:
        wait_for_go(barrier, name)
    plain: list[float] = []
    analyze: list[float] = []
    encoded_before = sentences_encoded(enricher.model)
    began = time.time()
    for _ in range(repeats):
        if plain_too:
            started = time.perf_counter()
            for _doc in nlp.pipe(bodies, batch_size=enricher.batch_size):
                pass
            plain.append(words / (time.perf_counter() - started))
        started = time.perf_counter()
        for _article in enricher.enrich_stream(articles):
            pass
        analyze.append(words / (time.perf_counter() - started))
    ended = time.time()
    encoded = {
        name: (count - encoded_before[name]) // repeats
        for name, count in sentences_encoded(enricher.model).items()
    }
    best_plain = max(plain) if plain else None
    best_analyze = max(analyze)
    return {
        "benchmark": "analyze_vs_nlp_pipe",
        "model": enricher.models,
        "spacy_pipes": list(nlp.pipe_names),
        "articles": len(articles),
        "words": words,
        "batch_size": enricher.batch_size,
        "model_threads": settings.model_threads,
        "repeats": repeats,
        "plain_words_per_s": plain,
        "analyze_words_per_s": analyze,
        "best_plain_words_per_s": best_plain,
        "best_analyze_words_per_s": best_analyze,
        "analyze_articles_per_s": best_analyze * len(articles) / words,
        "ratio": best_analyze / best_plain if best_plain else None,
        # per pass over the corpus
        "sentences_encoded": encoded,
        "started_at": began,
        "ended_at": ended,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch_imported": "torch" in sys.modules,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }


def print_table(result: dict[str, Any]) -> None:
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
    if result.get("sentences_encoded"):
        counts = ", ".join(f"{name} {count:,}" for name, count in result["sentences_encoded"].items())
        print(f"sentences encoded per pass: {counts}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=200, help="benchmark corpus size")
    parser.add_argument("--corpus-seed", type=int, default=None, help="corpus seed (default: the bench's)")
    parser.add_argument("--copies", type=int, default=0, help="use N copies of the seed article instead")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--out", type=Path, default=REPO / "var" / "bench" / "analyze_throughput.json")
    parser.add_argument("--quiet", action="store_true", help="no table (the caller prints one)")
    parser.add_argument("--shard", default="0/1", help="i/n: this process's share of the corpus")
    parser.add_argument("--barrier", type=Path, default=None)
    parser.add_argument("--analyze-only", action="store_true", help="skip plain nlp.pipe")
    args = parser.parse_args(argv)
    if args.copies:
        articles, corpus = seed_copies(args.copies), {"origin": f"{args.copies} copies of the seed"}
    else:
        articles, corpus = corpus_articles(args.articles, args.corpus_seed)
    index, count = (int(x) for x in args.shard.split("/"))
    if count > 1:
        articles = shard(articles, index, count)
    result = run(
        articles,
        args.repeats,
        args.batch_size,
        plain_too=not args.analyze_only,
        barrier=args.barrier,
        name=str(index),
    )
    result["corpus"] = corpus
    result["shard"] = args.shard
    if not args.quiet and result["best_plain_words_per_s"]:
        print_table(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    if not args.quiet:
        print(f"wrote {args.out}")
    return result


if __name__ == "__main__":
    main()
