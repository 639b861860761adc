"""The worker's HTTP surface on Faust's (aiohttp) web server, all of it, as thin views over the core.

=====================  ==========================================  ==============================
module                 routes                                      guarded by
=====================  ==========================================  ==============================
``health``             GET /healthz, GET /metrics                  nothing (no data in them)
``ingest``             POST /articles                              ``ingest_token``
``subscriptions``      /subscriptions[/{id}], GET /alerts/stream   ``api_token``
``api``                GET /api/... (the store's read API)         ``api_token``
``desk``               GET /, GET /static/{path}, /api/alerts/live the page: nothing; live: token
=====================  ==========================================  ==============================

``responses`` holds what the views share (JSON, refusals, the SSE pump). Judgments live in the core
(``streams.ingest.push``, ``streams.alerts.subscriptions``, ``streams.web.params``, the store's
queries); the views read the request, call them and write the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import faust

    from streams.alerts.agents import Alerting
    from streams.health import Health
    from streams.settings import Settings

__all__ = ["Web", "register_web"]


@dataclass(frozen=True, slots=True)
class Web:
    """What ``register_web`` declared, for tests and tools."""

    health: Health


def register_web(app: faust.App, topics: Any, settings: Settings, *, alerting: Alerting) -> Web:
    """Declare every view of the worker on ``app``. ``alerting`` is what ``register_alerting``
    returned (the subscriptions table, its write, the alert feed). The read API finds the store at
    request time as ``app.stancewire_store`` (set by ``streams.store.register_store``), so the order
    in which the two are registered does not matter and a worker without a store answers 503."""
    from streams.web.api import register_api
    from streams.web.desk import register_desk
    from streams.web.health import register_health
    from streams.web.ingest import register_ingest
    from streams.web.subscriptions import register_subscriptions

    token = settings.api_token.get_secret_value() if settings.api_token else None
    health = register_health(app, settings)
    register_ingest(app, topics, settings)
    register_subscriptions(
        app,
        token=token,
        requests=alerting.requests,
        table=alerting.subscriptions,
        write=alerting.write,
        feed=alerting.feed,
        ready=alerting.ready,
    )
    register_api(app, token=token, store=lambda: getattr(app, "stancewire_store", None))
    register_desk(app, token=token, feed=alerting.feed)

    async def end_streams(_: Any) -> None:
        # Open SSE connections would hold the web server's shutdown until their clients leave.
        alerting.feed.close()

    web_app = getattr(app.web, "web_app", None)  # the aiohttp Application behind Faust's web server
    if web_app is not None:
        web_app.on_shutdown.append(end_streams)
    return Web(health)
