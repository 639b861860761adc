"""Real processes for the pipeline benchmarks: a broker from deploy/kafka, worker subprocesses, a reader.

The same approach as ``tests/integration/conftest.py``: a fresh broker on free ports with its own data
dir (``deploy/kafka/kafka.sh``), topics made by ``python -m streams topics create``, workers run as
``python -m streams worker`` with ``STANCEWIRE_*`` settings (one web port each, one app id so they
share the consumer group), and an independent kafka-python consumer that reads what comes out.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.partitioner.default import murmur2

REPO = Path(__file__).resolve().parent.parent
KAFKA_SH = REPO / "deploy" / "kafka" / "kafka.sh"
STANCEWIRE = [sys.executable, "-m", "streams"]
API_TOKEN = "bench-token-" + "x" * 16

# One core per worker: spaCy is single-threaded already; numpy/BLAS/OpenMP pools must not fan out
# over the other core (the other worker, or the broker, lives there).
ONE_CORE = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    # the sentiment tokenizer (HF tokenizers) batch-encodes on a rayon pool as wide as the machine
    "RAYON_NUM_THREADS": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 when it is gone)."""
    try:
        return cpu_seconds_of(Path(f"/proc/{pid}/stat"))
    except OSError:
        return 0.0


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all CPUs, from /proc/stat): with the per-process
    figures it tells how much of a run's CPU went to other people's work."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """``pid`` and every live process below it (a worker's enrichment process, its resource tracker)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += parents.get(current, [])
    return tree


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and the live processes below it."""
    return sum(cpu_seconds(p) for p in process_tree(pid))


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds so far of every thread of a process and of the processes below it, by thread id."""
    out = {}
    for process in process_tree(pid):
        for task in Path(f"/proc/{process}/task").glob("*"):
            try:
                out[int(task.name)] = cpu_seconds_of(task / "stat")
            except (OSError, ValueError):
                continue
    return out


def thread_run_queue_waits(pid: int) -> dict[int, float]:
    """Seconds each thread of a process and of the processes below it has spent runnable but waiting
    for a CPU (``/proc/<pid>/task/<tid>/schedstat``, second field), by thread id."""
    out = {}
    for process in process_tree(pid):
        for task in Path(f"/proc/{process}/task").glob("*"):
            try:
                out[int(task.name)] = int((task / "schedstat").read_text().split()[1]) / 1e9
            except (OSError, ValueError, IndexError):
                continue
    return out


def cpu_seconds_of(stat: Path) -> float:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def split_threads(
    pid: int,
    before: dict[int, float],
    after: dict[int, float],
    waits: tuple[dict[int, float], dict[int, float]] | None = None,
) -> dict[str, float]:
    """CPU seconds between two ``thread_cpu`` readings: the event loop (the worker's main thread), the
    busiest other thread (enrichment: spaCy + the stance model, the main thread of the worker's
    enrichment process, or its enrich thread with ``STANCEWIRE_ENRICH_IN=thread``), and all other
    threads of the worker and its processes together. With ``waits`` (two ``thread_run_queue_waits``
    readings) also ``enrich_waited_for_cpu``: the seconds the enrichment was ready to run and had no
    CPU, what the rest of the machine took from it."""
    delta = {tid: after[tid] - before.get(tid, 0.0) for tid in after}
    loop = delta.pop(pid, 0.0)
    enrich_tid = max(delta, key=delta.__getitem__, default=None)
    enrich = delta.pop(enrich_tid, 0.0) if enrich_tid is not None else 0.0
    out = {"event_loop": loop, "enrich_thread": enrich, "other_threads": sum(delta.values())}
    if waits is not None and enrich_tid is not None:
        out["enrich_waited_for_cpu"] = waits[1].get(enrich_tid, 0.0) - waits[0].get(enrich_tid, 0.0)
    return out


def status_kb(pid: int, key: str) -> int | None:
    """A ``/proc/<pid>/status`` figure in kB (``VmHWM``: peak RSS; ``VmRSS``: current RSS)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def partition_for(key: bytes, partitions: int) -> int:
    """Where Kafka's default partitioner (kafka-python, aiokafka and Java alike) puts ``key``."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def balanced_key(base: str, partition: int, partitions: int) -> str:
    """``base`` or ``base~<n>``, whichever first hashes to ``partition``."""
    for n in range(10_000):
        key = base if n == 0 else f"{base}~{n}"
        if partition_for(key.encode(), partitions) == partition:
            return key
    raise RuntimeError(f"no key for partition {partition}")


class Broker:
    """A single-node KRaft broker on free ports, data under ``root``; stopped and deleted on exit."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.env = {
            **os.environ,
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(free_port()),
            "KAFKA_DATA_DIR": str(root / "kafka"),
        }

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        try:
            return int((self.root / "kafka" / "kafka.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def __enter__(self) -> Broker:
        self.root.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["bash", str(KAFKA_SH), "start"],
            check=True,
            env=self.env,
            timeout=900,
            stdout=subprocess.DEVNULL,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["bash", str(KAFKA_SH), "stop"], check=False, env=self.env, timeout=120)
        shutil.rmtree(self.root / "kafka", ignore_errors=True)


@dataclass
class Worker:
    index: int
    web_port: int
    data_dir: Path
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self, tail: int = 60) -> str:
        path = self.data_dir / "worker.log"
        lines = path.read_text(errors="replace").splitlines() if path.exists() else []
        return "\n".join(lines[-tail:])

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(f"http://127.0.0.1:{self.web_port}{path}", timeout=5, **kwargs)

    def health(self) -> dict[str, Any]:
        response = self.get("/healthz")
        response.raise_for_status()
        return dict(response.json())

    def peak_rss_mb(self) -> float | None:
        # The worker and its enrichment process together: the sum of their peaks (an upper bound of
        # the peak of their sum).
        peaks = [status_kb(p, "VmHWM") for p in process_tree(self.pid)]
        kb = sum(k for k in peaks if k is not None)
        return kb / 1024 if kb else None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Deployment:
    """One isolated deployment on the broker: its own topic prefix, app id and workers."""

    bootstrap: str
    root: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    workers: list[Worker] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return f"bench-{self.run}."

    @property
    def app_id(self) -> str:
        return f"stancewire-bench-{self.run}"

    def topic(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def env(self, **more: str) -> dict[str, str]:
        return {
            **os.environ,
            **ONE_CORE,
            "STANCEWIRE_KAFKA_BOOTSTRAP": self.bootstrap,
            "STANCEWIRE_TOPIC_PREFIX": self.prefix,
            "STANCEWIRE_TOPIC_PARTITIONS": "2",
            "STANCEWIRE_APP_ID": self.app_id,
            "STANCEWIRE_API_TOKEN": API_TOKEN,
            "STANCEWIRE_MODEL_THREADS": "1",
            **self.extra_env,
            **more,
        }

    def create_topics(self) -> None:
        result = subprocess.run(
            [*STANCEWIRE, "topics", "create"], env=self.env(), capture_output=True, cwd=REPO, timeout=120
        )
        if result.returncode != 0:
            raise RuntimeError(f"topics create failed:\n{result.stderr.decode(errors='replace')}")

    def start_workers(self, count: int, timeout: float = 180) -> list[Worker]:
        for index in range(count):
            port = free_port()
            data_dir = self.root / f"{self.run}-worker{index}"
            data_dir.mkdir(parents=True, exist_ok=True)
            log = (data_dir / "worker.log").open("ab")
            process = subprocess.Popen(
                [*STANCEWIRE, "worker", "--loglevel", "info"],
                env=self.env(STANCEWIRE_WEB_PORT=str(port), STANCEWIRE_DATA_DIR=str(data_dir)),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPO,
            )
            self.workers.append(Worker(index, port, data_dir, process))
        deadline = time.monotonic() + timeout
        for worker in self.workers:
            # Healthy, and the alerting API has its tables back (it answers 503 until then).
            while True:
                if worker.process.poll() is not None:
                    raise RuntimeError(f"worker {worker.index} exited:\n{worker.log()}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"worker {worker.index} not ready:\n{worker.log()}")
                try:
                    ready = worker.get("/subscriptions", headers=self.auth).status_code == 200
                except httpx.HTTPError:
                    ready = False
                if ready:
                    break
                time.sleep(0.5)
        return self.workers

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {API_TOKEN}"}

    def subscribe(self, subscription_id: str, entity: str) -> None:
        """One instant subscription (no webhook: alerts go to the topic only) on an entity."""
        body = {"id": subscription_id, "name": "bench", "rule": {"kind": "entity", "entity": entity}}
        response = httpx.post(
            f"http://127.0.0.1:{self.workers[0].web_port}/subscriptions",
            json=body,
            headers=self.auth,
            timeout=10,
        )
        if response.status_code not in (200, 201):
            raise RuntimeError(f"subscription refused: {response.status_code} {response.text}")

    def stop(self) -> None:
        for worker in self.workers:
            worker.process.terminate()
        for worker in self.workers:
            worker.stop()

    def producer(self) -> KafkaProducer:
        return KafkaProducer(
            bootstrap_servers=self.bootstrap,
            acks="all",
            linger_ms=5,
            max_request_size=4 * 1024 * 1024,
            client_id="bench-producer",
        )


@dataclass(frozen=True, slots=True)
class Received:
    topic: str
    key: bytes | None
    value: bytes
    at: float  # time.time() when the reader got it


class Reader(threading.Thread):
    """An independent consumer (no group) of some topics, from their current end, in the background.

    It only stamps and keeps the raw bytes (parsing happens afterwards), so that it takes as little
    CPU as possible from the workers it measures.
    """

    def __init__(self, bootstrap: str, topics: list[str]) -> None:
        super().__init__(daemon=True, name="bench-reader")
        self.consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=None,
            enable_auto_commit=False,
            # A waiting fetch is answered as soon as data arrives, so a long wait adds no latency to
            # what is measured and spares the broker (which shares the CPUs) a request every 50 ms.
            fetch_max_wait_ms=500,
            check_crcs=False,  # kafka-python checks CRCs in pure Python: CPU the workers need
            fetch_max_bytes=32 * 1024 * 1024,
            max_partition_fetch_bytes=8 * 1024 * 1024,
            client_id="bench-reader",
        )
        partitions = []
        for topic in topics:
            deadline = time.monotonic() + 30
            while not (found := self.consumer.partitions_for_topic(topic)):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no metadata for {topic}")
                time.sleep(0.2)
            partitions += [TopicPartition(topic, p) for p in sorted(found)]
        self.consumer.assign(partitions)
        # Pin the start offsets now (not lazily at the first poll), so nothing produced after this
        # returns can be missed.
        for tp, offset in self.consumer.end_offsets(partitions).items():
            self.consumer.seek(tp, offset)
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            while not self._stop_event.is_set():
                batch = self.consumer.poll(timeout_ms=100)
                now = time.time()
                if batch:
                    got = [
                        Received(tp.topic, record.key, record.value, now)
                        for tp, records in batch.items()
                        for record in records
                    ]
                    with self._lock:
                        self.received.extend(got)
        finally:
            self.consumer.close()

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def count(self, topic: str) -> int:
        with self._lock:
            return sum(1 for r in self.received if r.topic == topic)

    def wait_for(
        self, done: Callable[[list[Received]], bool], timeout: float, what: str = "events"
    ) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            snapshot = self.snapshot()
            if done(snapshot):
                return snapshot
            time.sleep(0.05)
        raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")

    def wait_quiet(self, topic: str, quiet: float, timeout: float) -> list[Received]:
        """Until nothing new has come on ``topic`` for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        last = self.count(topic)
        since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now = self.count(topic)
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                break
        return self.snapshot()

    def close(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)


@contextmanager
def reading(bootstrap: str, topics: list[str]) -> Iterator[Reader]:
    reader = Reader(bootstrap, topics)
    reader.start()
    try:
        yield reader
    finally:
        reader.close()
