"""The store on the real broker: exactly one row per article, stance and alert, whatever is replayed
and whenever its consumer is killed.

Two stores fill from the same topics: the worker's own (its consumer in a thread of the worker,
``register_store``), and one kept by ``stancewire store run`` as a process of its own (another app id,
so another consumer group, and another SQLite file). The seed articles and articles cut from their
paragraphs are replayed twice through the real worker; then every enriched and alert event is produced
again several times (what a crashed worker or a re-run producer would leave on the topics); then the
standalone consumer starts on that backlog, is killed with SIGKILL after its first committed batch,
and is started again. Both stores end with exactly the rows the distinct events call for.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from streams.store import open_store, stances
from streams.store.rows import stance_id
from tests.conftest import REPO
from tests.integration.conftest import STANCEWIRE, Pipeline
from tests.integration.test_alerts import api, replay_raw, start
from tests.store_support import ALERT_RULES, paragraph_articles

pytestmark = pytest.mark.integration

TOKEN = "integration-token"
REDELIVERIES = 4  # extra copies of every enriched and alert event put back on the topics


@pytest.fixture(scope="module")
def desk(pipeline: Pipeline) -> Pipeline:
    pipeline.extra_env.update({"STANCEWIRE_API_TOKEN": TOKEN})
    start(pipeline)
    return pipeline


def standalone_env(p: Pipeline) -> dict[str, str]:
    return {
        **p.env,
        # Its own group (<app id>-store) and file: the worker's store fills independently beside it.
        "STANCEWIRE_APP_ID": f"{p.app_id}-standalone",
        "STANCEWIRE_STORE_URL": f"sqlite:///{p.data_dir / 'standalone.db'}",
        # One record per batch: many transactions and offset commits for the kill to land between.
        "STANCEWIRE_STORE_MAX_BATCH": "1",
        # Its partitions go to the restarted consumer once the broker gives up on the killed one.
        "STANCEWIRE_KAFKA_SESSION_TIMEOUT_S": "6",
    }


def start_standalone(p: Pipeline) -> subprocess.Popen[bytes]:
    log = (p.data_dir / "store-run.log").open("ab")
    return subprocess.Popen(
        [*STANCEWIRE, "store", "run"], env=standalone_env(p), stdout=log, stderr=subprocess.STDOUT, cwd=REPO
    )


def standalone_log(p: Pipeline) -> str:
    path = p.data_dir / "store-run.log"
    return "\n".join(path.read_text(errors="replace").splitlines()[-60:]) if path.exists() else ""


def lag(p: Pipeline, group: str, topics: list[str]) -> int:
    """Records of ``topics`` the group has not committed yet (all of them before its first commit)."""
    consumer = KafkaConsumer(bootstrap_servers=p.bootstrap, group_id=None)
    admin = KafkaAdminClient(bootstrap_servers=p.bootstrap)
    try:
        partitions = [TopicPartition(t, n) for t in topics for n in consumer.partitions_for_topic(t) or []]
        ends = consumer.end_offsets(partitions)
        committed = admin.list_group_offsets({group: None}).get(group) or {}
        return sum(end - max(0, committed[tp].offset if tp in committed else 0) for tp, end in ends.items())
    finally:
        consumer.close()
        admin.close()


def wait_until(predicate: Any, what: str, timeout: float, log: Any) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise TimeoutError(f"{what} after {timeout}s\n{log()}")


def redeliver(p: Pipeline, name: str, events: list[dict[str, Any]], key: str) -> None:
    producer = p.producer()
    for _ in range(REDELIVERIES):
        for event in events:
            producer.send(p.topic(name), key=event[key].encode(), value=orjson.dumps(event))
    producer.flush()
    producer.close()


def test_replays_and_a_killed_consumer_leave_one_row_per_article_stance_and_alert(
    desk: Pipeline, tmp_path: Path
) -> None:
    for sid, rule in ALERT_RULES.items():
        response = api(desk, "POST", "/subscriptions", json={"id": sid, "rule": rule})
        assert response.status_code == 201, response.text
    desk.read_all("subscriptions", expect=len(ALERT_RULES), settle=1)

    articles = [a.to_event() for a in paragraph_articles()]
    replay_raw(desk, articles, tmp_path)
    enriched = desk.read_all("articles.enriched", expect=len(articles), settle=2)
    replay_raw(desk, articles, tmp_path)  # the same articles again: the worker skips them
    alert_events = desk.read_all("alerts", expect=1, settle=3)
    enriched = desk.read_all("articles.enriched", expect=len(enriched), settle=2)

    article_ids = {a["article_id"] for a in articles}
    assert {e["article_id"] for e in enriched} == article_ids
    stance_ids = {
        stance_id(e["article_id"], s["holder"], s["target"]) for e in enriched for s in e["stances"]
    }
    fingerprints = {a["fingerprint"] for a in alert_events}
    assert len(stance_ids) > 30 and fingerprints, "the seeds give stances, and the subscriptions alerts"

    redeliver(desk, "articles.enriched", enriched, "article_id")
    redeliver(desk, "alerts", alert_events, "subscription_id")
    topics = [desk.topic("articles.enriched"), desk.topic("alerts")]
    backlog = lag(desk, f"{desk.app_id}-standalone-store", topics)
    assert backlog == (1 + REDELIVERIES) * (len(enriched) + len(alert_events))

    # The standalone consumer on the whole backlog, killed right after its first committed batch.
    standalone = open_store(standalone_env(desk)["STANCEWIRE_STORE_URL"])
    process = start_standalone(desk)
    try:
        wait_until(
            lambda: standalone.counts()["articles"] + standalone.counts()["alerts"] > 0,
            "the standalone store stayed empty",
            120,
            lambda: standalone_log(desk),
        )
        process.kill()
        process.wait(timeout=30)
        left = lag(desk, f"{desk.app_id}-standalone-store", topics)
        assert 0 < left < backlog, f"killed with {left} of {backlog} records to go: not mid-replay"

        process = start_standalone(desk)
        wait_until(
            lambda: lag(desk, f"{desk.app_id}-standalone-store", topics) == 0,
            "the restarted consumer did not catch up",
            180,
            lambda: standalone_log(desk),
        )
    finally:
        process.terminate()
        process.wait(timeout=60)
    wait_until(
        lambda: lag(desk, f"{desk.app_id}-store", topics) == 0,
        "the worker's store consumer did not catch up",
        120,
        desk.worker_log,
    )

    worker_store = open_store(f"sqlite:///{desk.data_dir / 'store.db'}")
    for store in (standalone, worker_store):
        counts = store.counts()
        assert counts["articles"] == len(article_ids), (store.url, counts)
        assert counts["stances"] == len(stance_ids), (store.url, counts)
        assert counts["alerts"] == len(fingerprints), (store.url, counts)
        listed = [s["id"] for s in stances(store, limit=500)["items"]]
        assert sorted(listed) == sorted(stance_ids)  # each once
        store.close()
    assert "skipped" not in standalone_log(desk)
