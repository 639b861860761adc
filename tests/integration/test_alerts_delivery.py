"""Alert delivery on the real broker, to a real HTTP receiver in this process.

* a webhook gets the alert signed in the Standard Webhooks scheme, verified with
  ``streams.alerts.verify``; every attempt of one alert carries the same ``webhook-id``;
* a receiver that answers 500 three times gets retries (exponential backoff) and then the alert;
* a receiver that never succeeds (slow, then 503) ends in alerts.deadletter, while the other
  subscriptions' alerts arrive on time;
* the same alert comes out of GET /alerts/stream (SSE) and ``stancewire alerts tail``; the CLI's
  ``subscribe`` and ``subscriptions`` go through the REST API.

The alerts come from hand-built ``article.enriched.v1`` events (stance extraction is still being built);
what is tested here is delivery, not matching.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson
import pytest

from streams.alerts import SignatureError, verify
from tests.integration.conftest import Pipeline
from tests.integration.test_alerts import api, produce_enriched, start
from tests.unit.test_alert_support import enriched_article, stance

pytestmark = pytest.mark.integration

TOKEN = "integration-token"
SECRETS = {
    "hook-ok": "ok-secret-0123456789abcdef",
    "hook-flaky": "flaky-secret-0123456789ab",
    "hook-dead": "dead-secret-0123456789abc",
}


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    status: int


@dataclass
class Receiver:
    """/ok answers 200; /flaky 500 three times, then 200; /dead waits 0.4 s and answers 503, always."""

    hits: list[Hit] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def status_for(self, path: str) -> int:
        if path == "/dead":
            time.sleep(0.4)
            return 503
        with self.lock:
            if path == "/flaky":
                return 500 if sum(h.path == "/flaky" for h in self.hits) < 3 else 200
            return 200

    def of(self, path: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path == path]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = state.status_for(self.path)
            with state.lock:
                state.hits.append(Hit(self.path, dict(self.headers), body, time.monotonic(), status))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def delivering(pipeline: Pipeline) -> Pipeline:
    pipeline.extra_env.update(
        {
            "STANCEWIRE_API_TOKEN": TOKEN,
            "STANCEWIRE_ALERT_WEBHOOK_ALLOWLIST": "127.0.0.1/32",
            "STANCEWIRE_ALERT_WEBHOOK_ATTEMPTS": "4",
            "STANCEWIRE_ALERT_WEBHOOK_BACKOFF_S": "0.1",
            "STANCEWIRE_ALERT_WEBHOOK_BACKOFF_MAX_S": "1",
            "STANCEWIRE_ALERT_WEBHOOK_TIMEOUT_S": "2",
        }
    )
    start(pipeline)
    return pipeline


class SSEClient:
    """Reads GET /alerts/stream in a thread, collecting (event, id, data)."""

    def __init__(self, p: Pipeline, subscription: str) -> None:
        self.events: list[tuple[str, str | None, str]] = []
        self.url = f"http://127.0.0.1:{p.web_port}/alerts/stream?subscription={subscription}"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.stream("GET", self.url, headers=headers, timeout=httpx.Timeout(5, read=60)) as response:
            assert response.status_code == 200
            kind, ident, data = "message", None, []
            for line in response.iter_lines():
                if self.stop.is_set():
                    return
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("id: "):
                    ident = line[4:]
                elif line.startswith("data: "):
                    data.append(line[6:])
                elif line == "" and data:
                    self.events.append((kind, ident, "\n".join(data)))
                    kind, ident, data = "message", None, []

    def wait(self, count: int, timeout: float = 30) -> list[tuple[str, str | None, str]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.events) < count:
            time.sleep(0.05)
        return list(self.events)


def test_webhooks_retries_dead_letters_sse_and_cli(
    delivering: Pipeline, receiver: Receiver, registry
) -> None:
    base = f"http://127.0.0.1:{receiver.port}"
    rule = {"kind": "stance", "target": "Veldonia"}
    for name, path in (("hook-ok", "/ok"), ("hook-flaky", "/flaky"), ("hook-dead", "/dead")):
        body = {"id": name, "rule": rule, "webhook": {"url": base + path, "secret": SECRETS[name]}}
        response = api(delivering, "POST", "/subscriptions", json=body)
        assert response.status_code == 201, response.text
    # the CLI makes one too, through the same API; its secret is generated and shown once
    cli = delivering.cli(
        "subscribe", "hook-cli", "--rule", orjson.dumps(rule).decode(), "--webhook", base + "/ok", "--json"
    )
    assert cli.returncode == 0, cli.stderr.decode()
    cli_secret = orjson.loads(cli.stdout)["webhook"]["secret"]
    listed = delivering.cli("subscriptions", "--json")
    assert listed.returncode == 0, listed.stderr.decode()
    shown = [orjson.loads(line) for line in listed.stdout.splitlines()]
    assert [s["id"] for s in shown] == ["hook-cli", "hook-dead", "hook-flaky", "hook-ok"]
    assert {s["webhook"]["secret"] for s in shown} == {"***"}

    sse = SSEClient(delivering, "hook-ok")
    assert sse.wait(1)[0][0] == "ready"

    produced = time.monotonic()
    produce_enriched(
        delivering,
        [enriched_article("deliver-1", stances=[stance("Mira Okafor", "Veldonia", "oppose", -0.7)])],
        registry,
    )

    alerts = delivering.read_all("alerts", expect=4, settle=1)
    assert sorted(a["subscription_id"] for a in alerts) == ["hook-cli", "hook-dead", "hook-flaky", "hook-ok"]
    by_sub = {a["subscription_id"]: a for a in alerts}

    # /ok: on time and signed over the exact body received
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(receiver.of("/ok")) < 2:
        time.sleep(0.05)
    oks = receiver.of("/ok")
    assert len(oks) == 2
    for hit in oks:
        subscription = hit.headers["X-Stancewire-Subscription"]
        secret = SECRETS.get(subscription, cli_secret)
        assert verify(secret, hit.body, hit.headers) == hit.headers["webhook-id"]
        with pytest.raises(SignatureError, match="no signature matches"):
            verify("not-the-secret-at-all", hit.body, hit.headers)
        with pytest.raises(SignatureError, match="over the tolerance"):  # the same request, replayed later
            verify(secret, hit.body, hit.headers, now=int(hit.headers["webhook-timestamp"]) + 301)
        assert orjson.loads(hit.body) == by_sub[subscription]
        assert hit.headers["X-Stancewire-Fingerprint"] == by_sub[subscription]["fingerprint"]
    ok_latency = max(hit.at for hit in oks) - produced

    # /flaky: three 500s, then accepted on the 4th attempt, with growing waits in between
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any(h.status == 200 for h in receiver.of("/flaky")):
        time.sleep(0.05)
    flaky = receiver.of("/flaky")
    assert [h.status for h in flaky] == [500, 500, 500, 200]
    assert [h.headers["X-Stancewire-Attempt"] for h in flaky] == ["1", "2", "3", "4"]
    gaps = [b.at - a.at for a, b in itertools.pairwise(flaky)]
    assert gaps[0] >= 0.08 and gaps[2] > gaps[0], gaps
    assert len({verify(SECRETS["hook-flaky"], h.body, h.headers) for h in flaky}) == 1  # one id, 4 tries

    # /dead: never succeeds → alerts.deadletter, read by an independent consumer
    (dead,) = delivering.read_all("alerts.deadletter", expect=1, timeout=60, settle=1)
    dead_at = time.monotonic()
    registry.validate(dead)
    assert dead["reason"] == "webhook_failed" and dead["attempts"] == 4 and dead["last_status"] == 503
    assert dead["subscription_id"] == "hook-dead" and orjson.loads(dead["payload"]) == by_sub["hook-dead"]
    assert len(receiver.of("/dead")) == 4
    # ... and it delayed no one: the others were served while it was still failing
    assert ok_latency < 5, ok_latency
    assert max(h.at for h in oks) < min(h.at for h in receiver.of("/dead")) + 4 * 0.4
    assert dead_at - produced > ok_latency

    # the same alert on the SSE stream, with its Kafka position as the event id
    events = sse.wait(2)
    sse.stop.set()
    kind, ident, data = events[1]
    assert kind == "alert" and ident and ident.count(":") == 1
    assert orjson.loads(data) == by_sub["hook-ok"]

    tail = delivering.cli(
        "alerts",
        "tail",
        "--subscription",
        "hook-ok",
        "--from-beginning",
        "--json",
        "--max",
        "1",
        "--timeout",
        "10",
    )
    assert tail.returncode == 0, tail.stderr.decode()
    assert orjson.loads(tail.stdout.splitlines()[0]) == by_sub["hook-ok"]
