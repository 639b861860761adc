"""The enrichment agent under Faust's in-memory test context: no broker, sends captured."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import orjson
import pytest

from streams.settings import Settings

ENGLISH = "Angela Merkel said on Monday that Germany would back the plan. Merkel spoke in Berlin."


def acked(exc: BaseException | None = None) -> asyncio.Future:
    """What awaiting Faust's send gives: a future the broker's acknowledgement (or refusal) settles."""
    future: asyncio.Future = asyncio.get_running_loop().create_future()
    if exc is None:
        future.set_result(None)
    else:
        future.set_exception(exc)
    return future


@pytest.fixture()
def faust_app(nlp, tmp_path):
    from streams.app import create_app

    settings = Settings(app_id="stancewire-agent-test", data_dir=tmp_path, batch_size=4, batch_within_s=0.05)
    app = create_app(settings)
    app.conf.store = "memory://"
    return app


def enrich_agent(faust_app, monkeypatch, send, changelog: dict | None = None):
    """Inside the running loop: the app finalized with its flow on, every topic send replaced by
    ``send`` and the dedup table's changelog writes kept in ``changelog``; the enrichment agent."""

    def capture_changelog(self, partition, key, value, *args, **kwargs):
        if changelog is not None:
            changelog[key] = value
        return SimpleNamespace(message=SimpleNamespace(partition=partition or 0))

    faust_app.loop = asyncio.get_running_loop()
    faust_app.finalize()
    faust_app.flow_control.resume()
    monkeypatch.setattr(type(faust_app.topic("x")), "send", send)
    monkeypatch.setattr(type(faust_app.tables["articles-seen"]), "send_changelog", capture_changelog)
    return faust_app.agents["enrich-articles"]


def test_agent_publishes_enriched_mentions_and_dead_letters(faust_app, monkeypatch, seed_article):
    sent: list[tuple[str, object, dict]] = []

    async def capture(self, *args, key=None, value=None, **kwargs):
        sent.append((self.get_topic_name(), key, orjson.loads(value.dumps())))
        return acked()

    changelog: dict[str, object] = {}

    async def scenario() -> None:
        agent = enrich_agent(faust_app, monkeypatch, capture, changelog)
        async with agent.test_context() as tested:
            await tested.put(orjson.dumps(seed_article.to_event()))
            await tested.put(b"{broken")
            await tested.put(orjson.dumps({"body": ENGLISH}))
            await tested.put(orjson.dumps(seed_article.to_event()))  # a replay of the same article
            for _ in range(100):
                if len([s for s in sent if s[0].endswith("enriched")]) >= 2 and any(
                    s[0].endswith("deadletter") for s in sent
                ):
                    break
                await asyncio.sleep(0.05)

    asyncio.run(scenario())
    topics = [topic for topic, _, _ in sent]
    assert topics.count("articles.enriched") == 2
    assert topics.count("articles.deadletter") == 1
    assert topics.count("entities.mentions") >= 5
    enriched_ids = [key for topic, key, _ in sent if topic == "articles.enriched"]
    assert seed_article.article_id in enriched_ids
    # keyed by the id's bytes, as on articles.raw (so the mark lands on the raw message's partition)
    assert set(changelog) == {key.encode() for key in enriched_ids}
    for article_id in enriched_ids:  # the dedup mark keeps the body's hash
        assert set(changelog[article_id.encode()]) == {"body_sha256", "enriched_at"}
    table = faust_app.tables["articles-seen"]
    assert table.key_serializer == "raw"
    dead = next(value for topic, _, value in sent if topic == "articles.deadletter")
    assert dead["reason"] == "invalid_json" and dead["payload"] == "{broken"


def test_refused_outputs_dead_letter_the_article_and_leave_it_unmarked(faust_app, monkeypatch, caplog):
    """Kafka refusing an output (here MessageSizeTooLargeError on the mentions) is retrieved, not left
    to "exception was never retrieved": the article is dead-lettered with the reason and its id is not
    marked, so a later replay enriches it again; the other article of the batch is unaffected."""
    from aiokafka.errors import MessageSizeTooLargeError

    sent: list[tuple[str, object, dict]] = []
    changelog: dict[str, object] = {}
    poisoned = "Vladimir Putin spoke in Moscow on Friday about the war. Putin said the talks had failed."

    async def capture(self, *args, key=None, value=None, **kwargs):
        data = orjson.loads(value.dumps())
        sent.append((self.get_topic_name(), key, data))
        refused = self.get_topic_name().endswith("mentions") and "Putin" in data.get("name", "")
        return acked(MessageSizeTooLargeError("the message is too large") if refused else None)

    async def scenario() -> None:
        agent = enrich_agent(faust_app, monkeypatch, capture, changelog)
        async with agent.test_context() as tested:
            await tested.put(orjson.dumps({"id": "fine", "body": ENGLISH}))
            await tested.put(orjson.dumps({"id": "poisoned", "body": poisoned}))
            for _ in range(200):
                if any(s[0].endswith("deadletter") for s in sent):
                    break
                await asyncio.sleep(0.05)

    asyncio.run(scenario())
    (dead,) = [value for topic, _, value in sent if topic == "articles.deadletter"]
    assert dead["reason"] == "publish_failed" and dead["article_id"] == "poisoned"
    assert "MessageSizeTooLargeError" in dead["error"] and "entities.mentions" in dead["error"]
    assert set(changelog) == {b"fine"}
    assert "never retrieved" not in caplog.text


def test_a_batch_is_acknowledged_only_once_its_outputs_are_on_the_broker(faust_app, monkeypatch):
    """The agent moves on to the next batch while this one's outputs go out (two batches in flight),
    and Faust acknowledges a batch as soon as its loop moves on: the agent's own reference keeps the
    offset from being committed until the broker has acknowledged every output of the article."""
    answers: list[asyncio.Future] = []

    async def held(self, *args, key=None, value=None, **kwargs):
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        answers.append(future)
        return future

    async def scenario() -> None:
        agent = enrich_agent(faust_app, monkeypatch, held)
        async with agent.test_context() as tested:
            to_message = tested.to_message

            def conducted(*args, **kwargs):
                # As Faust's Conductor does for a topic message (one reference per stream reading
                # it); the test context's channel hands messages over with none.
                message = to_message(*args, **kwargs)
                message.incref()
                return message

            monkeypatch.setattr(tested, "to_message", conducted)
            first = await tested.put(orjson.dumps({"id": "first", "body": ENGLISH}), wait=False)
            for _ in range(200):  # the article is parsed and its outputs handed to the producer
                if answers:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)  # the loop has long moved on from the batch
            assert answers and not first.message.acked
            second = await tested.put(orjson.dumps({"id": "second", "body": ENGLISH + " Again."}), wait=False)
            await asyncio.sleep(0.5)
            assert not first.message.acked and not second.message.acked
            while not first.message.acked:  # the broker answers: now the offsets may be committed
                for answer in answers:
                    if not answer.done():
                        answer.set_result(None)
                await asyncio.sleep(0.05)
            for _ in range(200):
                for answer in answers:
                    if not answer.done():
                        answer.set_result(None)
                if second.message.acked:
                    break
                await asyncio.sleep(0.05)
            assert second.message.acked

    asyncio.run(asyncio.wait_for(scenario(), 60))
