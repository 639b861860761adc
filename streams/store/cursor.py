"""Opaque page cursors: the sort key of the last item of a page, so the next page starts after it.

Keyset pagination rather than offsets: a page costs the same however deep it is, and rows the consumer
adds meanwhile neither repeat nor skip items of a list being paged through.
"""

from __future__ import annotations

import base64
import binascii

import orjson

from streams.store.timefmt import InvalidQuery

MAX_LIMIT = 500
DEFAULT_LIMIT = 50


def encode(*key: str | int | None) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(key))).decode().rstrip("=")


def decode(cursor: str | None, size: int) -> list[str | int | None] | None:
    """The key a cursor holds (``size`` parts), None for no cursor; InvalidQuery for anything else."""
    if cursor is None or cursor == "":
        return None
    try:
        key = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise InvalidQuery("cursor is not one this API gave out") from None
    if not isinstance(key, list) or len(key) != size or not all(isinstance(k, str | int) for k in key):
        raise InvalidQuery("cursor is not one this API gave out")
    return key


def check_limit(limit: int, maximum: int = MAX_LIMIT) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= maximum:
        raise InvalidQuery(f"limit must be an integer from 1 to {maximum}, not {limit!r}")
    return limit
