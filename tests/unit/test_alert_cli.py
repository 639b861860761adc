"""How the CLI shows rules and alerts, and that the commands are mounted."""

from __future__ import annotations

from datetime import UTC, datetime

from typer.testing import CliRunner

from streams.alerts.articles import project_article
from streams.alerts.match import build_alert, match
from streams.alerts.subscriptions import Subscription
from streams.cli import app
from streams.cli.alerts import alert_line, describe_rule
from tests.unit.test_alert_support import enriched_article


def test_describe_rule_reads_like_the_rule() -> None:
    rule = {
        "kind": "all",
        "rules": [
            {"kind": "entity", "entity": "Ukraine"},
            {"kind": "not", "rule": {"kind": "stance", "holder": "Q7747", "polarity": "oppose"}},
        ],
    }
    assert describe_rule(rule) == "all(entity=Ukraine, not(stance holder=Q7747 polarity=oppose))"


def test_alert_line_names_subscription_article_match_and_evidence() -> None:
    subscription = Subscription.from_doc({"id": "desk", "rule": {"kind": "entity", "entity": "Ukraine"}})
    article = enriched_article("a1", mentions=["Ukraine"], title="Talks in London")
    alert = build_alert(
        subscription, project_article(article), match(subscription, article), datetime(2026, 1, 1, tzinfo=UTC)
    )
    line = alert_line(alert)
    assert line.startswith("2026-01-01T00:00:00.000Z [desk] Talks in London: entity:Ukraine")
    assert "“Ukraine was in the news on 2025-03-01.”" in line


def test_commands_are_mounted() -> None:
    runner = CliRunner()
    for args in (["subscribe", "--help"], ["subscriptions", "--help"], ["alerts", "tail", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output


def test_subscribe_without_a_condition_says_what_is_missing() -> None:
    result = CliRunner().invoke(app, ["subscribe", "x"])
    assert result.exit_code == 2
