"""The full pipeline through a real broker: throughput, latency at a fixed rate, RSS, scale-out.

Method (docs/performance.md says the same):

* Workers are started, the alert subscription is made, and warm-up articles go to every partition
  until every worker has enriched at least one: the group is settled and the models are warm before
  anything is timed.
* **Throughput**: the reader (an independent kafka-python consumer, no group) is positioned at the end
  of ``articles.enriched`` and ``alerts``; then all N articles are produced at once (well under a
  second) and the clock runs from the first produce to the last ``articles.enriched`` event read
  (and, separately, to the last ``alerts`` event). words/s = words of the N articles / that time.
* **Latency**: articles are produced at a fixed rate, one every 1/rate s, each with ``ingested_at``
  stamped at its produce; latency = the reader's receive time − ``ingested_at`` (same clock).
* Keys (= article ids) are chosen so that Kafka's default partitioner spreads the words evenly over the
  two partitions in production order: with a few hundred articles of 200–3,000 words, hashing alone
  would often give one partition 10–20 % more work than the other, which would measure the luck of
  the draw, not the scale-out.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from prometheus_client.parser import text_string_to_metric_families

from bench.corpus import BenchArticle
from bench.harness import (
    Broker,
    Deployment,
    Received,
    balanced_key,
    cpu_seconds,
    machine_busy_seconds,
    reading,
    split_threads,
    thread_cpu,
    thread_run_queue_waits,
    tree_cpu_seconds,
)
from streams.clock import utc_now_iso

PARTITIONS = 2
SUBSCRIPTION = "bench-entity"
ALERT_ENTITY = "Donald Trump"  # the most mentioned person of the PolNeAR articles (2016 campaign news)


def metric_value(exposition: str, name: str) -> float:
    """One sample's value from a Prometheus text exposition (0 when absent)."""
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name:
                return float(sample.value)
    return 0.0


@dataclass(frozen=True, slots=True)
class Keyed:
    key: str
    article: BenchArticle

    def event(self) -> dict[str, Any]:
        return {**self.article.to_event(), "article_id": self.key}


def assign_keys(articles: list[BenchArticle], partitions: int = PARTITIONS) -> list[Keyed]:
    """Keys that put about the same number of words on every partition at every point of the list."""
    load = [0] * partitions
    keyed = []
    for article in articles:
        target = min(range(partitions), key=load.__getitem__)
        keyed.append(Keyed(balanced_key(article.article_id, target, partitions), article))
        load[target] += article.words
    return keyed


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def _alert_articles(records: list[Received], wanted: set[str]) -> list[tuple[str, float]]:
    out = []
    for record in records:
        article_id = orjson.loads(record.value).get("article_id")
        if article_id in wanted:
            out.append((article_id, record.at))
    return out


class Run:
    """One deployment (1 or 2 workers) on the shared broker, with its reader topics and helpers."""

    def __init__(self, broker: Broker, deployment: Deployment) -> None:
        self.broker = broker
        self.deployment = deployment
        self.raw = deployment.topic("articles.raw")
        self.enriched = deployment.topic("articles.enriched")
        self.alerts = deployment.topic("alerts")
        self.producer = deployment.producer()

    def send(self, keyed: Keyed) -> str:
        event = keyed.event()
        event["ingested_at"] = stamp = utc_now_iso()
        self.producer.send(self.raw, key=keyed.key.encode(), value=orjson.dumps(event))
        return stamp

    def cpu(self) -> dict[str, float]:
        out = {f"worker{w.index}": tree_cpu_seconds(w.pid) for w in self.deployment.workers}
        if self.broker.pid:
            out["broker"] = cpu_seconds(self.broker.pid)
        out["bench"] = cpu_seconds(os.getpid())
        out["machine"] = machine_busy_seconds()
        return out

    def threads(self) -> list[tuple[dict[int, float], dict[int, float]]]:
        """Per worker: its threads' CPU seconds and run-queue waits so far."""
        return [(thread_cpu(w.pid), thread_run_queue_waits(w.pid)) for w in self.deployment.workers]

    def thread_split(self, before: list[tuple[dict[int, float], dict[int, float]]]) -> list[dict[str, float]]:
        return [
            split_threads(w.pid, cpu, thread_cpu(w.pid), (waits, thread_run_queue_waits(w.pid)))
            for w, (cpu, waits) in zip(self.deployment.workers, before, strict=True)
        ]

    def warm_up(self, articles: list[BenchArticle], timeout: float = 180) -> int:
        """Send warm-up articles to every partition until every worker has enriched one."""
        pool = iter(articles)
        deadline = time.monotonic() + timeout
        sent = 0
        with reading(self.deployment.bootstrap, [self.enriched]) as reader:
            while True:
                batch = []
                for partition in range(PARTITIONS):
                    article = next(pool)
                    key = balanced_key(article.article_id, partition, PARTITIONS)
                    batch.append(key)
                    self.send(Keyed(key, article))
                self.producer.flush()
                sent += len(batch)
                wanted = {key.encode() for key in batch}
                reader.wait_for(
                    lambda got, wanted=wanted: wanted <= {r.key for r in got},  # type: ignore[misc]
                    timeout=max(1.0, deadline - time.monotonic()),
                    what="warm-up articles enriched",
                )
                if all(w.health()["enriched"] > 0 for w in self.deployment.workers):
                    return sent
                if time.monotonic() > deadline:
                    raise TimeoutError("some worker never got a partition")
                time.sleep(1.0)

    def health(self) -> list[dict[str, Any]]:
        return [w.health() for w in self.deployment.workers]

    def enrich_busy(self) -> list[float]:
        """Each worker's ``stancewire_enrich_busy_seconds_total`` (the enrich thread's time on batches)."""
        return [
            metric_value(w.get("/metrics").text, "stancewire_enrich_busy_seconds_total")
            for w in self.deployment.workers
        ]

    def throughput(self, keyed: list[Keyed], timeout: float = 600) -> dict[str, Any]:
        wanted = {k.key.encode() for k in keyed}
        words = sum(k.article.words for k in keyed)
        before = self.health()
        with reading(self.deployment.bootstrap, [self.enriched, self.alerts]) as reader:
            cpu_before, threads_before, busy_before = self.cpu(), self.threads(), self.enrich_busy()
            first = time.time()
            for k in keyed:
                self.send(k)
            self.producer.flush()
            produced = time.time()
            got = reader.wait_for(
                lambda got: wanted <= {r.key for r in got if r.topic == self.enriched},
                timeout=timeout,
                what=f"{len(keyed)} enriched articles",
            )
            cpu_after, threads = self.cpu(), self.thread_split(threads_before)
            busy = [after - before for after, before in zip(self.enrich_busy(), busy_before, strict=True)]
            last_enriched = max(r.at for r in got if r.topic == self.enriched and r.key in wanted)
            got = reader.wait_quiet(self.alerts, quiet=3.0, timeout=60)
        alerts = _alert_articles([r for r in got if r.topic == self.alerts], {k.key for k in keyed})
        last_alert = max((at for _, at in alerts), default=None)
        elapsed = last_enriched - first
        after = self.health()
        return {
            "articles": len(keyed),
            "words": words,
            "produce_s": produced - first,
            "elapsed_s": elapsed,
            "words_per_s": words / elapsed,
            "articles_per_s": len(keyed) / elapsed,
            "alerts": len(alerts),
            "to_last_alert_s": (last_alert - first) if last_alert else None,
            "enriched_per_worker": [
                a["enriched"] - b["enriched"] for a, b in zip(after, before, strict=True)
            ],
            "cpu_s": {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after},
            "worker_threads_cpu_s": threads,
            # wall time each worker's enrich thread spent on batches: elapsed − this is its idle time
            "enrich_busy_s": busy,
        }

    def latency(self, keyed: list[Keyed], rate: float, timeout: float = 300) -> dict[str, Any]:
        stamps: dict[str, float] = {}
        interval = 1.0 / rate
        with reading(self.deployment.bootstrap, [self.enriched, self.alerts]) as reader:
            cpu_before = self.cpu()
            start = time.monotonic() + 0.1
            for i, k in enumerate(keyed):
                delay = start + i * interval - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                stamps[k.key] = epoch(self.send(k))
            self.producer.flush()
            bwanted = {key.encode() for key in stamps}
            got = reader.wait_for(
                lambda got: bwanted <= {r.key for r in got if r.topic == self.enriched},
                timeout=timeout,
                what="enriched articles of the latency run",
            )
            cpu_after = self.cpu()
            got = reader.wait_quiet(self.alerts, quiet=3.0, timeout=60)
        enriched: dict[str, float] = {}
        for r in got:
            if r.topic == self.enriched and r.key in bwanted:
                enriched.setdefault(r.key.decode(), r.at)
        to_enriched = [enriched[key] - stamps[key] for key in stamps]
        to_alert = [
            at - stamps[a]
            for a, at in _alert_articles([r for r in got if r.topic == self.alerts], set(stamps))
        ]
        duration = len(keyed) * interval

        def summary(values: list[float]) -> dict[str, float | int | None]:
            if not values:
                return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None}
            return {
                "n": len(values),
                "p50": percentile(values, 50),
                "p95": percentile(values, 95),
                "p99": percentile(values, 99),
                "max": max(values),
            }

        words = {k.key: k.article.words for k in keyed}
        by_length = {
            label: summary([enriched[key] - stamps[key] for key in stamps if low <= words[key] <= high])
            for label, low, high in (
                ("200-999", 0, 999),
                ("1000-1999", 1000, 1999),
                ("2000-3000", 2000, 10**9),
            )
        }
        return {
            "rate_articles_per_s": rate,
            "to_enriched_by_length_s": by_length,
            "samples": sorted(
                (
                    {"key": key, "words": words[key], "to_enriched_s": enriched[key] - stamps[key]}
                    for key in stamps
                ),
                key=lambda sample: -float(sample["to_enriched_s"]),
            ),
            "articles": len(keyed),
            "words": sum(k.article.words for k in keyed),
            "duration_s": duration,
            "to_enriched_s": summary(to_enriched),
            "to_alert_s": summary(to_alert),
            "cpu_s": {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after},
        }

    def rss_mb(self) -> list[float | None]:
        return [w.peak_rss_mb() for w in self.deployment.workers]

    def close(self) -> None:
        self.producer.close()
        self.deployment.stop()
