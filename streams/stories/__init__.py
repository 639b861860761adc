"""Stories across wires, and positions over time (docs/stories.md). Pure core; ``agents`` is not
here: the worker wires the desk into the alert matcher (``streams.alerts.agents``)."""

from streams.stories.assign import Assignment, StoryConfig, StoryIndex, StoryState
from streams.stories.desk import DeskOutcome, StoryDesk
from streams.stories.positions import PositionConfig, observe_position
from streams.stories.sketch import sketch_article

__all__ = [
    "Assignment",
    "DeskOutcome",
    "PositionConfig",
    "StoryConfig",
    "StoryDesk",
    "StoryIndex",
    "StoryState",
    "observe_position",
    "sketch_article",
]
