"""Query parameters of the read API (``streams.web.api``), parsed and refused here. Pure: no aiohttp,
no store; every function takes strings and returns what the store's query functions take.

A parameter the API does not know, or one given twice, is refused (400) rather than ignored: a
misspelt ``?holdr=`` would otherwise answer the unfiltered list and look right.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

POLARITIES = ("support", "oppose", "neutral")
LIST_LIMIT = (50, 500)  # (default, maximum) of every paginated list, as the store's queries
MAP_LIMIT = (200, 500)  # the stance map's busiest edges
MAX_TEXT = 500  # ids, names and search text: longer is no entity, only a costly query
MAX_CURSOR = 1024

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PRINTABLE = re.compile(r"[\x21-\x7e]+")  # a cursor is the store's opaque token: printable ASCII


class ApiRefused(Exception):
    """A request the read API turns down: HTTP status, a stable code, a sentence a human can act on.

    The body carries the sentence as ``message`` (as the subscriptions API) and as ``detail`` (as the
    desk's contract reads it)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.detail, "detail": self.detail}


def bad(name: str, why: str) -> ApiRefused:
    return ApiRefused(400, f"bad_{name}", f"{name}: {why}")


def parse_limit(value: str | None, default: int = LIST_LIMIT[0], maximum: int = LIST_LIMIT[1]) -> int:
    if value is None or value == "":
        return default
    if not value.isascii() or not value.isdigit():
        raise bad("limit", f"a whole number from 1 to {maximum}, not {value[:40]!r}")
    limit = int(value)
    if not 1 <= limit <= maximum:
        raise bad("limit", f"from 1 to {maximum}, not {limit}")
    return limit


def parse_time(value: str | None, name: str = "since") -> str | None:
    """An ISO-8601 date (``2026-03-01``, midnight UTC) or date-time (``2026-03-01T12:00``, with
    ``Z`` or an offset; none means UTC) → ``YYYY-MM-DDTHH:MM:SSZ`` in UTC, the form the store keeps
    its times in, so that it compares them as they are."""
    if value is None or value == "":
        return None
    text = value.strip()
    try:
        if _DATE.fullmatch(text):
            moment = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        elif len(text) > 10 and text[10] in "Tt ":
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        else:
            raise ValueError(text)
    except (ValueError, OverflowError):
        raise bad(
            name, f"an ISO date (2026-03-01) or date-time (2026-03-01T12:00:00Z), not {value[:40]!r}"
        ) from None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_polarity(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if value not in POLARITIES:
        raise bad("polarity", f"one of {', '.join(POLARITIES)}, not {value[:40]!r}")
    return value


def parse_cursor(value: str | None) -> str | None:
    """Passed through to the store as it came (``next`` of the previous page); only its size and
    alphabet are checked here, the store judges the rest."""
    if value is None or value == "":
        return None
    if len(value) > MAX_CURSOR or not _PRINTABLE.fullmatch(value):
        raise bad("cursor", "not a cursor this API gave out (use the previous page's 'next')")
    return value


def text(name: str) -> Callable[[str | None], str | None]:
    """A free string (id, name, search text): empty is absent, too long is refused."""

    def parse(value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        if len(value) > MAX_TEXT:
            raise bad(name, f"at most {MAX_TEXT} characters")
        return value

    return parse


def path_id(name: str, value: str) -> str:
    """An id from the path, already percent-decoded once by aiohttp's router (``org%3Aacme`` arrives
    as ``org:acme``); decoding it again would misread an id that holds a ``%``."""
    if not value or len(value) > MAX_TEXT:
        raise bad(name, f"from 1 to {MAX_TEXT} characters")
    return value


@dataclass(frozen=True, slots=True)
class Param:
    """One query parameter: its name in the URL, the store function's keyword, and its parser."""

    name: str
    keyword: str
    parse: Callable[[str | None], Any]


def limit(default: int = LIST_LIMIT[0], maximum: int = LIST_LIMIT[1]) -> Param:
    return Param("limit", "limit", lambda value: parse_limit(value, default, maximum))


def since() -> Param:
    return Param("since", "since", lambda value: parse_time(value, "since"))


def until() -> Param:
    return Param("until", "until", lambda value: parse_time(value, "until"))


def cursor() -> Param:
    return Param("cursor", "cursor", parse_cursor)


def parse_query(query: Mapping[str, Sequence[str]], params: Sequence[Param]) -> dict[str, Any]:
    """``query`` (name → every value given) → the store function's keyword arguments."""
    known = {param.name: param for param in params}
    unknown = sorted(set(query) - set(known))
    if unknown:
        allowed = ", ".join(known) or "none"
        raise ApiRefused(
            400,
            "unknown_parameter",
            f"unknown parameter {unknown[0][:40]!r} (this endpoint takes: {allowed})",
        )
    kwargs: dict[str, Any] = {}
    for name, param in known.items():
        values = query.get(name) or []
        if len(values) > 1:
            raise ApiRefused(400, "repeated_parameter", f"{name} given {len(values)} times; give it once")
        kwargs[param.keyword] = param.parse(values[0] if values else None)
    start, end = kwargs.get("since"), kwargs.get("until")
    if start is not None and end is not None and start >= end:
        raise bad("until", f"after since ({start}); until is exclusive")
    return kwargs
