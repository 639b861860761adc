"""Acceptance 1: `stancewire ingest feed` against a local web server serving real-world-shaped RSS and
Atom (HTML content, relative links, duplicates, malformed items), into the real worker."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from tests.conftest import REPO
from tests.fixtures.feeds.server import FeedSite, serve
from tests.integration.conftest import STANCEWIRE, Pipeline

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def running(pipeline: Pipeline) -> Pipeline:
    pipeline.extra_env.update(
        {
            "STANCEWIRE_STANCE_MODEL_ENABLED": "false",  # not what these tests are about; starts faster
            "STANCEWIRE_INGEST_STATE_DIR": str(pipeline.data_dir / "ingest-state"),
            "STANCEWIRE_INGEST_FETCH_TIMEOUT_S": "5",
        }
    )
    # The feed site is a local server: loopback has to be allowed explicitly (streams/netguard.py).
    pipeline.extra_env["STANCEWIRE_INGEST_FETCH_ALLOWLIST"] = "127.0.0.1"
    pipeline.start_worker()
    return pipeline


@pytest.fixture(scope="module")
def site() -> Iterator[FeedSite]:
    with serve(FeedSite()) as served:
        yield served


def reports(done: subprocess.CompletedProcess[bytes]) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_new_items_reach_enriched_and_bad_items_are_reported(
    running: Pipeline, site: FeedSite, registry
) -> None:
    rss, atom = site.url("/feeds/rss.xml"), site.url("/feeds/atom.xml")
    done = running.cli("ingest", "feed", "--once", rss, atom, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    by_feed = {r["feed"]: r for r in reports(done)}
    assert by_feed[rss]["sent"] == 3 and by_feed[atom]["sent"] == 3
    assert sorted(p["reason"] for p in by_feed[rss]["rejected"]) == [
        "no_link_or_content",
        "not_english",
        "unparseable_date",
    ]
    assert [p["reason"] for p in by_feed[atom]["rejected"]] == ["unparseable_date"]
    assert sorted(d["reason"] for d in by_feed[rss]["duplicates"]) == ["duplicate_content", "duplicate_url"]
    assert [d["reason"] for d in by_feed[atom]["duplicates"]] == ["duplicate_url"]  # the RSS item's page
    stderr = done.stderr.decode()
    assert "skipped live-placeholder-77: no_link_or_content" in stderr
    assert "unparseable_date" in stderr and "around lunchtime" in stderr

    raw = running.read_all("articles.raw", expect=6)
    assert len(raw) == 6
    for event in raw:
        registry.validate(event, "article.raw.v1")
        assert event["source"] in (f"feed:{rss}", f"feed:{atom}") and event["ingested_at"]

    enriched = running.read_all("articles.enriched", expect=6)
    assert len(enriched) == 6 == len({e["article_id"] for e in enriched})
    by_url = {e["url"].removeprefix(site.base): e for e in enriched}
    assert set(by_url) == {
        "/world/2025/03/04/minimum-tax-timetable.html",
        "/world/2025/03/04/eu-defence-summit.html",
        "/uk/2025/03/05/wind-licence-review.html",
        "/business/2025/03/05/central-bank-holds-rates.html",
        "/business/2025/03/05/insurers-wildfire-costs.html",
        "/business/2025/03/05/rotterdam-port-strike.html",
    }
    for event in enriched:
        registry.validate(event, "article.enriched.v1")
        assert "<" not in event["body"] and "&amp;" not in event["body"]
        assert event["ingested_at"] <= event["enriched_at"]  # latency is measurable downstream
    summit = by_url["/world/2025/03/04/eu-defence-summit.html"]  # relative link, page fetched
    assert summit["body"].startswith("European Union leaders gathered in Brussels")
    assert summit["source"] == f"feed:{rss}" and summit["authors"] == ["Tomasz Wilk"]
    assert "Donald Tusk" in {entity["name"] for entity in summit["entities"]}  # enriched, not just passed on
    bank = by_url["/business/2025/03/05/central-bank-holds-rates.html"]  # xml:base, escaped HTML
    assert bank["title"] == "Central bank holds rates & signals cuts later this year"
    assert bank["published"] == "2025-03-05T06:00:00Z" and bank["source"] == f"feed:{atom}"
    assert "Advertisement" not in bank["body"]
    assert "stancewire_ingest_to_enriched_seconds_count" in running.metrics()


def test_repolls_and_restarts_add_nothing_and_a_failing_feed_is_told(
    running: Pipeline, site: FeedSite
) -> None:
    rss, atom = site.url("/feeds/rss.xml"), site.url("/feeds/atom.xml")
    broken = site.url("/feeds/broken.xml")
    site.failures["/feeds/broken.xml"] = (503, {"Retry-After": "30"})
    again = running.cli("ingest", "feed", "--once", rss, atom, broken, timeout=120)
    assert again.returncode == 1  # one feed failed
    by_feed = {r["feed"]: r for r in reports(again)}
    assert by_feed[rss]["status"] == by_feed[atom]["status"] == "not_modified"  # ETag honoured
    assert by_feed[broken] | {"at": None} == {
        "feed": broken,
        "at": None,
        "status": "error",
        "error": "HTTP 503",
        "failures": 1,
        "sent": 0,
        "http": 503,
    }

    # A server that ignores conditional requests: the dedup store (a new process) still sends nothing.
    site.conditional = False
    pages_before = site.count("/world/2025/03/04/eu-defence-summit.html")
    third = running.cli("ingest", "feed", "--once", rss, atom, timeout=120)
    assert third.returncode == 0, third.stderr.decode()
    assert [r["sent"] for r in reports(third)] == [0, 0]
    assert [r["rejected_before"] for r in reports(third)] == [3, 1]  # reported once, not every poll
    assert site.count("/world/2025/03/04/eu-defence-summit.html") == pages_before  # no refetch

    # The publisher adds an item: only that one goes out.
    site.routes["/feeds/rss.xml"] = "rss-v2.xml"
    fourth = running.cli("ingest", "feed", "--once", rss, timeout=120)
    assert fourth.returncode == 0, fourth.stderr.decode()
    assert reports(fourth)[0]["sent"] == 1

    raw = running.read_all("articles.raw", expect=7)
    assert len(raw) == 7
    enriched = running.read_all("articles.enriched", expect=7)
    assert len(enriched) == 7 == len({e["article_id"] for e in enriched})
    assert any(e["title"].startswith("Election commission") for e in enriched)


def test_the_polling_loop_repolls_and_stops_cleanly_on_sigterm(running: Pipeline, site: FeedSite) -> None:
    site.conditional = True
    rss = site.url("/feeds/rss.xml")
    before = site.count("/feeds/rss.xml")
    poller = subprocess.Popen(
        [*STANCEWIRE, "ingest", "feed", "--interval", "0.3", rss],
        env=running.env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while site.count("/feeds/rss.xml") < before + 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        poller.send_signal(signal.SIGTERM)
        out, err = poller.communicate(timeout=30)
    finally:
        if poller.poll() is None:
            poller.kill()
    assert poller.returncode == 0, err.decode()
    lines = [orjson.loads(line) for line in out.splitlines()]
    assert len(lines) >= 3 and sum(line["sent"] for line in lines) == 0
    assert {line["status"] for line in lines[1:]} == {"not_modified"}
