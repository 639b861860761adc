"""The enrichment agent under Faust's in-memory test context: no broker, sends captured."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import orjson
import pytest

from streams.settings import Settings

ENGLISH = "Angela Merkel said on Monday that Germany would back the plan. Merkel spoke in Berlin."


@pytest.fixture()
def faust_app(nlp, tmp_path):
    from streams.app import create_app

    settings = Settings(app_id="stancewire-agent-test", data_dir=tmp_path, batch_size=4, batch_within_s=0.05)
    app = create_app(settings)
    app.conf.store = "memory://"
    return app


def test_agent_publishes_enriched_mentions_and_dead_letters(faust_app, monkeypatch, seed_article):
    sent: list[tuple[str, object, dict]] = []

    async def capture(self, *args, key=None, value=None, **kwargs):
        sent.append((self.get_topic_name(), key, orjson.loads(value.dumps())))

    changelog: dict[str, object] = {}

    def capture_changelog(self, partition, key, value, *args, **kwargs):
        changelog[key] = value
        return SimpleNamespace(message=SimpleNamespace(partition=partition or 0))

    async def scenario() -> None:
        faust_app.loop = asyncio.get_running_loop()
        faust_app.finalize()
        faust_app.flow_control.resume()
        monkeypatch.setattr(type(faust_app.topic("x")), "send", capture)
        table = faust_app.tables["articles-seen"]
        monkeypatch.setattr(type(table), "send_changelog", capture_changelog)
        agent = faust_app.agents["enrich-articles"]
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
    assert set(changelog) == set(enriched_ids)
    dead = next(value for topic, _, value in sent if topic == "articles.deadletter")
    assert dead["reason"] == "invalid_json" and dead["payload"] == "{broken"
