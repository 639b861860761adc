"""Story assignment and positions over time: the pure core, on hand-written versions of one story."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from streams.alerts.articles import project_article
from streams.stories.assign import StoryConfig, StoryIndex, StoryState, band_keys
from streams.stories.desk import StoryDesk
from streams.stories.positions import PositionConfig, observe_position
from streams.stories.sketch import jaccard, main_entities, minhash, outlet_of, shingles, sketch_article
from tests.unit.story_support import EDITED, LATER, REWRITE, WIRE, story_article, three_versions, week_later

NOW = datetime(2025, 6, 20, tzinfo=UTC)


def header(article: dict[str, Any]) -> dict[str, Any]:
    return {k: article.get(k) for k in ("article_id", "title", "url", "published", "source")}


def test_shingle_similarity_tells_an_edited_copy_from_a_rewrite() -> None:
    wire, edited, rewrite, later = (minhash(t) for t in (WIRE, EDITED, REWRITE, LATER))
    exact = len(shingles(WIRE) & shingles(EDITED)) / len(shingles(WIRE) | shingles(EDITED))
    assert exact > 0.7
    assert jaccard(wire, edited) == pytest.approx(exact, abs=0.15)  # MinHash estimates the real thing
    assert jaccard(wire, rewrite) < 0.2 and jaccard(wire, later) < 0.2
    assert minhash(WIRE) == wire  # fixed seed: every worker computes the same signature
    assert len(wire) == 64 and all(0 <= v < 2**32 for v in wire)


def test_main_entities_and_outlet() -> None:
    article = three_versions()[0]
    names = [e["name"] for e in main_entities(article["entities"])]
    assert set(names) == {"Veldonia", "Ostmark Union", "Mira Okafor", "Tomas Lind"}
    assert outlet_of("https://www.daily.example/world/kessel", "test") == "daily.example"
    assert outlet_of(None, "replay") == "replay"


def test_band_keys_are_stable_and_cover_the_signature() -> None:
    signature = minhash(WIRE)
    keys = band_keys(signature, 32)
    assert len(keys) == 32 and len(set(keys)) == 32 and keys == band_keys(list(signature), 32)


def test_three_versions_make_one_story_and_a_week_later_a_new_one(registry) -> None:
    index = StoryIndex(StoryConfig(), StoryState.in_memory())
    results = []
    for article in [*three_versions(), week_later()]:
        registry.validate(article)
        results.append(index.assign(header(article), sketch_article(article), NOW))
    wire, edited, rewrite, later = results
    assert wire.opened and wire.joined_by == "first"
    assert (edited.story_id, edited.joined_by) == (wire.story_id, "near_duplicate")
    assert edited.similarity is not None and edited.similarity > 0.6
    assert (rewrite.story_id, rewrite.joined_by) == (wire.story_id, "entities")
    assert later.opened and later.story_id != wire.story_id  # the first story went quiet a week ago

    events = [e for r in results for e in r.events]
    for event in events:
        registry.validate(event)
    assert [e["type"] for e in events] == [
        "opened", "article_added", "updated", "article_added", "updated", "opened",
    ]  # fmt: skip
    summary = events[4]["story"]
    assert summary["articles"] == 3
    assert summary["article_ids"] == ["kessel-wire", "kessel-edited", "kessel-rewrite"]
    assert summary["outlets"] == {"wire.example": 1, "daily.example": 1, "herald.example": 1}
    assert summary["closes_after"] == "2025-06-13T00:00:00.000Z"
    assert events[1]["article"]["outlet"] == "daily.example" and events[1]["article"]["time"] == (
        "2025-06-10T00:00:00.000Z"
    )


def test_a_replay_changes_nothing_and_says_nothing() -> None:
    index = StoryIndex(StoryConfig(), StoryState.in_memory())
    first = [index.assign(header(a), sketch_article(a), NOW) for a in three_versions()]
    stories_before = dict(index.state.stories)
    again = [index.assign(header(a), sketch_article(a), NOW) for a in three_versions()]
    assert [a.story_id for a in again] == [a.story_id for a in first]
    assert all(a.replayed and not a.events for a in again)
    assert index.state.stories == stories_before


def test_the_quiet_time_is_a_setting() -> None:
    wire, edited, _ = three_versions()
    edited = {**edited, "published": "2025-06-12"}
    index = StoryIndex(StoryConfig(quiet_s=86_400), StoryState.in_memory())
    first = index.assign(header(wire), sketch_article(wire), NOW)
    second = index.assign(header(edited), sketch_article(edited), NOW)
    assert second.opened and second.story_id != first.story_id  # two days > one day of quiet


def test_shared_entities_alone_need_enough_of_them_and_the_time_window() -> None:
    wire, _, rewrite = three_versions()
    one = {
        **rewrite,
        "article_id": "one",
        "entities": [e for e in rewrite["entities"] if e["name"] == "Veldonia"],
    }
    two_days_on = {**rewrite, "article_id": "later", "published": "2025-06-12"}
    for other in (one, two_days_on):  # one shared entity is not a story; two days on is past the window
        index = StoryIndex(StoryConfig(), StoryState.in_memory())
        index.assign(header(wire), sketch_article(wire), NOW)
        assert index.assign(header(other), sketch_article(other), NOW).opened, other["article_id"]


def test_entities_common_on_the_wire_do_not_tie_stories_together() -> None:
    config = StoryConfig(common_min_articles=10, common_share=0.3)
    index = StoryIndex(config, StoryState.in_memory())
    # ten earlier articles, all about Veldonia and Mira Okafor (and nothing else)
    for day in range(1, 11):
        filler = story_article(
            f"filler-{day}",
            f"Mira Okafor of Veldonia spoke about item {day} of the budget, number {day * 7}.",
            published=f"2025-06-{day:02d}",
            title=f"Budget item {day}",
        )
        index.assign(header(filler), sketch_article(filler), NOW)
    wire, _, rewrite = three_versions()
    index.assign(header(wire), sketch_article(wire), NOW)
    assert {e["name"] for e in index.informative(sketch_article(rewrite)["entities"], NOW)} == {
        "Ostmark Union",
        "Tomas Lind",
    }
    assert not index.assign(header(rewrite), sketch_article(rewrite), NOW).opened  # two informative left
    # the same people on the same day in other words: without the common two, one entity is left
    few = story_article("few", LATER, published="2025-06-10", title="Okafor and Lind turn to fishing quotas")
    few["entities"] = [e for e in few["entities"] if e["name"] != "Tomas Lind"]
    assert index.assign(header(few), sketch_article(few), NOW).opened
    without = StoryIndex(StoryConfig(), StoryState.in_memory())  # nothing is common without history
    without.assign(header(wire), sketch_article(wire), NOW)
    assert not without.assign(header(few), sketch_article(few), NOW).opened


def test_a_restart_before_any_article_decides_as_if_there_had_been_none() -> None:
    """The bands, entity index and counts are derived: a worker that keeps only the record (articles,
    stories) and reindexes assigns every later article exactly as the uninterrupted index does."""
    config = StoryConfig(common_min_articles=10, common_share=0.3)
    fillers = [
        story_article(
            f"filler-{day}",
            f"Mira Okafor of Veldonia spoke about item {day} of the budget, number {day * 7}.",
            published=f"2025-06-{day:02d}",
            title=f"Budget item {day}",
        )
        for day in range(1, 11)
    ]
    few = story_article("few", LATER, published="2025-06-10", title="Okafor and Lind turn to fishing quotas")
    wire, edited, rewrite = three_versions()
    # in date order, as a live wire comes (out of order, pruning depends on the order of arrival,
    # which the record does not keep: docs/stories.md, "State")
    stream = [*fillers, wire, edited, rewrite, few, {**wire, "article_id": "wire-again"}, week_later()]
    kept = StoryIndex(config, StoryState.in_memory())
    for article in stream:
        restarted = StoryIndex(config, StoryState(dict(kept.state.articles), dict(kept.state.stories)))
        restarted.reindex()
        expected = kept.assign(header(article), sketch_article(article), NOW)
        got = restarted.assign(header(article), sketch_article(article), NOW)
        assert (got.story_id, got.joined_by, got.similarity, got.opened) == (
            expected.story_id,
            expected.joined_by,
            expected.similarity,
            expected.opened,
        ), article["article_id"]
        assert got.events == expected.events
    joined = {r for r in (kept.state.articles[a["article_id"]]["joined_by"] for a in stream)}
    assert joined == {"first", "near_duplicate", "entities"}  # every way of joining was exercised


def test_reindex_of_an_empty_record_is_empty() -> None:  # and leaves nothing of before
    index = StoryIndex(StoryConfig(), StoryState.in_memory())
    index.state.bands["stale"] = [["gone", "2025-06-01T00:00:00.000Z"]]
    index.reindex()
    assert (index.state.bands, index.state.entities, index.state.frequency) == ({}, {}, {})


# --- Positions over time -------------------------------------------------------------------------


def stance(polarity: str, text: str, confidence: float = 0.9) -> dict[str, Any]:
    return {
        "polarity": polarity,
        "confidence": confidence,
        "evidence": {"start": 0, "end": len(text), "text": text},
    }


SEQUENCE = [  # (day, polarity, sentence): Okafor on the Ostmark Union over a month
    (1, "support", "Okafor said the Ostmark Union was a partner Veldonia could trust."),
    (3, "support", "Okafor praised the Ostmark Union for reopening the crossing."),
    (5, "support", "Okafor backed the Ostmark Union's plan for a joint commission."),
    (8, "oppose", "Okafor said one remark by an Ostmark Union official had been unhelpful."),  # stray
    (10, "support", "Okafor again defended the Ostmark Union in parliament."),
    (20, "oppose", "Okafor accused the Ostmark Union of breaking the fee freeze."),
    (22, "oppose", "Okafor said Veldonia could no longer trust the Ostmark Union."),
    (25, "oppose", "Okafor demanded the Ostmark Union pay compensation."),
]


def run_sequence(steps: list[tuple[int, str, str]]) -> list[tuple[int, dict[str, Any] | None]]:
    record: dict[str, Any] | None = None
    flips = []
    for day, polarity, sentence in steps:
        record, flip = observe_position(
            record,
            holder={"id": "test:mira-okafor", "name": "Mira Okafor"},
            target={"id": "test:ostmark-union", "name": "Ostmark Union"},
            stances=[stance(polarity, sentence)],
            article={"article_id": f"a{day}", "time": f"2025-07-{day:02d}T00:00:00.000Z", "title": None},
            config=PositionConfig(),
        )
        flips.append((day, flip))
    return flips


def test_one_stray_sentence_does_not_flip_a_position_a_real_change_does_once() -> None:
    flips = [(day, flip) for day, flip in run_sequence(SEQUENCE) if flip is not None]
    assert [day for day, _ in flips] == [22]
    (_, flip) = flips[0]
    assert (flip["from"], flip["to"]) == ("support", "oppose")
    assert flip["holder"]["name"] == "Mira Okafor" and flip["target"]["name"] == "Ostmark Union"
    before = [e["text"] for e in flip["before"]]
    after = [e["text"] for e in flip["after"]]
    assert before == [SEQUENCE[i][2] for i in (1, 2, 4)]  # the newest support, stray left out
    assert after == [SEQUENCE[i][2] for i in (3, 5, 6)]
    assert flip["counts"] == {"support": 4, "oppose": 3, "neutral": 0}
    assert flip["since"] == "2025-07-03T00:00:00.000Z"


def test_the_stray_alone_never_flips_even_when_it_swings_the_score() -> None:
    assert all(flip is None for _, flip in run_sequence(SEQUENCE[:5]))


def test_a_late_article_takes_its_place_by_date() -> None:
    late_first = [step for step in SEQUENCE if step[0] != 3] + [SEQUENCE[1]]  # day 3 arrives last
    flips = run_sequence(late_first)
    assert [day for day, flip in flips if flip is not None] == [22]  # the late support flips nothing back
    assert [e["text"] for e in flips[-3][1]["before"]] == [SEQUENCE[i][2] for i in (0, 2, 4)]
    record: dict[str, Any] | None = None
    for day, polarity, sentence in late_first:
        record, _ = observe_position(
            record,
            holder={"id": "h", "name": "H"},
            target={"id": "t", "name": "T"},
            stances=[stance(polarity, sentence)],
            article={"article_id": f"a{day}", "time": f"2025-07-{day:02d}T00:00:00.000Z"},
            config=PositionConfig(),
        )
    assert record is not None
    assert [e["article_id"] for e in record["evidence"]["support"]] == ["a3", "a5", "a10"]  # by date
    assert record["last"]["article_id"] == "a25" and record["position"] == "oppose"


def test_a_position_is_observed_once_per_article() -> None:
    record: dict[str, Any] | None = None
    for _ in range(3):
        record, _flip = observe_position(
            record,
            holder={"id": "h", "name": "H"},
            target={"id": "t", "name": "T"},
            stances=[stance("oppose", "H opposes T.")],
            article={"article_id": "same", "time": "2025-07-01T00:00:00.000Z"},
            config=PositionConfig(),
        )
    assert record is not None and record["observations"] == 1 and record["counts"]["oppose"] == 1


def test_the_desk_records_flips_with_the_article_so_a_replay_repeats_them() -> None:
    desk = StoryDesk.in_memory()
    outcomes = []
    articles = []
    for day, polarity, sentence in SEQUENCE:
        article = story_article(
            f"pos-{day}",
            f"{sentence} Mira Okafor spoke to reporters in Veldonia on day {day}.",
            published=f"2025-07-{day:02d}",
            title=f"Okafor, day {day}",
            stances=[
                {
                    "holder": "Mira Okafor",
                    "target": "Ostmark Union",
                    "polarity": polarity,
                    "sentence": sentence,
                }
            ],
        )
        articles.append(article)
        outcomes.append(desk.on_article(project_article(article), sketch_article(article), NOW))
    assert [len(o.flips) for o in outcomes] == [0, 0, 0, 0, 0, 0, 1, 0]
    positions = dict(desk.positions)
    again = desk.on_article(project_article(articles[6]), sketch_article(articles[6]), NOW)
    assert again.assignment.replayed and again.flips == outcomes[6].flips
    assert desk.positions == positions
