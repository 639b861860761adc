"""Thin HTTP views of alerting on the worker's Faust (aiohttp) web server: /subscriptions and
/alerts/stream (one subscription's alerts; /api/alerts/live in ``streams.web.desk`` has them all).

Every judgment (token, body, schema, rule, webhook target) is ``subscriptions.SubscriptionRequests``
and ``check_token``; the views read the request, call them, and write to the subscriptions topic.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import faust
from faust.web import View

from streams.alerts.feed import AlertFeed
from streams.alerts.subscriptions import RequestRefused, SubscriptionRequests, check_token, public_view
from streams.web.responses import json_response, refuse, stream_feed


def register_subscriptions(
    app: faust.App,
    *,
    token: str | None,
    requests: SubscriptionRequests,
    table: Any,
    write: Callable[[str, dict[str, Any] | None], Awaitable[None]],
    feed: AlertFeed,
    ready: Callable[[], bool] = lambda: True,
) -> None:
    """``table`` maps subscription id → document; ``write(id, doc | None)`` stores or deletes one;
    ``ready()`` says whether the worker has restored its tables (until then the API answers 503)."""

    def get(subscription_id: str) -> Mapping[str, Any] | None:
        doc = table.get(subscription_id)
        return doc if isinstance(doc, Mapping) else None

    def authorize(request: Any) -> None:
        check_token(request.headers.get("Authorization"), token)
        if not ready():
            raise RequestRefused(
                503, "starting", "the worker is still restoring its tables; retry in a moment"
            )

    @app.page("/subscriptions")
    class SubscriptionsView(View):
        async def get(self, request: Any) -> Any:
            try:
                authorize(request)
            except RequestRefused as exc:
                return refuse(self, exc)
            docs = sorted(
                (public_view(doc) for doc in list(table.values()) if isinstance(doc, Mapping)),
                key=lambda doc: str(doc.get("id")),
            )
            return json_response(self, {"count": len(docs), "subscriptions": docs})

        async def post(self, request: Any) -> Any:
            try:
                authorize(request)
                body = await request.read()
                prepared = requests.prepare_write(body, existing=get, now=datetime.now(UTC))
            except RequestRefused as exc:
                return refuse(self, exc)
            doc = prepared.doc
            await write(doc["id"], doc)
            # A secret the server generated is shown this once; a secret the client sent is not echoed.
            return json_response(
                self,
                prepared.shown,
                201 if prepared.created else 200,
                {"Location": f"/subscriptions/{doc['id']}"},
            )

    @app.page("/subscriptions/{subscription_id}")
    class SubscriptionView(View):
        async def get(self, request: Any, subscription_id: str) -> Any:
            try:
                authorize(request)
                doc = get(subscription_id)
                if doc is None:
                    raise RequestRefused(404, "not_found", f"no subscription {subscription_id!r}")
            except RequestRefused as exc:
                return refuse(self, exc)
            return json_response(self, public_view(doc))

        async def delete(self, request: Any, subscription_id: str) -> Any:
            try:
                authorize(request)
                if get(subscription_id) is None:
                    raise RequestRefused(404, "not_found", f"no subscription {subscription_id!r}")
            except RequestRefused as exc:
                return refuse(self, exc)
            await write(subscription_id, None)
            return json_response(self, {"deleted": subscription_id})

    @app.page("/alerts/stream")
    class AlertStreamView(View):
        async def get(self, request: Any) -> Any:
            try:
                authorize(request)
                subscription_id = request.query.get("subscription")
                if not subscription_id:
                    raise RequestRefused(400, "missing_subscription", "add ?subscription=<id>")
                if get(subscription_id) is None:
                    raise RequestRefused(404, "not_found", f"no subscription {subscription_id!r}")
            except RequestRefused as exc:
                return refuse(self, exc)
            async with feed.listen(subscription_id, request.headers.get("Last-Event-ID")) as listener:
                return await stream_feed(request, listener, {"subscription": subscription_id})
