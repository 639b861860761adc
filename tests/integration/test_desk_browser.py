"""The desk in a real browser: Debian's chromium driven by Playwright, against a real worker (store,
API and page) on the real broker, with the seed article going through the real enrichment.

One page is kept open across the tests of this module, as an analyst would keep it: it loads, it
subscribes to the live feed, the seed is produced and its alert has to appear within 2 s of the produce
call; then the seed holder's entity page and a click through to the evidence in the article. Every
console error and uncaught page error of the whole session fails the test that saw it. Screenshots of
the desk, the entity page and the article page go to var/screenshots/.

Playwright's own browser downloads are never used (``make system-chromium`` installs Debian's).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from streams.ingest.files import InputProblem, read_inputs
from streams.ingest.raw import RawArticleDecoder
from streams.settings import Settings
from tests.conftest import REPO, SEEDS
from tests.integration.conftest import Pipeline

pytestmark = pytest.mark.integration

TOKEN = "desk-browser-token"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # tests run as root in containers, where the sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",  # no calls home: the machines have no network
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = REPO / "var" / "screenshots"
VIEWPORT = {"width": 1440, "height": 900}  # a laptop screen
SUBSCRIPTION = {
    "id": "desk-putin",
    "name": "Putin desk",
    "rule": {"kind": "entity", "entity": "Vladimir Putin"},
}
# Nothing the subscription matches: it only takes the first-article costs (a fresh ONNX session's
# first run, the first produce of each output topic) off the article that is timed.
WARM_UP = {
    "title": "Warm-up",
    "published": "2025-02-20",
    "body": "Angela Merkel said on Monday that Germany would fund three new research institutes in Berlin.",
}
LIVE_WITHIN_S = 2.0


def api(p: Pipeline, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(
        method,
        f"http://127.0.0.1:{p.web_port}{path}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
        **kwargs,
    )


def wait_until(what: str, check: Any, timeout: float = 60, every: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except httpx.HTTPError as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(every)
    raise TimeoutError(f"{what}: not within {timeout}s (last: {last!r})")


def the_seed() -> dict[str, Any]:
    """A seed that names Putin (the subscription's entity), as `stancewire replay` would send it: the
    same decoder, so the same article id."""
    decoder = RawArticleDecoder.from_settings(Settings())
    items = [i for i in read_inputs([SEEDS], decoder, source="replay") if not isinstance(i, InputProblem)]
    putin = [i for i in items if "Vladimir Putin" in i.body]
    assert putin, "no seed article names Vladimir Putin"
    event = putin[0].to_event()
    event["ingested_at"] = event["ingested_at"] or time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    return event


def produce_raw(p: Pipeline, event: dict[str, Any]) -> float:
    """Produce one raw article (acks=all) and return the wall-clock time just before the send."""
    producer = p.producer()
    try:
        producer.partitions_for(p.topic("articles.raw"))  # metadata first: not part of the timed produce
        started = time.time()
        producer.send(p.topic("articles.raw"), key=event["article_id"].encode(), value=orjson.dumps(event))
        producer.flush()
    finally:
        producer.close()
    return started


@pytest.fixture(scope="module")
def desk(pipeline: Pipeline) -> Pipeline:
    pipeline.extra_env.update({"STANCEWIRE_API_TOKEN": TOKEN})
    pipeline.start_worker()
    # the subscriptions API answers 503 until the worker has its tables; the store API until the store opened
    wait_until(
        "the APIs",
        lambda: all(
            api(pipeline, "GET", p).status_code == 200 for p in ("/subscriptions", "/api/alerts?limit=1")
        ),
    )
    return pipeline


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-chromium` (Debian's chromium package)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Problems(list[str]):
    """Console errors and uncaught exceptions of the page, as they happen."""

    def take(self) -> list[str]:
        taken = list(self)
        self.clear()
        return taken


@pytest.fixture(scope="module")
def problems() -> Problems:
    return Problems()


@pytest.fixture(scope="module")
def page(desk: Pipeline, browser: Browser, problems: Problems) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    page = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console error: {message.text} ({message.location})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="module")
def state() -> dict[str, Any]:
    return {}


def wait_for_view(page: Page, route: str) -> None:
    page.wait_for_selector(f"[data-testid=view][data-route={route}][data-ready=true]")


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_the_desk_loads_without_console_errors(desk: Pipeline, page: Page, problems: Problems) -> None:
    page.goto(f"http://127.0.0.1:{desk.web_port}/#token={TOKEN}")
    wait_for_view(page, "desk")
    # the token went to localStorage and out of the address bar
    assert "token" not in page.evaluate("location.hash")
    assert page.evaluate("localStorage.getItem('stancewire.token')") == TOKEN
    expect(page.get_by_test_id("alert-feed")).to_be_visible()
    expect(page.get_by_test_id("stance-map")).to_be_visible()
    expect(page.get_by_test_id("recent-stances")).to_be_visible()
    expect(page.get_by_test_id("feed-status")).to_have_attribute("data-state", "live")
    assert page.get_by_test_id("token-dialog").is_hidden()
    assert problems.take() == []


def test_an_alert_appears_live_within_2s_of_its_article_being_produced(
    desk: Pipeline, page: Page, problems: Problems, state: dict[str, Any]
) -> None:
    warm_up = {"schema": "article.raw.v1", "article_id": "desk-warm-up", "authors": [], "url": None,
               "source": "test", "ingested_at": None, **WARM_UP}  # fmt: skip
    warm_up["ingested_at"] = "2025-02-20T00:00:00.000Z"
    produce_raw(desk, warm_up)
    wait_until("the warm-up article enriched", lambda: desk.health()["enriched"] >= 1)

    created = api(desk, "POST", "/subscriptions", json=SUBSCRIPTION)
    assert created.status_code == 201, created.text
    # in the worker's table (not only on the topic), so that the timed article can match it
    wait_until(
        "the subscription",
        lambda: api(desk, "GET", f"/subscriptions/{SUBSCRIPTION['id']}").status_code == 200,
    )
    expect(page.get_by_test_id("feed-status")).to_have_attribute("data-state", "live")

    seed = the_seed()
    produced_at = produce_raw(desk, seed)
    alert = page.locator(
        f"[data-testid=alert-item][data-article-id='{seed['article_id']}']"
        f"[data-subscription-id='{SUBSCRIPTION['id']}'][data-live=true]"
    )
    alert.wait_for(timeout=20_000)  # long enough to say how late it was rather than just "timeout"
    received_ms = int(alert.get_attribute("data-received-at") or 0)  # the page's Date.now() on arrival
    latency = received_ms / 1000 - produced_at
    print(f"alert on the desk {latency:.3f}s after the produce call")
    assert 0 < latency < LIVE_WITHIN_S, f"the alert took {latency:.2f}s"
    expect(alert).to_be_visible()
    expect(alert.get_by_test_id("alert-article-link")).to_have_attribute(
        "href", f"#/article/{quote(seed['article_id'], safe='')}"
    )
    assert "Vladimir Putin" in (alert.text_content() or "")
    state["seed_id"] = seed["article_id"]
    assert problems.take() == []


def test_the_entity_page_of_a_seed_holder_shows_the_seeds_stances(
    desk: Pipeline, page: Page, problems: Problems, state: dict[str, Any]
) -> None:
    seed_id = state["seed_id"]
    (enriched,) = [
        e for e in desk.read_all("articles.enriched", expect=2, settle=1) if e["article_id"] == seed_id
    ]
    by_holder: dict[str, list[dict[str, Any]]] = {}
    for stance in enriched["stances"]:
        by_holder.setdefault(stance["holder"], []).append(stance)
    holder, stances = max(by_holder.items(), key=lambda kv: len(kv[1]))
    targets = {s["target"] for s in stances}  # the store keeps one stance per (article, holder, target)
    wait_until(
        "the seed's stances in the store",
        lambda: (
            len(
                api(
                    desk, "GET", "/api/stances", params={"holder": holder, "article": seed_id, "limit": 100}
                ).json()["items"]
            )
            >= len(targets)
        ),
    )

    page.evaluate("hash => { location.hash = hash }", f"#/entity/{quote(holder, safe='')}")
    wait_for_view(page, "entity")
    names = {e["id"]: e["name"] for e in enriched["entities"]}
    expect(page.get_by_test_id("entity-name")).to_have_text(names.get(holder) or stances[0]["holder_name"])
    rows = page.locator(
        f"[data-testid=entity-stances-held-list] [data-testid=stance-item][data-article-id='{seed_id}']"
    )
    expect(rows).to_have_count(len(targets))
    shown = {(row.get_attribute("data-target"), row.get_attribute("data-polarity")) for row in rows.all()}
    assert {t for t, _ in shown} == targets
    for target in targets:  # where the seed has one stance on a target, its polarity is the one shown
        of_target = {s["polarity"] for s in stances if s["target"] == target}
        if len(of_target) == 1:
            assert (target, of_target.pop()) in shown
    # who it supports / opposes, from the same stances
    supports = {s["target"] for s in stances if s["polarity"] == "support"}
    listed = {
        el.get_attribute("data-id")
        for el in page.locator("[data-testid=relation-supports] [data-testid=relation-item]").all()
    }
    assert supports <= listed
    expect(page.get_by_test_id("timeline-svg")).to_be_visible()
    shoot(page, "entity")
    state.update(holder=holder, stances=stances, enriched=enriched)
    assert problems.take() == []


def evidence_shown(page: Page) -> str:
    return str(
        page.eval_on_selector_all(
            "[data-testid=article-body] .seg.active", "els => els.map(e => e.textContent).join('')"
        )
    )


def test_a_click_on_a_stance_shows_its_evidence_in_the_article(
    desk: Pipeline, page: Page, problems: Problems, state: dict[str, Any]
) -> None:
    seed_id, enriched = state["seed_id"], state["enriched"]
    body = enriched["body"]
    rows = page.locator(
        f"[data-testid=entity-stances-held-list] [data-testid=stance-item][data-article-id='{seed_id}']"
    )
    first = rows.first
    stance_id = first.get_attribute("data-stance-id")
    target = first.get_attribute("data-target")
    # the stance as the store keeps it (one per article, holder and target), which must be one the
    # enrichment found, with offsets into the seed's body
    stored = api(
        desk, "GET", "/api/stances", params={"holder": state["holder"], "article": seed_id, "limit": 100}
    )
    (stance,) = [s for s in stored.json()["items"] if s["id"] == stance_id]
    ev = stance["evidence"]
    assert (ev["start"], ev["end"]) in {
        (s["evidence"]["start"], s["evidence"]["end"]) for s in state["stances"] if s["target"] == target
    }
    assert body[ev["start"] : ev["end"]] == ev["text"]
    first.get_by_test_id("stance-evidence-link").click()

    wait_for_view(page, "article")
    article_body = page.get_by_test_id("article-body")
    expect(article_body).to_have_attribute("data-active-stance", stance_id or "")
    assert evidence_shown(page) == body[ev["start"] : ev["end"]].strip()
    expect(article_body.locator(".seg.active").first).to_be_in_viewport()
    # the address is a deep link to this stance
    assert page.evaluate("location.hash").endswith(f"?stance={stance_id}")
    # entity mentions and quotes are marked too
    expect(article_body.locator(f".seg.m[data-entity='{state['holder']}']").first).to_be_attached()
    if enriched["quotes"]:
        assert article_body.locator(".seg.q").count() > 0
    page.wait_for_timeout(1800)  # let the flash settle, for a screenshot a person can read
    shoot(page, "article")

    # a click in the side list moves the highlight to another stance's evidence (one elsewhere in the body)
    others = page.locator("[data-testid=article-stances] [data-testid=stance-item]")
    other = next(
        el
        for el in others.all()
        if (el.locator("blockquote").text_content() or "").strip() not in ("", ev["text"].strip())
    )
    other_id = other.get_attribute("data-stance-id")
    other.locator("blockquote").click()
    expect(article_body).to_have_attribute("data-active-stance", other_id or "")
    expect(other).to_have_class(re.compile(r"\bselected\b"))
    assert evidence_shown(page) == (other.locator("blockquote").text_content() or "").strip()
    assert problems.take() == []


def test_the_desk_shows_the_seed_on_the_stance_map(
    desk: Pipeline, page: Page, problems: Problems, state: dict[str, Any]
) -> None:
    page.evaluate("() => { location.hash = '#/?window=all' }")
    wait_for_view(page, "desk")
    holder = state["holder"]
    edges = page.locator(f"[data-testid=map-edge][data-holder='{holder}']")
    expect(edges.first).to_be_attached()
    assert {e.get_attribute("data-target") for e in edges.all()} >= {s["target"] for s in state["stances"]}
    # the live alert is still in the feed: the page never reloaded
    expect(page.locator(f"[data-testid=alert-item][data-article-id='{state['seed_id']}']")).to_have_count(1)
    edges.first.dispatch_event("click")  # lines cross: a click at the centre may land on another
    expect(page.locator("[data-testid=edge-stances] [data-testid=stance-item]").first).to_be_visible()
    shoot(page, "desk")
    assert problems.take() == []


def test_a_wrong_token_asks_for_the_token_again(desk: Pipeline, browser: Browser) -> None:
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"http://127.0.0.1:{desk.web_port}/#token=guess")
        expect(page.get_by_test_id("token-dialog")).to_be_visible()
        expect(page.get_by_test_id("token-error")).to_contain_text("refused")
        page.get_by_test_id("token-input").fill(TOKEN)
        page.get_by_test_id("token-submit").click()
        expect(page.get_by_test_id("feed-status")).to_have_attribute("data-state", "live")
        wait_for_view(page, "desk")
        assert errors == []  # the refused requests are console noise of the browser, never exceptions
    finally:
        context.close()
