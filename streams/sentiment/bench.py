"""Throughput and memory of the target-sentiment runtime: ``python -m streams.sentiment.bench``.

Scores the NewsMTSC validation sentences (or, where the data is absent, made-up sentences of the same
length) a few times with the shipped model and prints targets/s and the process's peak RSS, as JSON.
Options: ``--threads N`` (onnxruntime intra-op threads, default 1), ``--batch-size N`` (default: the artifact's, 1 for int8),
``--rounds N`` (default 3), ``--model-dir PATH``.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="python -m streams.sentiment.bench")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model-dir", type=Path, default=None)
    args = parser.parse_args(argv)

    from streams.evaluation.sentiment import SentimentDataMissing, load_newsmtsc, split_items
    from streams.sentiment.lexicon import VaderBaseline
    from streams.sentiment.model import TargetSentimentModel

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    model = TargetSentimentModel(args.model_dir, threads=args.threads, batch_size=args.batch_size)
    load_seconds = time.perf_counter() - began
    try:
        _, validation = split_items(load_newsmtsc())
        items = [item.span for item in validation]
        source = "NewsMTSC validation part"
    except SentimentDataMissing:
        text = (
            "The senator, who spoke to reporters on Tuesday, sharply criticised Maria Lopez over the budget."
        )
        items = [(text, text.index("Maria Lopez"), text.index("Maria Lopez") + 11)] * 1000
        source = "made-up sentences"
    model.predict(items[:64])  # warm-up
    best = float("inf")
    for _ in range(args.rounds):
        began = time.perf_counter()
        model.predict(items)
        best = min(best, time.perf_counter() - began)
    vader = VaderBaseline()
    began = time.perf_counter()
    vader.predict(items)
    vader_seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result: dict[str, object] = {
        "source": source,
        "targets": len(items),
        "threads": args.threads,
        "batch_size": model.batch_size,
        "model_file_mb": round((model.model_dir / "model.onnx").stat().st_size / 1e6, 1),
        "load_seconds": round(load_seconds, 2),
        "targets_per_second": round(len(items) / best, 1),
        "vader_targets_per_second": round(len(items) / vader_seconds, 1),
        "peak_rss_mb": round(peak / 1024, 1),
        "rss_before_load_mb": round(rss_before / 1024, 1),
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
