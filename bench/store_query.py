"""Stance queries over 10,000 stored stances: median and p95 milliseconds, target < 100 ms.

    python -m bench.store_query [--stances 10000] [--articles 12] [--repeats 30] [--url sqlite:///...]

A few bench-corpus articles (bench/corpus.py: PolNeAR prose where present, else the seed's) go through
the real Enricher; their enriched events are then copied into as many articles as the stance count
needs, each copy with its own id, a date spread over a year and its parties renamed into a larger
cast (every entity id gets one of ``--cast`` variants), so that holders, targets and days vary as on
a real wire rather than repeating one article. The events are written with ``Store.apply`` into a
fresh SQLite store (the default; ``--url`` for another), and each query runs ``--repeats`` times with
parameters drawn from what was stored: by holder, by target, by topic, by time window, the map.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.analyze_throughput import corpus_articles
from streams.store import open_store, queries
from streams.store.rows import TOPIC_PREFIX

TARGET_MS = 100.0


def enriched_events(articles: int) -> list[dict[str, Any]]:
    from streams.enrich.pipeline import Enricher
    from streams.settings import Settings

    raws, _ = corpus_articles(articles)
    return [dict(e) for e in Enricher.from_settings(Settings()).enrich_batch(raws)]


def _rename(entity_id: str, variant: int) -> str:
    # Topics stay themselves (the catalog is fixed); entities get a cast of variants.
    return entity_id if entity_id.startswith(TOPIC_PREFIX) or variant == 0 else f"{entity_id}~{variant}"


def synthesize(
    events: list[dict[str, Any]], stances: int, cast: int, rng: random.Random
) -> list[dict[str, Any]]:
    """Copies of ``events`` until they hold ``stances`` stances (the last copy trimmed to fit)."""
    with_stances = [e for e in events if e["stances"]]
    if not with_stances:
        raise RuntimeError("the enriched articles have no stances to copy")
    out: list[dict[str, Any]] = []
    total = 0
    start = date(2025, 1, 1)
    while total < stances:
        source = with_stances[len(out) % len(with_stances)]
        event = copy.deepcopy(source)
        variants = {x["id"]: rng.randrange(cast) for x in event["entities"]}
        for s in event["stances"]:
            variants.setdefault(s["holder"], rng.randrange(cast))
            variants.setdefault(s["target"], rng.randrange(cast))
        event["article_id"] = f"{source['article_id']}-copy{len(out)}"
        event["published"] = (start + timedelta(days=rng.randrange(365))).isoformat()
        for x in event["entities"]:
            x["id"] = _rename(x["id"], variants[x["id"]])
        for q in event["quotes"]:
            if q.get("speaker"):
                q["speaker"] = _rename(q["speaker"], variants.get(q["speaker"], 0))
        for s in event["stances"]:
            s["holder"] = _rename(s["holder"], variants[s["holder"]])
            s["target"] = _rename(s["target"], variants[s["target"]])
        event["stances"] = event["stances"][: stances - total]
        total += len(event["stances"])
        out.append(event)
    return out


def timed(call: Callable[[], Any], repeats: int) -> dict[str, float]:
    call()  # warm: the first call pays for the connection and the page cache
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append(1000 * (time.perf_counter() - started))
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[max(0, round(0.95 * len(samples)) - 1)], 2),
        "max_ms": round(samples[-1], 2),
    }


def measure(
    stances: int = 10_000, articles: int = 12, repeats: int = 30, cast: int = 40, url: str | None = None
) -> dict[str, Any]:
    rng = random.Random(2025)
    events = synthesize(enriched_events(articles), stances, cast, rng)
    with tempfile.TemporaryDirectory(prefix="stancewire-store-bench-") as folder:
        store = open_store(url or f"sqlite:///{Path(folder) / 'store.db'}")
        try:
            started = time.perf_counter()
            for first in range(0, len(events), 50):
                store.apply([("enriched", e) for e in events[first : first + 50]])
            load_s = time.perf_counter() - started
            counts = store.counts()
            stored = queries.stances(store, limit=500)["items"]
            holders = sorted({s["holder"] for e in events for s in e["stances"]})
            targets = sorted(
                {
                    s["target"]
                    for e in events
                    for s in e["stances"]
                    if not s["target"].startswith(TOPIC_PREFIX)
                }
            )
            topics = sorted(
                {
                    s["target_name"]
                    for e in events
                    for s in e["stances"]
                    if s["target"].startswith(TOPIC_PREFIX)
                }
            )
            busiest = max(holders, key=lambda h: sum(s["holder"] == h for e in events for s in e["stances"]))
            second_page = queries.stances(store, limit=50)["next"]
            busiest_next = queries.stances(store, holder=busiest)["next"]

            def window() -> dict[str, Any]:
                day = date(2025, 1, 1) + timedelta(days=rng.randrange(335))
                return queries.stances(
                    store, since=day.isoformat(), until=(day + timedelta(days=30)).isoformat()
                )

            def month_map() -> dict[str, Any]:
                day = date(2025, 1, 1) + timedelta(days=rng.randrange(335))
                return queries.stance_map(
                    store, since=day.isoformat(), until=(day + timedelta(days=30)).isoformat()
                )

            cases: dict[str, Callable[[], Any]] = {
                "by holder (random)": lambda: queries.stances(store, holder=rng.choice(holders)),
                "by holder (busiest)": lambda: queries.stances(store, holder=busiest),
                "by holder, page 2": lambda: queries.stances(store, holder=busiest, cursor=busiest_next),
                "by target (random)": lambda: queries.stances(store, target=rng.choice(targets)),
                "by topic (name part)": lambda: queries.stances(store, topic=rng.choice(topics).split()[-1]),
                "by time window (30 days)": window,
                "newest, page 2": lambda: queries.stances(store, cursor=second_page),
                "holder + polarity + window": lambda: queries.stances(
                    store, holder=busiest, polarity="oppose", since="2025-03-01", until="2025-09-01"
                ),
                "map (30 days)": month_map,
                "map (whole year)": lambda: queries.stance_map(store),
            }
            results = {name: timed(call, repeats) for name, call in cases.items()}
        finally:
            store.close()
    worst = max(r["p95_ms"] for r in results.values())
    return {
        "store": "sqlite (file, WAL)" if url is None else url.split(":", 1)[0],
        "stances": counts["stances"],
        "articles": counts["articles"],
        "distinct_holders": len(holders),
        "distinct_targets": len(targets) + len(topics),
        "first_page_items": len(stored),
        "load_s": round(load_s, 2),
        "repeats": repeats,
        "queries": results,
        "worst_p95_ms": worst,
        "target_ms": TARGET_MS,
        "met": worst < TARGET_MS,
    }


def describe(result: dict[str, Any]) -> list[str]:
    lines = [
        f"store query bench: {result['stances']:,} stances in {result['articles']:,} articles "
        f"({result['distinct_holders']} holders, {result['distinct_targets']} targets), {result['store']}, "
        f"loaded in {result['load_s']:.1f}s; {result['repeats']} runs per query"
    ]
    for name, r in result["queries"].items():
        lines.append(f"  {name:<28} median {r['median_ms']:7.2f} ms   p95 {r['p95_ms']:7.2f} ms")
    verdict = "met" if result["met"] else "NOT met"
    lines.append(
        f"  worst p95 {result['worst_p95_ms']:.2f} ms; target < {result['target_ms']:.0f} ms: {verdict}"
    )
    return lines


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stances", type=int, default=10_000)
    parser.add_argument("--articles", type=int, default=12, help="real articles enriched to copy from")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--cast", type=int, default=40, help="variants of every entity id")
    parser.add_argument("--url", default=None, help="an empty database instead of a fresh SQLite file")
    parser.add_argument("--json", action="store_true", help="the result as JSON instead of lines")
    args = parser.parse_args(argv)
    result = measure(args.stances, args.articles, args.repeats, args.cast, args.url)
    print(json.dumps(result, indent=2) if args.json else "\n".join(describe(result)))
    return result


if __name__ == "__main__":
    main()
