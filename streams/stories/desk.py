"""One article in, its story and its position flips out: story assignment and positions together, on
the compact article alerting already reads (``streams.alerts.articles.project_article``) plus its
sketch. Pure; the state is plain mappings (Faust tables in the worker).

The flips an article caused are recorded with its story membership, so a replay of the article is
answered with exactly what the first pass said and changes no state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from streams.alerts.articles import parse_time
from streams.stories.assign import Assignment, StoryConfig, StoryIndex, StoryState
from streams.stories.positions import PositionConfig, observe_position


@dataclass(slots=True)
class DeskOutcome:
    assignment: Assignment
    flips: list[dict[str, Any]] = field(default_factory=list)

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.assignment.events

    @property
    def story(self) -> dict[str, Any]:
        """What alerting needs to fold an article into its story's alert."""
        return {
            "story_id": self.assignment.story_id,
            "opened": self.assignment.opened,
            "joined_by": self.assignment.joined_by,
        }


class StoryDesk:
    def __init__(
        self,
        stories: StoryIndex,
        positions: MutableMapping[str, Any],
        position_config: PositionConfig,
    ) -> None:
        self.stories = stories
        self.positions = positions
        self.position_config = position_config

    @classmethod
    def in_memory(
        cls, story_config: StoryConfig | None = None, position_config: PositionConfig | None = None
    ) -> StoryDesk:
        return cls(
            StoryIndex(story_config or StoryConfig(), StoryState.in_memory()),
            {},
            position_config or PositionConfig(),
        )

    def on_article(self, article: Mapping[str, Any], sketch: Mapping[str, Any], now: datetime) -> DeskOutcome:
        assignment = self.stories.assign(article, sketch, now)
        members = self.stories.state.articles
        record = members[article["article_id"]]
        if assignment.replayed:
            return DeskOutcome(assignment, list(record.get("positions") or []))
        header = {
            "article_id": article["article_id"],
            "time": record["time"] or (article.get("time") if parse_time(article.get("time")) else None),
            "title": article.get("title"),
            "outlet": sketch.get("outlet"),
        }
        by_pair: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
        for stance in article.get("stances") or []:
            by_pair[(stance["holder"], stance["target"])].append(stance)
        flips = []
        for (holder, target), stances in sorted(by_pair.items()):
            key = f"{holder}|{target}"
            doc, flip = observe_position(
                self.positions.get(key),
                holder={"id": holder, "name": stances[0].get("holder_name")},
                target={"id": target, "name": stances[0].get("target_name")},
                stances=stances,
                article=header,
                config=self.position_config,
            )
            self.positions[key] = doc
            if flip is not None:
                flips.append(flip)
        members[article["article_id"]] = {**record, "positions": flips}
        return DeskOutcome(assignment, flips)
