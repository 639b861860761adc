"""How the CLI shows events to a person: tables for enriched articles, JSON for the rest."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table


def _shorten(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def enriched_summary(event: dict[str, Any]) -> Panel:
    entities = Table("entity", "type", "id", "mentions", title="entities", title_justify="left")
    for entity in sorted(event.get("entities", []), key=lambda e: -len(e["mentions"])):
        entities.add_row(entity["name"], entity["type"], entity["id"], str(len(entity["mentions"])))
    parts: list[Any] = [entities]
    if event.get("quotes"):
        quotes = Table("speaker", "cue", "kind", "quote", title="quotes", title_justify="left")
        for quote in event["quotes"]:
            quotes.add_row(
                quote.get("speaker_name") or "—",
                quote.get("cue") or "",
                quote["kind"],
                _shorten(quote["text"]),
            )
        parts.append(quotes)
    if event.get("stances"):
        stances = Table(
            "holder", "target", "polarity", "sentiment", "evidence", title="stances", title_justify="left"
        )
        for stance in event["stances"]:
            stances.add_row(
                stance.get("holder_name") or stance["holder"],
                stance["target_name"],
                stance["polarity"],
                f"{stance['sentiment']:+.2f}",
                _shorten(stance["evidence"]["text"], 60),
            )
        parts.append(stances)
    title = f"{event['article_id']} · {event.get('published') or 'undated'} · {', '.join(event.get('authors') or [])}"
    return Panel(Group(*parts), title=title, subtitle=_shorten(event["body"], 70))


def show(console: Console, topic: str, event: Any, *, summary: bool) -> None:
    if summary and isinstance(event, dict) and event.get("schema") == "article.enriched.v1":
        console.print(enriched_summary(event))
    else:
        console.print_json(data=event)
