"""Integration fixtures: a real Kafka broker from deploy/kafka and the worker as a real process.

The broker is started once per test session on free ports with its own data dir (or, with
STANCEWIRE_TEST_BOOTSTRAP set, an already running broker is used). Each test module gets its own
topic prefix and app id, so tests never read each other's events.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer

from tests.conftest import REPO

KAFKA_SH = REPO / "deploy" / "kafka" / "kafka.sh"
STANCEWIRE = [sys.executable, "-m", "streams"]

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Broker:
    """The test broker, with the environment kafka.sh needs to stop and start it again on the same
    ports and data (``env`` is None for a broker the tests did not start: it cannot be controlled)."""

    bootstrap: str
    env: dict[str, str] | None = None

    def kafka(self, command: str, timeout: float = 300) -> None:
        assert self.env is not None, "not our broker"
        subprocess.run(["bash", str(KAFKA_SH), command], check=True, env=self.env, timeout=timeout)


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    existing = os.environ.get("STANCEWIRE_TEST_BOOTSTRAP")
    if existing:
        yield Broker(existing)
        return
    data_dir = tmp_path_factory.mktemp("kafka")
    env = {
        **os.environ,
        "KAFKA_PORT": str(free_port()),
        "KAFKA_CONTROLLER_PORT": str(free_port()),
        "KAFKA_DATA_DIR": str(data_dir),
    }
    subprocess.run(["bash", str(KAFKA_SH), "start"], check=True, env=env, timeout=900)
    try:
        yield Broker(f"127.0.0.1:{env['KAFKA_PORT']}", env)
    finally:
        subprocess.run(["bash", str(KAFKA_SH), "stop"], check=False, env=env, timeout=120)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: Broker) -> str:
    return kafka_broker.bootstrap


@dataclass
class Pipeline:
    """One isolated deployment on the shared broker: its own topics, app id, web port, data dir."""

    bootstrap: str
    prefix: str
    app_id: str
    web_port: int
    data_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    worker: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "STANCEWIRE_KAFKA_BOOTSTRAP": self.bootstrap,
            "STANCEWIRE_TOPIC_PREFIX": self.prefix,
            "STANCEWIRE_APP_ID": self.app_id,
            "STANCEWIRE_WEB_PORT": str(self.web_port),
            "STANCEWIRE_DATA_DIR": str(self.data_dir),
            "STANCEWIRE_BATCH_WITHIN_S": "0.2",
            **self.extra_env,
        }

    def topic(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def cli(
        self, *args: str, input: bytes | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [*STANCEWIRE, *args], env=self.env, input=input, capture_output=True, timeout=timeout, cwd=REPO
        )

    def start_worker(self, timeout: float = 120) -> None:
        log = (self.data_dir / "worker.log").open("ab")
        self.worker = subprocess.Popen(
            [*STANCEWIRE, "worker", "--loglevel", "info"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.worker.poll() is not None:
                raise RuntimeError(f"worker exited with {self.worker.returncode}:\n{self.worker_log()}")
            try:
                if self.health()["status"] == "ok":
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"worker not healthy after {timeout}s:\n{self.worker_log()}")

    def stop_worker(self) -> None:
        if self.worker and self.worker.poll() is None:
            self.worker.terminate()
            try:
                self.worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait()

    def worker_log(self, tail: int = 80) -> str:
        path = self.data_dir / "worker.log"
        lines = path.read_text(errors="replace").splitlines() if path.exists() else []
        return "\n".join(lines[-tail:])

    def health(self) -> dict[str, Any]:
        response = httpx.get(f"http://127.0.0.1:{self.web_port}/healthz", timeout=2)
        response.raise_for_status()
        return response.json()

    def metrics(self) -> str:
        return httpx.get(f"http://127.0.0.1:{self.web_port}/metrics", timeout=2).text

    def wait_for_health(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 120
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        health: dict[str, Any] = {}
        while time.monotonic() < deadline:
            health = self.health()
            if predicate(health):
                return health
            time.sleep(0.25)
        raise TimeoutError(f"health never matched; last {health}\n{self.worker_log()}")

    def wait_for_health_ok(self, timeout: float = 120) -> dict[str, Any]:
        """Until /healthz answers 200 with status ok (it answers 503 while degraded)."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"http://127.0.0.1:{self.web_port}/healthz", timeout=2)
                last = response.text
                if response.status_code == 200 and response.json()["status"] == "ok":
                    return dict(response.json())
            except httpx.HTTPError as exc:
                last = exc
            time.sleep(0.5)
        raise TimeoutError(f"health never ok; last {last}\n{self.worker_log()}")

    def producer(self) -> KafkaProducer:
        return KafkaProducer(bootstrap_servers=self.bootstrap, acks="all", max_request_size=8 * 1024 * 1024)

    def read_all(
        self, name: str, *, expect: int, timeout: float = 120, settle: float = 3.0
    ) -> list[dict[str, Any]]:
        """Read ``name`` from the start with an independent consumer until ``expect`` events have come
        and nothing more arrives for ``settle`` seconds (so extra, unexpected events are caught too)."""
        consumer = KafkaConsumer(
            self.topic(name),
            bootstrap_servers=self.bootstrap,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            consumer_timeout_ms=500,
            fetch_max_bytes=16 * 1024 * 1024,
            max_partition_fetch_bytes=8 * 1024 * 1024,
        )
        events: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        quiet_since = time.monotonic()
        try:
            while time.monotonic() < deadline:
                batch = consumer.poll(timeout_ms=500)
                got = [orjson.loads(m.value) for records in batch.values() for m in records]
                if got:
                    events.extend(got)
                    quiet_since = time.monotonic()
                elif len(events) >= expect and time.monotonic() - quiet_since >= settle:
                    break
        finally:
            consumer.close()
        return events


@pytest.fixture(scope="module")
def pipeline(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    run = uuid.uuid4().hex[:8]
    p = Pipeline(
        bootstrap=kafka_bootstrap,
        prefix=f"it-{run}.",
        app_id=f"stancewire-it-{run}",
        web_port=free_port(),
        data_dir=tmp_path_factory.mktemp(f"worker-{run}"),
    )
    try:
        yield p
    finally:
        p.stop_worker()
