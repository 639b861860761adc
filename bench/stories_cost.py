"""What stories and positions add per article, without Kafka: the sketch (MinHash of the body, done
in alert-route on every partition) and the assignment + positions (alert-match), timed over the bench
corpus; and the rebuild of the derived story indexes a restart runs (``StoryIndex.reindex``).
``python -m bench.stories_cost``; compare with the analyze path's seconds per article.

Entities for the assignment come from ``stancewire eval stories``'s cache of enriched PolNeAR
articles when it is there (real entity lists), else from none (near-duplicate checks only).
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.analyze_throughput import corpus_articles
from streams.stories import StoryDesk
from streams.stories.sketch import sketch_article

CACHE = Path("var") / "eval" / "polnear-story-sketches.jsonl"


def measure(articles: int = 200, repeats: int = 3) -> dict[str, Any]:
    raws, _ = corpus_articles(articles)
    entity_lists = (
        [json.loads(line)["sketch"]["entities"] for line in CACHE.read_text().splitlines()]
        if CACHE.is_file()
        else [[]]
    )
    enriched = [{**raw.to_event(), "entities": [], "enriched_at": "2025-01-01T00:00:00Z"} for raw in raws]
    words = sum(len(raw.body.split()) for raw in raws)
    best_sketch = best_assign = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        sketches = [sketch_article(article) for article in enriched]
        best_sketch = min(best_sketch, time.perf_counter() - started)
        desk = StoryDesk.in_memory()
        lists = itertools.cycle(entity_lists)
        started = time.perf_counter()
        for i, (article, sketch) in enumerate(zip(enriched, sketches, strict=True)):
            sketch = {**sketch, "entities": next(lists), "time": f"2016-01-{1 + i % 28:02d}T00:00:00.000Z"}
            desk.on_article({"article_id": article["article_id"], "stances": []}, sketch, datetime.now(UTC))
        best_assign = min(best_assign, time.perf_counter() - started)
    # What a restart adds: rebuilding the derived indexes (bands, entity index, counts) from the record.
    best_reindex = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        desk.stories.reindex()
        best_reindex = min(best_reindex, time.perf_counter() - started)
    result = {
        "articles": len(enriched),
        "words": words,
        "sketch_ms_per_article": round(1000 * best_sketch / len(enriched), 3),
        "assign_ms_per_article": round(1000 * best_assign / len(enriched), 3),
        "reindex_ms_per_article": round(1000 * best_reindex / len(enriched), 4),
        "entities_from": str(CACHE) if CACHE.is_file() else None,
    }
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    result = measure(args.articles, args.repeats)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
