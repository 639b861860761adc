"""/healthz says "degraded" while one of the worker's partitions has a message waiting and no commit
for STANCEWIRE_HEALTH_STALL_S, and "ok" again once it moves (real broker, real worker).

The stall is real, not simulated: a 300 KB article keeps the enrichment busy for far longer than the
3 s allowed here, so its partition's committed offset stands still with a message behind it.
"""

from __future__ import annotations

import time

import httpx
import orjson
import pytest

from tests.integration.conftest import Pipeline
from tests.integration.test_durability import english_prose

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def impatient(pipeline: Pipeline) -> Pipeline:
    pipeline.extra_env.update({"STANCEWIRE_HEALTH_STALL_S": "3", "STANCEWIRE_HEALTH_PROBE_INTERVAL_S": "0.5"})
    pipeline.start_worker()
    return pipeline


def test_a_partition_without_progress_makes_healthz_degraded_until_it_moves(impatient: Pipeline) -> None:
    body = english_prose(300_000, seed=5)
    producer = impatient.producer()
    producer.send(
        impatient.topic("articles.raw"),
        key=b"slow-300k",
        value=orjson.dumps({"id": "slow-300k", "body": body}),
    )
    producer.flush()
    producer.close()

    url = f"http://127.0.0.1:{impatient.web_port}/healthz"
    deadline = time.monotonic() + 120
    response = httpx.get(url, timeout=2)
    while response.status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.25)
        response = httpx.get(url, timeout=2)
    assert response.status_code == 503, response.text
    report = response.json()
    assert report["status"] == "degraded" and report["broker"]["reachable"]
    (stalled,) = report["stalled"]
    assert stalled["partition"].startswith(impatient.topic("articles.raw")) and stalled["lag"] == 1
    assert "stalled" in report["problems"][0]

    healthy = impatient.wait_for_health_ok(timeout=600)
    assert healthy["enriched"] == 1 and healthy["stalled"] == []
