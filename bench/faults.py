"""`make faults`: the fault suite of issue 11. Real broker, real worker processes, real news prose.

    python -m bench.faults [--articles 300] [--kills 10] [--hostile 2000] [--broker-down-s 15]
                           [--only kill1,kill2,broker-stop,broker-kill,hostile]

Each scenario runs on its own deployment (topic prefix, app id, consumer group) on one fresh broker,
streams articles while it does harm, waits until the topics are quiet, and prints one line:

* ``kill1`` / ``kill2``: SIGKILL a worker mid-stream ``--kills`` times (one worker, then two taking
  turns), restarting it at once, and send a probe article to each partition it held. Recovery = from
  the kill to the first article enriched after it on one of those partitions (whoever holds them by
  then: the restarted worker, or with two workers possibly the survivor).
* ``broker-stop`` / ``broker-kill``: stop the broker cleanly / SIGKILL it mid-stream, keep it down
  ``--broker-down-s``, start it again. Recovery = from the restart to the next enriched article.
* ``hostile``: ``--hostile`` messages of every kind of wrong (binary, broken JSON, wrong types, empty,
  oversized, not English, id conflicts, repeats) mixed with valid ones; the worker's own counters must
  hold ``in = enriched + dead-lettered + duplicates`` (conflicts are dead letters), every dead letter
  must name a reason, and the worker must still be up.

Columns: in (messages produced), enriched (distinct articles on articles.enriched), dead (distinct
dead-lettered messages), lost (in, but neither enriched, dead-lettered nor a duplicate), dup-enriched
(extra articles.enriched events; "same id" says how many repeat the first one's event_id, i.e. a
re-processed batch a consumer can drop), dup-alerts (alerts whose fingerprint was already on the
topic), recover (seconds per fault, max). Exit status 1 when something is lost, an alert is
duplicated, or a kill took longer than 15 s to recover.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.corpus import build_corpus
from bench.harness import (
    KAFKA_SH,
    REPO,
    STANCEWIRE,
    Broker,
    Deployment,
    Reader,
    Worker,
    balanced_key,
    free_port,
    partition_for,
    reading,
)

ENTITIES = ("Donald Trump", "Hillary Clinton", "Bernie Sanders")  # PolNeAR is 2016 election news
RECOVERY_LIMIT_S = 15.0
PROBE = "Senator Maria Lopez said on Tuesday that the state would expand its rail network."
PARTITIONS = 2  # the harness's STANCEWIRE_TOPIC_PARTITIONS: articles.enriched is keyed like articles.raw


@dataclass
class Tally:
    scenario: str
    produced: int = 0
    enriched: int = 0
    dead: int = 0
    lost: int = 0
    dup_enriched: int = 0
    dup_same_event_id: int = 0
    dup_alerts: int = 0
    alerts: int = 0
    recoveries: list[float | None] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        times = [r for r in self.recoveries if r is not None]
        recover = (
            f"{max(times):5.1f}s max of {len(self.recoveries)} ({', '.join(f'{r:.1f}' for r in times)})"
            if times
            else "-"
        )
        return (
            f"{self.scenario:<12} in {self.produced:>5}  enriched {self.enriched:>5}  dead {self.dead:>5}  "
            f"lost {self.lost:>3}  dup-enriched {self.dup_enriched:>3} (same id {self.dup_same_event_id})  "
            f"dup-alerts {self.dup_alerts:>2} of {self.alerts:>4}  recover {recover}"
        )

    @property
    def failed(self) -> bool:
        slow = any(r is None or r > RECOVERY_LIMIT_S for r in self.recoveries) and self.scenario.startswith(
            "kill"
        )
        return self.lost > 0 or self.dup_alerts > 0 or slow


def worker_env(deployment: Deployment, index: int, port: int, data_dir: Path, static: bool) -> dict[str, str]:
    more = {"STANCEWIRE_WEB_PORT": str(port), "STANCEWIRE_DATA_DIR": str(data_dir)}
    if static:  # the id a supervisor would give the worker's slot: the same after a restart
        more["STANCEWIRE_KAFKA_GROUP_INSTANCE_ID"] = f"{deployment.app_id}-w{index}"
    return deployment.env(**more)


def spawn(deployment: Deployment, index: int, port: int, data_dir: Path, static: bool) -> Worker:
    data_dir.mkdir(parents=True, exist_ok=True)
    log = (data_dir / "worker.log").open("ab")
    process = subprocess.Popen(
        [*STANCEWIRE, "worker", "--loglevel", "info"],
        env=worker_env(deployment, index, port, data_dir, static),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
    )
    return Worker(index, port, data_dir, process)


def wait_ready(deployment: Deployment, worker: Worker, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            raise RuntimeError(f"worker {worker.index} exited:\n{worker.log()}")
        try:
            if worker.get("/subscriptions", headers=deployment.auth).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"worker {worker.index} not ready:\n{worker.log()}")


def restart(deployment: Deployment, worker: Worker, static: bool) -> Worker:
    """The same worker again (slot, port, data dir), as an operator's supervisor would."""
    fresh = spawn(deployment, worker.index, worker.web_port, worker.data_dir, static)
    deployment.workers[worker.index] = fresh
    return fresh


def held_partitions(worker: Worker) -> set[int]:
    """The articles.raw partitions ``worker`` holds, from its /healthz (503 while degraded is fine)."""
    try:
        report = httpx.get(f"http://127.0.0.1:{worker.web_port}/healthz", timeout=3).json()
    except (httpx.HTTPError, ValueError):
        return set()
    return {
        int(name.rsplit("[", 1)[1].rstrip("]"))
        for name in report.get("partitions", {})
        if name.split("[", 1)[0].endswith("articles.raw")
    }


def enriched_ids(snapshot: list[Any], topic: str) -> set[Any]:
    return {stamp(r.value).get("article_id") for r in snapshot if r.topic == topic}


def stamp(value: bytes) -> dict[str, Any]:
    event = orjson.loads(value)
    return event if isinstance(event, dict) else {}


def enriched_after(reader: Reader, topic: str, since: float, partitions: set[int] | None) -> float | None:
    """When the reader got the first event on ``topic`` (of ``partitions``) enriched after ``since``."""
    for received in reader.snapshot():
        if received.topic != topic or received.at < since:
            continue
        event = stamp(received.value)
        at = event.get("enriched_at")
        if not isinstance(at, str) or datetime.fromisoformat(at).timestamp() <= since:
            continue
        if (
            partitions is not None
            and received.key is not None
            and partition_for(received.key, PARTITIONS) not in partitions
        ):
            continue
        return received.at
    return None


class Producer(threading.Thread):
    """Sends the articles at a steady pace (so that there is always work in flight), acks=all."""

    def __init__(self, deployment: Deployment, events: list[tuple[bytes, bytes]], per_s: float) -> None:
        super().__init__(daemon=True, name="faults-producer")
        self.deployment, self.events, self.per_s = deployment, events, per_s
        self.sent = 0
        self.paused = threading.Event()

    def run(self) -> None:
        producer = self.deployment.producer()
        try:
            for key, value in self.events:
                while self.paused.is_set():
                    time.sleep(0.1)
                producer.send(self.deployment.topic("articles.raw"), key=key, value=value).get(timeout=120)
                self.sent += 1
                time.sleep(1 / self.per_s)
        finally:
            producer.close()


def account(scenario: str, reader: Reader, deployment: Deployment, ids: list[str], produced: int) -> Tally:
    tally = Tally(scenario, produced=produced)
    events = reader.snapshot()
    enriched = [stamp(r.value) for r in events if r.topic == deployment.topic("articles.enriched")]
    dead = [stamp(r.value) for r in events if r.topic == deployment.topic("articles.deadletter")]
    alerts = [stamp(r.value) for r in events if r.topic == deployment.topic("alerts")]
    first_event_id: dict[str, str | None] = {}
    for event in enriched:
        article_id = event.get("article_id")
        if not isinstance(article_id, str):
            continue
        if article_id in first_event_id:
            tally.dup_enriched += 1
            tally.dup_same_event_id += event.get("event_id") == first_event_id[article_id]
        else:
            first_event_id[article_id] = event.get("event_id")
    tally.enriched = len(first_event_id)
    dead_ids = {d.get("event_id") or d.get("source_offset") for d in dead}
    tally.dead = len(dead_ids)
    accounted = set(first_event_id) | {d.get("article_id") for d in dead if d.get("article_id")}
    tally.lost = sum(1 for article_id in ids if article_id not in accounted)
    fingerprints = Counter(a.get("fingerprint") for a in alerts)
    tally.alerts = len(alerts)
    tally.dup_alerts = sum(n - 1 for n in fingerprints.values())
    if tally.lost:  # what the next person needs: where the lost ones were, where the group stands
        lost = set(ids) - accounted
        tally.notes.append(
            f"lost: {sorted(lost)}; raw partitions: {[partition_for(i.encode(), PARTITIONS) for i in sorted(lost)]}"
        )
        tally.notes.append(f"group offsets: {group_offsets(deployment)}")
    unreasoned = [d for d in dead if not d.get("reason")]
    if unreasoned:
        tally.notes.append(f"{len(unreasoned)} dead letters without a reason")
    return tally


def group_offsets(deployment: Deployment) -> dict[str, int]:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=deployment.bootstrap, client_id="faults-admin")
    try:
        # kafka-python 3: {group: {TopicPartition: OffsetAndMetadata}}
        offsets = admin.list_group_offsets({deployment.app_id: None})[deployment.app_id]
        return {f"{tp.topic}[{tp.partition}]": meta.offset for tp, meta in sorted(offsets.items())}
    finally:
        admin.close()


def deployment_for(broker: Broker, root: Path, workers: int, static: bool) -> Deployment:
    deployment = Deployment(broker.bootstrap, root, extra_env={"STANCEWIRE_BATCH_WITHIN_S": "0.2"})
    deployment.create_topics()
    for index in range(workers):
        data_dir = root / f"{deployment.run}-worker{index}"
        deployment.workers.append(spawn(deployment, index, free_port(), data_dir, static))
    for worker in deployment.workers:
        wait_ready(deployment, worker)
    for i, entity in enumerate(ENTITIES):
        deployment.subscribe(f"faults-{i}", entity)
    return deployment


def wait_accounted(reader: Reader, deployment: Deployment, ids: list[str], timeout: float) -> None:
    wanted = set(ids)
    enriched, dead = deployment.topic("articles.enriched"), deployment.topic("articles.deadletter")

    def done(snapshot: list[Any]) -> bool:
        seen = {stamp(r.value).get("article_id") for r in snapshot if r.topic in (enriched, dead)}
        return wanted <= seen

    try:
        reader.wait_for(done, timeout, "every article enriched or dead-lettered")
    except TimeoutError as exc:
        print(f"  ! {exc}", file=sys.stderr)
    reader.wait_quiet(deployment.topic("alerts"), quiet=5, timeout=60)


def topics_of(deployment: Deployment) -> list[str]:
    return [deployment.topic(t) for t in ("articles.enriched", "articles.deadletter", "alerts")]


def kills(broker: Broker, root: Path, workers: int, articles: int, count: int, static: bool) -> Tally:
    corpus, _ = build_corpus(articles, prefix=f"kill{workers}-{os.getpid()}")
    events = [(a.article_id.encode(), orjson.dumps(a.to_event())) for a in corpus]
    deployment = deployment_for(broker, root, workers, static)
    recoveries: list[float | None] = []
    try:
        with reading(broker.bootstrap, topics_of(deployment)) as reader:
            producer = Producer(deployment, events, per_s=max(articles / (count * 12.0), 2.0))
            producer.start()
            enriched_topic = deployment.topic("articles.enriched")
            probes = deployment.producer()
            probe_ids: list[str] = []
            for k in range(count):
                time.sleep(random.uniform(3, 6))  # mid-stream: work is in flight
                victim = deployment.workers[k % workers]
                held = held_partitions(victim) if workers > 1 else set()
                partitions = sorted(held or range(PARTITIONS))
                killed_at = time.time()
                os.kill(victim.pid, signal.SIGKILL)
                victim.process.wait()
                # One probe article on each partition the victim held, sent at the kill: recovery is
                # when the last of them comes out enriched (whoever holds the partitions by then).
                keys = []
                for partition in partitions:
                    key = balanced_key(f"probe-{workers}-{k}-{partition}", partition, PARTITIONS)
                    body = f"{PROBE} (probe {key}, after kill {k + 1} of worker {victim.index})"
                    event = {"schema": "article.raw.v1", "article_id": key, "body": body, "source": "faults"}
                    probes.send(deployment.topic("articles.raw"), key=key.encode(), value=orjson.dumps(event))
                    keys.append(key)
                probes.flush()
                probe_ids += keys
                restart(deployment, victim, static)

                def probes_out(got: list[Any], keys: list[str] = keys) -> bool:
                    return set(keys) <= enriched_ids(got, enriched_topic)

                try:
                    snapshot = reader.wait_for(probes_out, 120, "the probes")
                    # Recovered: the victim's partitions make progress again, i.e. the first article
                    # enriched after the kill on one of them (the probes guarantee there is one; they
                    # may sit behind a backlog, so it is not their own arrival that is timed).
                    resumed = enriched_after(reader, enriched_topic, killed_at, set(partitions))
                    took: float | None = (resumed or max(r.at for r in snapshot)) - killed_at
                except TimeoutError:
                    took = None
                recoveries.append(took)
                shown = f"{took:.1f}s" if took is not None else "not within 120 s"
                print(
                    f"  kill {k + 1}/{count} of worker {victim.index} (partitions {partitions}): recovered in {shown}",
                    file=sys.stderr,
                )
            probes.close()
            producer.join()
            ids = [a.article_id for a in corpus] + probe_ids
            wait_accounted(reader, deployment, ids, timeout=600)
            tally = account(f"kill{workers}", reader, deployment, ids, len(events) + len(probe_ids))
            for worker in deployment.workers:
                if worker.process.poll() is not None:
                    tally.notes.append(
                        f"worker {worker.index} died on its own: exit status {worker.process.returncode}"
                    )
    finally:
        deployment.stop()
    tally.recoveries = recoveries
    return tally


def broker_fault(broker: Broker, root: Path, articles: int, down_s: float, hard: bool, static: bool) -> Tally:
    corpus, _ = build_corpus(articles, prefix=f"broker-{'kill' if hard else 'stop'}-{os.getpid()}")
    events = [(a.article_id.encode(), orjson.dumps(a.to_event())) for a in corpus]
    deployment = deployment_for(broker, root, 1, static)
    try:
        with reading(broker.bootstrap, topics_of(deployment)) as reader:
            producer = Producer(deployment, events, per_s=max(articles / 40.0, 2.0))
            producer.start()
            time.sleep(8)
            producer.paused.set()  # the producer is not under test: it waits for the broker
            if hard and broker.pid:
                os.kill(broker.pid, signal.SIGKILL)
            else:
                subprocess.run(["bash", str(KAFKA_SH), "stop"], check=True, env=broker.env, timeout=120)
            time.sleep(down_s)
            subprocess.run(
                ["bash", str(KAFKA_SH), "start"],
                check=True,
                env=broker.env,
                timeout=300,
                stdout=subprocess.DEVNULL,
            )
            back_at = time.time()
            producer.paused.clear()
            took: float | None = None
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                got = enriched_after(reader, deployment.topic("articles.enriched"), back_at, None)
                if got is not None:
                    took = got - back_at
                    break
                time.sleep(0.2)
            producer.join()
            wait_accounted(reader, deployment, [a.article_id for a in corpus], timeout=600)
            name = "broker-kill" if hard else "broker-stop"
            tally = account(name, reader, deployment, [a.article_id for a in corpus], len(events))
            tally.recoveries = [took]
            alive = all(w.process.poll() is None for w in deployment.workers)
            if not alive:
                codes = [w.process.returncode for w in deployment.workers if w.process.poll() is not None]
                tally.notes.append(f"a worker died: exit status {codes}")
    finally:
        deployment.stop()
    return tally


def hostile_messages(count: int, rng: random.Random) -> list[tuple[bytes | None, bytes]]:
    english = "Senator Maria Lopez said on Tuesday that the state would expand its rail network."
    kinds = [
        lambda i: (None, bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))),
        lambda i: (None, b'{"body": "unterminated'),
        lambda i: (None, orjson.dumps([1, 2, 3])),
        lambda i: (None, orjson.dumps({"title": "no body"})),
        lambda i: (None, orjson.dumps({"body": ""})),
        lambda i: (None, orjson.dumps({"body": "   \n\t "})),
        lambda i: (None, orjson.dumps({"body": english, "authors": 42})),
        lambda i: (None, orjson.dumps({"body": english, "published": {"year": 2025}})),
        lambda i: (None, b""),
        lambda i: (
            None,
            orjson.dumps({"body": "Le gouvernement a annoncé mardi une nouvelle réforme des retraites."}),
        ),
        lambda i: (None, b"[" * 5000 + b"]" * 5000),
        lambda i: (None, orjson.dumps({"body": f"\x00\x01 control {i} \u202e bidi"})),
        lambda i: (
            f"h-{i % 7}".encode(),
            orjson.dumps({"id": f"hostile-{i % 7}", "body": f"{english} Take {i}."}),
        ),
        lambda i: (None, orjson.dumps({"id": "hostile-repeat", "body": english})),
        lambda i: (None, orjson.dumps({"body": f"{english} Variant {i}."})),
    ]
    messages = [rng.choice(kinds)(i) for i in range(count)]
    messages += [(None, orjson.dumps({"body": "The minister said yes. " * 50_000}))] * 3  # ~1.15 MB
    rng.shuffle(messages)
    return messages


def hostile(broker: Broker, root: Path, count: int, static: bool) -> Tally:
    deployment = deployment_for(broker, root, 1, static)
    tally = Tally("hostile")
    try:
        with reading(broker.bootstrap, topics_of(deployment)) as reader:
            messages = hostile_messages(count, random.Random(11))
            producer = deployment.producer()
            for key, value in messages:
                producer.send(deployment.topic("articles.raw"), key=key, value=value)
            producer.flush()
            producer.close()
            worker = deployment.workers[0]
            deadline = time.monotonic() + 900
            health: dict[str, Any] = {}
            while time.monotonic() < deadline:
                try:
                    health = httpx.get(f"http://127.0.0.1:{worker.web_port}/healthz", timeout=3).json()
                except (httpx.HTTPError, ValueError):
                    time.sleep(1)
                    continue
                if health["articles_in"] >= len(messages) and health["articles_in"] == (
                    health["enriched"] + health["deadlettered"] + health["duplicates"]
                ):
                    break
                time.sleep(1)
            reader.wait_quiet(deployment.topic("articles.deadletter"), quiet=3, timeout=60)
            dead = [
                stamp(r.value)
                for r in reader.snapshot()
                if r.topic == deployment.topic("articles.deadletter")
            ]
            tally.produced = len(messages)
            tally.enriched = health.get("enriched", 0)
            tally.dead = health.get("deadlettered", 0)
            tally.lost = len(messages) - (tally.enriched + tally.dead + health.get("duplicates", 0))
            reasons = Counter(d.get("reason") for d in dead)
            tally.notes.append(
                f"duplicates {health.get('duplicates')}, conflicts {health.get('conflicts')}, "
                f"dead letters on the topic {len(dead)} by reason {dict(reasons)}"
            )
            if None in reasons or "" in reasons:
                tally.notes.append("a dead letter without a reason")
                tally.lost += 1
            if worker.process.poll() is not None:
                tally.notes.append("the worker died")
                tally.lost += 1
    finally:
        deployment.stop()
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--hostile", type=int, default=2000)
    parser.add_argument("--broker-down-s", type=float, default=15.0)
    parser.add_argument("--only", default="kill1,kill2,broker-stop,broker-kill,hostile")
    parser.add_argument(
        "--static",
        action="store_true",
        help="static group membership (STANCEWIRE_KAFKA_GROUP_INSTANCE_ID per worker slot): a restarted "
        "worker rejoins without waiting for the session timeout (seen to stall a partition: docs/ingestion.md)",
    )
    args = parser.parse_args()
    wanted = args.only.split(",")
    static = args.static
    root = REPO / "var" / "faults" / time.strftime("%Y%m%dT%H%M%S")
    tallies: list[Tally] = []
    with Broker(root) as broker:
        for name in wanted:
            print(f"== {name}", file=sys.stderr)
            if name in ("kill1", "kill2"):
                tallies.append(kills(broker, root, int(name[-1]), args.articles, args.kills, static))
            elif name in ("broker-stop", "broker-kill"):
                tallies.append(
                    broker_fault(
                        broker, root, args.articles, args.broker_down_s, name == "broker-kill", static
                    )
                )
            elif name == "hostile":
                tallies.append(hostile(broker, root, args.hostile, static))
            else:
                raise SystemExit(f"unknown scenario {name}")
            print(tallies[-1].line(), flush=True)
    membership = "static (STANCEWIRE_KAFKA_GROUP_INSTANCE_ID per worker)" if static else "dynamic"
    print("\n".join(["", f"fault suite, group membership {membership}:", *(t.line() for t in tallies)]))
    for tally in tallies:
        for note in tally.notes:
            print(f"  {tally.scenario}: {note}")
    sys.exit(1 if any(t.failed for t in tallies) else 0)


if __name__ == "__main__":
    main()
