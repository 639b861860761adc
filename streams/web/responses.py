"""The response helpers every view of ``streams.web`` shares: JSON bodies (orjson), refusals with the
headers their status calls for, and the SSE pump of the alert streams."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Protocol

import orjson
from aiohttp_sse import sse_response
from faust.web import View

from streams.alerts.feed import SlowClient

# A comment line every 15 s keeps proxies and browsers from closing an idle stream.
SSE_PING_S = 15.0
# Token-guarded data is never stored by a browser or a proxy.
NO_STORE = {"Cache-Control": "no-store"}


class Refusal(Protocol):
    """What the views turn into an error response: ``RequestRefused``, ``PushRefused``, ``ApiRefused``."""

    status: int

    def body(self) -> dict[str, Any]: ...


def json_response(view: View, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    return view.bytes(orjson.dumps(data), content_type="application/json", status=status, headers=headers)


def refusal_headers(status: int, realm: str = "stancewire", retry_after_s: int = 1) -> dict[str, str] | None:
    """401 says how to authenticate (RFC 6750); 503 says when to come back."""
    if status == 401:
        return {"WWW-Authenticate": f'Bearer realm="{realm}"'}
    if status == 503:
        return {"Retry-After": str(retry_after_s)}
    return None


def refuse(view: View, exc: Refusal, headers: dict[str, str] | None = None) -> Any:
    """The refusal as JSON; ``headers`` default to those of its status."""
    return json_response(
        view, exc.body(), exc.status, headers if headers is not None else refusal_headers(exc.status)
    )


def refuse_uncached(view: View, exc: Refusal) -> Any:
    """A refusal of the read API: the headers of its status, and not to be stored either."""
    return json_response(view, exc.body(), exc.status, {**NO_STORE, **(refusal_headers(exc.status) or {})})


async def stream_feed(request: Any, listener: Any, ready: dict[str, Any]) -> Any:
    """Answer ``request`` with an SSE stream: a ``ready`` event, then each event of ``listener`` as an
    ``alert`` event with its ``<partition>:<offset>`` id, until the client goes away, the listener
    falls behind (``SlowClient``: the connection ends and the client reconnects with Last-Event-ID)
    or the feed closes on shutdown."""
    async with sse_response(request, ping_interval=SSE_PING_S) as sse:
        await sse.send(orjson.dumps(ready).decode(), event="ready")

        async def pump() -> None:
            with contextlib.suppress(SlowClient, ConnectionResetError, TimeoutError, RuntimeError):
                async for event in listener:
                    await sse.send(event.data, id=event.id, event="alert")

        pumping = asyncio.ensure_future(pump())
        closed = asyncio.ensure_future(sse.wait())  # ends when the client goes away
        try:
            await asyncio.wait({pumping, closed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pumping, closed):
                task.cancel()
            for task in (pumping, closed):
                with contextlib.suppress(BaseException):
                    await task
    return sse
