"""The alerting agents under Faust's in-memory test context: no broker, sends and changelogs captured,
a real local HTTP receiver for the webhook."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from aiohttp import web

from streams.alerts.signing import verify
from streams.settings import Settings
from tests.unit.test_alert_support import enriched_article, stance

SECRET = "agent-test-secret-0123456789"


@pytest.fixture()
def faust_app(tmp_path):
    from streams.app import create_app

    settings = Settings(
        app_id="stancewire-alert-agent-test",
        data_dir=tmp_path,
        api_token="t0ken",
        alert_webhook_allowlist="127.0.0.1/32",
        alert_webhook_attempts=2,
        alert_webhook_backoff_s=0.01,
    )
    app = create_app(settings)
    app.conf.store = "memory://"
    return app


@pytest.fixture()
def captured(faust_app, monkeypatch):
    sent: list[tuple[str, Any, Any]] = []
    changelog: list[tuple[str, Any, Any]] = []

    async def capture(self, *args, key=None, value=None, **kwargs):
        sent.append((self.get_topic_name(), key, value))
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    def capture_changelog(self, partition, key, value, *args, **kwargs):
        changelog.append((self.name, key, value))
        return SimpleNamespace(message=SimpleNamespace(partition=partition or 0))

    monkeypatch.setattr(type(faust_app.topic("x")), "send", capture)
    table_types = {type(t) for t in faust_app.tables.values()}
    for table_type in table_types:
        monkeypatch.setattr(table_type, "send_changelog", capture_changelog)
    return SimpleNamespace(sent=sent, changelog=changelog)


def start(app: Any) -> None:
    app.loop = asyncio.get_running_loop()
    app.finalize()
    app.flow_control.resume()


async def wait_for(predicate, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


def subscribe(app: Any, doc: dict[str, Any]) -> None:
    app.tables["alert-subscriptions"].data[doc["id"]] = {"schema": "subscription.v1", **doc}


def test_route_projects_enriched_articles_onto_the_alerting_topic(faust_app, captured) -> None:
    async def scenario() -> None:
        start(faust_app)
        async with faust_app.agents["alert-route"].test_context() as tested:
            await tested.put(enriched_article("a1", mentions=["Ukraine"]), key="a1")
            await tested.put({"no": "article id"}, key="x")
            await wait_for(lambda: captured.sent)

    asyncio.run(scenario())
    ((topic, key, value),) = captured.sent
    assert topic == "alerts.input" and key == "a1"
    assert (
        value["type"] == "article"
        and value["article"]["article_id"] == "a1"
        and "body" not in value["article"]
    )


def test_a_copy_kafka_refuses_is_dead_lettered_with_the_reason(
    faust_app, captured, monkeypatch, registry, caplog
) -> None:
    """The refusal the 990 KB article met on alerts.input is awaited, not left unretrieved: the copy
    goes to alerts.deadletter with the reason, and the next article is routed as usual."""
    from aiokafka.errors import MessageSizeTooLargeError

    sent: list[tuple[str, Any, Any]] = []

    async def refuse_big(self, *args, key=None, value=None, **kwargs):
        sent.append((self.get_topic_name(), key, value))
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        if self.get_topic_name() == "alerts.input" and key == "huge":
            future.set_exception(MessageSizeTooLargeError("The message is 1048712 bytes"))
        else:
            future.set_result(None)
        return future

    monkeypatch.setattr(type(faust_app.topic("x")), "send", refuse_big)

    async def scenario() -> None:
        start(faust_app)
        async with faust_app.agents["alert-route"].test_context() as tested:
            await tested.put(enriched_article("huge", mentions=["Ukraine"]), key="huge")
            await tested.put(enriched_article("a2", mentions=["Ukraine"]), key="a2")
            await wait_for(lambda: any(topic == "alerts.deadletter" for topic, _, _ in sent))

    asyncio.run(scenario())
    assert [(topic, key) for topic, key, _ in sent] == [
        ("alerts.input", "huge"),
        ("alerts.input", "a2"),
        ("alerts.deadletter", "huge"),
    ]
    letter = sent[-1][2]
    registry.validate(letter)
    assert letter["reason"] == "alert_routing_failed" and letter["article_id"] == "huge"
    assert "MessageSizeTooLargeError" in letter["error"]
    assert orjson.loads(letter["payload"])["article"]["article_id"] == "huge"
    assert "never retrieved" not in caplog.text


def test_match_publishes_one_alert_per_subscription_and_article_and_writes_state(
    faust_app, captured, registry
) -> None:
    from streams.alerts.articles import project_article

    subscribe(faust_app, {"id": "putin", "rule": {"kind": "stance", "holder": "Vladimir Putin"}})
    subscribe(faust_app, {"id": "ukraine", "rule": {"kind": "entity", "entity": "Ukraine"}})
    article = enriched_article(
        "a1",
        stances=[
            stance("Vladimir Putin", "Ukraine", "oppose", -0.8),
            stance("Vladimir Putin", "NATO", "oppose", -0.4),
        ],
    )
    message = {"type": "article", "at": "2026-01-01T00:00:00.000Z", "article": project_article(article)}

    async def scenario() -> None:
        start(faust_app)
        async with faust_app.agents["alert-match"].test_context() as tested:
            await tested.put(message, key="a1")
            await tested.put(message, key="a1")  # a replay
            await asyncio.sleep(0.2)

    asyncio.run(scenario())
    alerts = [(key, value) for topic, key, value in captured.sent if topic == "alerts"]
    assert sorted(key for key, _ in alerts) == ["putin", "ukraine"]  # once each, the replay added none
    for _, alert in alerts:
        registry.validate(alert)
    putin = next(alert for key, alert in alerts if key == "putin")
    assert len(putin["matches"]) == 2 and putin["article_id"] == "a1"
    written = {name for name, _, _ in captured.changelog}
    assert {"alert-articles", "alert-shift", "alert-spike", "alert-fingerprints"} <= written


def test_deliver_posts_signed_webhooks_and_dead_letters_what_never_gets_through(
    faust_app, captured, registry
) -> None:
    received: list[tuple[str, bytes, dict[str, str]]] = []

    async def scenario() -> None:
        async def hook(request: web.Request) -> web.Response:
            body = await request.read()
            received.append((request.path, body, dict(request.headers)))
            return web.Response(status=200 if request.path == "/ok" else 500)

        server = web.Application()
        server.router.add_post("/{name}", hook)
        runner = web.AppRunner(server)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        for name in ("ok", "down"):
            subscribe(
                faust_app,
                {
                    "id": name,
                    "rule": {"kind": "entity", "entity": "X"},
                    "webhook": {"url": f"http://127.0.0.1:{port}/{name}", "secret": SECRET},
                },
            )
        start(faust_app)
        try:
            async with faust_app.agents["alert-deliver"].test_context() as tested:
                for name in ("ok", "down", "nobody"):
                    await tested.put(
                        {"schema": "alert.v1", "subscription_id": name, "fingerprint": name}, key=name
                    )
                await wait_for(lambda: any(topic == "alerts.deadletter" for topic, _, _ in captured.sent))
        finally:
            await runner.cleanup()

    asyncio.run(scenario())
    paths = [path for path, _, _ in received]
    assert paths.count("/ok") == 1 and paths.count("/down") == 2  # two attempts, then dead-lettered
    for _, body, headers in received:
        assert verify(SECRET, body, headers) == headers["webhook-id"]
    ((_, key, dead),) = [(t, k, v) for t, k, v in captured.sent if t == "alerts.deadletter"]
    assert key == "down"
    registry.validate(dead)
    assert dead["reason"] == "webhook_failed" and dead["attempts"] == 2 and dead["last_status"] == 500
    assert orjson.loads(dead["payload"])["fingerprint"] == "down"
