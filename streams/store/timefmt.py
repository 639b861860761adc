"""One time format for the store: ISO-8601 UTC to the second, ``YYYY-MM-DDTHH:MM:SSZ``.

Every time column holds this fixed-width form, so comparing and ordering the strings is comparing and
ordering the times, in SQLite and PostgreSQL alike, with plain indexes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class InvalidQuery(ValueError):
    """A query parameter the store cannot use (a bad date, cursor, limit or polarity); the API answers
    400 with the message."""


def parse_time(value: str | None) -> datetime | None:
    """An ISO-8601 date or date-time as an aware UTC datetime; None for None or text that is not one.

    Dates are midnight UTC; date-times without an offset are read as UTC (sources that give no zone
    mostly mean UTC, and a guess that is hours off still lands on the right page of a newest-first list).
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def normalize(value: str | None) -> str | None:
    moment = parse_time(value)
    return None if moment is None else moment.strftime(FORMAT)


def event_time(published: str | None, fallback: str | None) -> str:
    """``at`` of an article: its publication time when it has a readable one, else when it was enriched
    (and, for an event with neither, the epoch, so that the row still sorts and is still stored)."""
    return normalize(published) or normalize(fallback) or "1970-01-01T00:00:00Z"


def day_of(at: str) -> str:
    return at[:10]


def bound(value: str | None, name: str) -> str | None:
    """A ``since`` / ``until`` query parameter in the stored form; InvalidQuery when it is not an ISO
    date or date-time."""
    if value is None or value == "":
        return None
    normalized = normalize(value)
    if normalized is None:
        raise InvalidQuery(f"{name} must be an ISO-8601 date or date-time, not {value!r}")
    return normalized
