"""The feed poller's wiring (conditional GET, dedup store, send-then-remember) over httpx's mock
transport serving the fixture site, with a fake producer: no network, no Kafka."""

from __future__ import annotations

import httpx
import pytest

from streams.cli.ingest import FeedPoller, http_client
from streams.ingest import RawArticleDecoder
from streams.ingest.state import IngestState
from streams.models import RawArticle
from streams.settings import Settings
from tests.fixtures.feeds.server import FeedSite

BASE = "http://feeds.test"
RSS = f"{BASE}/feeds/rss.xml"
ATOM = f"{BASE}/feeds/atom.xml"


class FakeSink:
    def __init__(self) -> None:
        self.sent: list[RawArticle] = []
        self.failures = 0
        self.fail = False

    def send(self, article: RawArticle) -> None:
        if self.fail:
            self.failures += 1
        else:
            self.sent.append(article)

    def flush_failures(self) -> int:
        return self.failures


@pytest.fixture
def site() -> FeedSite:
    return FeedSite(base=BASE)


@pytest.fixture
def poller(site, tmp_path, registry):
    def handler(request: httpx.Request) -> httpx.Response:
        status, headers, body = site.respond(request.url.raw_path.decode(), dict(request.headers))
        return httpx.Response(status, headers=headers, content=body)

    settings = Settings(ingest_user_agent="stancewire-test/1")
    client = http_client(settings, transport=httpx.MockTransport(handler))
    state = IngestState(tmp_path / "state")
    sink = FakeSink()
    yield FeedPoller(settings, state, sink, client, RawArticleDecoder(registry)), sink, state
    client.close()
    state.close()


def test_first_poll_sends_new_items_and_reports_the_rest(poller, site):
    feeds, sink, _ = poller
    report = feeds.poll(RSS).report
    assert report["status"] == "ok" and report["http"] == 200 and report["format"] == "rss20"
    assert report["items"] == 8 and report["sent"] == 3 == len(sink.sent)
    assert sorted(d["reason"] for d in report["duplicates"]) == ["duplicate_content", "duplicate_url"]
    assert sorted(p["reason"] for p in report["rejected"]) == [
        "no_link_or_content",
        "not_english",
        "unparseable_date",
    ]
    assert report["article_ids"] == [a.article_id for a in sink.sent]
    assert all(a.source == f"feed:{RSS}" and a.ingested_at for a in sink.sent)
    assert {hit.user_agent for hit in site.hits} == {"stancewire-test/1"}


def test_repoll_is_conditional_and_sends_nothing(poller, site):
    feeds, sink, _state = poller
    feeds.poll(RSS)
    outcome = feeds.poll(RSS)
    assert outcome.report["status"] == "not_modified" and outcome.failures == 0
    assert site.hits[-1].if_none_match and site.hits[-1].status == 304
    assert len(sink.sent) == 3
    # Without conditional GETs (a server that ignores them) the dedup store still sends nothing.
    site.conditional = False
    report = feeds.poll(RSS).report
    assert report["sent"] == 0 and report["rejected"] == [] and report["rejected_before"] == 3
    assert len(report["duplicates"]) == 5
    pages = [hit.path for hit in site.hits if not hit.path.startswith("/feeds/")]
    assert pages == ["/world/2025/03/04/eu-defence-summit.html"]  # fetched once, ever


def test_an_updated_feed_sends_only_its_new_item(poller, site):
    feeds, sink, _ = poller
    feeds.poll(RSS)
    site.routes["/feeds/rss.xml"] = "rss-v2.xml"
    report = feeds.poll(RSS).report
    assert report["sent"] == 1 and sink.sent[-1].title.startswith("Election commission")
    assert sink.sent[-1].url == f"{BASE}/uk/2025/03/05/turnout-figures.html"


def test_a_restarted_poller_remembers(poller, site, tmp_path, registry):
    feeds, sink, _state = poller
    feeds.poll(RSS)
    site.conditional = False
    fresh = FeedPoller(
        Settings(), IngestState(tmp_path / "state"), sink, feeds.client, RawArticleDecoder(registry)
    )
    assert fresh.poll(RSS).report["sent"] == 0 and fresh.poll(ATOM).report["sent"] == 3
    fresh.state.close()


def test_errors_count_up_and_carry_retry_after(poller, site):
    feeds, _sink, state = poller
    site.failures["/feeds/rss.xml"] = (503, {"Retry-After": "120"})
    first = feeds.poll(RSS)
    second = feeds.poll(RSS)
    assert first.report["status"] == "error" and first.report["error"] == "HTTP 503"
    assert (first.failures, second.failures) == (1, 2) and second.retry_after == 120
    del site.failures["/feeds/rss.xml"]
    assert feeds.poll(RSS).failures == 0 and state.feed(RSS).failures == 0


def test_not_a_feed_and_unreachable_are_errors(poller, site, tmp_path, registry):
    feeds, _, _ = poller
    outcome = feeds.poll(f"{BASE}/world/2025/03/04/eu-defence-summit.html")
    assert outcome.report["status"] == "error" and outcome.report["error"].startswith("not_a_feed")

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with (
        httpx.Client(transport=httpx.MockTransport(refuse)) as client,
        IngestState(tmp_path / "other") as state,
    ):
        down = FeedPoller(Settings(), state, FakeSink(), client, RawArticleDecoder(registry)).poll(RSS)
    assert down.report["status"] == "error" and "ConnectError" in down.report["error"]


def test_kafka_failure_remembers_nothing_and_keeps_the_validators(poller, site):
    feeds, sink, state = poller
    sink.fail = True
    outcome = feeds.poll(RSS)
    assert outcome.report["status"] == "error" and "did not acknowledge 3 of 3" in outcome.report["error"]
    assert state.counts()["articles"] == 0 and state.feed(RSS).etag is None
    sink.fail = False
    assert feeds.poll(RSS).report["sent"] == 3  # not a 304: everything comes round again


def test_a_page_to_retry_keeps_the_old_validators(poller, site):
    feeds, _sink, state = poller
    site.failures["/world/2025/03/04/eu-defence-summit.html"] = (502, {})
    report = feeds.poll(RSS).report
    assert report["sent"] == 2 and [p["reason"] for p in report["retry"]] == ["page_unavailable"]
    assert state.feed(RSS).etag is None
    del site.failures["/world/2025/03/04/eu-defence-summit.html"]
    report = feeds.poll(RSS).report
    assert report["status"] == "ok" and report["sent"] == 1
    assert state.feed(RSS).etag is not None
