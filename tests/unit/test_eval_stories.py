"""The story-clustering evaluation: pairwise scoring, the title rule of the pool, the judgments file."""

from __future__ import annotations

from datetime import date

from streams.evaluation.stories import Meta, read_judgments, score, title_candidates


def test_pairwise_scores_count_unjudged_links_as_wrong() -> None:
    stories = {"a": "s1", "b": "s1", "c": "s1", "d": "s2", "e": "s3"}
    judgments = {("a", "b"): True, ("a", "c"): False, ("d", "e"): True}
    scores = score(stories, judgments)
    assert (scores.tp, scores.fp, scores.fn) == (1, 2, 1)  # a~b right; a~c judged wrong; b~c unjudged
    assert scores.unjudged == [("b", "c")] and scores.false_positives == [("a", "c")]
    assert scores.false_negatives == [("d", "e")]
    assert (scores.precision, scores.recall) == (1 / 3, 1 / 2)
    assert (scores.stories, scores.multi_article_stories) == (3, 1)


def test_title_rule_needs_two_content_words_within_a_day() -> None:
    articles = [
        Meta("x", "nyt", date(2016, 4, 6), "Sanders takes Wisconsin, Clinton still has the math"),
        Meta("y", "usa-today", date(2016, 4, 7), "Sanders' winning streak: takes Wisconsin"),
        Meta("z", "politico", date(2016, 4, 9), "Sanders takes Wisconsin again"),  # three days on
        Meta("w", "politico", date(2016, 4, 6), "Cruz courts delegates in Wisconsin"),  # one word
    ]
    assert title_candidates(articles) == {("x", "y")}


def test_the_shipped_judgments_are_well_formed() -> None:
    judgments = read_judgments()
    assert len(judgments) >= 60 and sum(judgments.values()) >= 30
    assert all(a < b for a, b in judgments)
