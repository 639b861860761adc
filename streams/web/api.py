"""The read API: ``GET /api/...``, thin views over the store's query functions (docs/api.md).

Each endpoint is a row of ``ENDPOINTS``: its path, the query function of ``streams.store.queries``
it calls, and its parameters (parsed in ``streams.web.params``). A view checks the token, parses the
parameters, finds the store, calls the function in a thread (the queries are synchronous SQL; on
the event loop they would stall the worker's agents and its heartbeats) and writes the result as
JSON, untouched: pages come back as the store made them (``{"items", "next"}``).

The store is looked up per request (``store()``: ``app.stancewire_store``, set by
``streams.store.register_store``) and so are its query functions (``load_queries``): a worker
without a store answers 503 and the web package imports nothing of the store's at start-up.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import faust
import orjson
from faust.web import View

from streams.alerts.subscriptions import RequestRefused, check_token
from streams.store.timefmt import InvalidQuery
from streams.web import params as p
from streams.web.params import ApiRefused, Param
from streams.web.responses import NO_STORE, refuse_uncached

log = logging.getLogger(__name__)


class Queries(Protocol):
    """The query functions of ``streams.store.queries`` the API calls (the contract of issue 14)."""

    def search_entities(
        self, store: Any, q: str | None = ..., limit: int = ..., cursor: str | None = ...
    ) -> dict[str, Any]: ...
    def entity(self, store: Any, entity_id: str) -> dict[str, Any] | None: ...
    def entity_timeline(
        self, store: Any, entity_id: str, since: str | None = ..., until: str | None = ...
    ) -> list[dict[str, Any]]: ...
    def stances(self, store: Any, **kwargs: Any) -> dict[str, Any]: ...
    def stance_map(
        self, store: Any, since: str | None = ..., until: str | None = ..., limit: int = ...
    ) -> dict[str, Any]: ...
    def quotes(self, store: Any, **kwargs: Any) -> dict[str, Any]: ...
    def alerts(self, store: Any, **kwargs: Any) -> dict[str, Any]: ...
    def article(self, store: Any, article_id: str) -> dict[str, Any] | None: ...


def load_queries() -> Queries | None:
    """``streams.store.queries``, or None while this worker has no store package. A store that is
    there but fails to import (a missing driver) is an error, not an absence: it raises."""
    try:
        return cast(Queries, importlib.import_module("streams.store.queries"))
    except ModuleNotFoundError as exc:
        if exc.name in ("streams.store", "streams.store.queries"):
            return None
        raise


@dataclass(frozen=True, slots=True)
class Endpoint:
    path: str
    query: str  # the function of streams.store.queries
    schema: str  # schemas/api/<schema>.v1.json describes the answer
    params: Sequence[Param] = ()
    path_param: str | None = None  # passed positionally after the store
    found: bool = False  # None from the store is a 404
    wrap: Callable[[str, Any], Any] | None = field(default=None)  # (path id, result) → body


def _text(name: str, keyword: str | None = None) -> Param:
    return Param(name, keyword or name, p.text(name))


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("/api/entities", "search_entities", "entities", (_text("q"), p.limit(), p.cursor())),
    Endpoint("/api/entities/{entity_id}", "entity", "entity", path_param="entity_id", found=True),
    Endpoint(
        "/api/entities/{entity_id}/timeline",
        "entity_timeline",
        "entity_timeline",
        (p.since(), p.until()),
        path_param="entity_id",
        wrap=lambda entity_id, days: {"entity_id": entity_id, "days": days},
    ),
    Endpoint(
        "/api/stances",
        "stances",
        "stances",
        (
            _text("holder"),
            _text("target"),
            _text("topic"),
            Param("polarity", "polarity", p.parse_polarity),
            p.since(),
            p.until(),
            _text("article", "article_id"),
            p.limit(),
            p.cursor(),
        ),
    ),
    Endpoint("/api/stances/map", "stance_map", "stance_map", (p.since(), p.until(), p.limit(*p.MAP_LIMIT))),
    Endpoint(
        "/api/quotes",
        "quotes",
        "quotes",
        (_text("speaker"), _text("article", "article_id"), p.since(), p.until(), p.limit(), p.cursor()),
    ),
    Endpoint(
        "/api/alerts",
        "alerts",
        "alerts",
        (_text("subscription", "subscription_id"), p.since(), p.limit(), p.cursor()),
    ),
    Endpoint("/api/articles/{article_id}", "article", "article", path_param="article_id", found=True),
)


def authorize(header: str | None, token: str | None) -> None:
    """The subscriptions API's check (401 without or with a wrong token, 503 with none configured),
    refused in the read API's shape."""
    try:
        check_token(header, token)
    except RequestRefused as exc:
        raise ApiRefused(exc.status, exc.code, exc.message) from None


def prepare(endpoint: Endpoint, query: Any, path: dict[str, str]) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The request → the query function's positional and keyword arguments (after the store).
    ``query`` is the request's MultiDict (or any mapping of name → list of values)."""
    values = {name: list(query.getall(name)) for name in query} if hasattr(query, "getall") else dict(query)
    kwargs = p.parse_query(values, endpoint.params)
    args = (p.path_id(endpoint.path_param, path.get(endpoint.path_param, "")),) if endpoint.path_param else ()
    return args, kwargs


def answer(
    endpoint: Endpoint, queries: Queries, store: Any, args: tuple[str, ...], kwargs: dict[str, Any]
) -> Any:
    """Call the store; its None is a 404 where the endpoint names one thing. Synchronous: the view
    runs it in a thread."""
    function = getattr(queries, endpoint.query)
    try:
        result = function(store, *args, **kwargs)
    except InvalidQuery as exc:
        # Parameters were checked here already; what the store still refuses is mostly a cursor it
        # did not give out.
        if kwargs.get("cursor") is not None:
            raise p.bad("cursor", "not a cursor this API gave out (use the previous page's 'next')") from exc
        raise ApiRefused(400, "bad_query", str(exc)) from exc
    if endpoint.found and result is None:
        what = endpoint.path_param.removesuffix("_id") if endpoint.path_param else "item"
        raise ApiRefused(404, "not_found", f"no {what} {args[0]!r}")
    return endpoint.wrap(args[0], result) if endpoint.wrap else result


def encoded(
    endpoint: Endpoint, queries: Queries, store: Any, args: tuple[str, ...], kwargs: dict[str, Any]
) -> bytes:
    """``answer`` as JSON, in the same thread: a large page is encoded off the event loop too.
    OPT_NON_STR_KEYS: a row mapping's keys can be a ``str`` subclass (SQLAlchemy's ``quoted_name``),
    which plain orjson refuses; they are written as the strings they are."""
    return orjson.dumps(answer(endpoint, queries, store, args, kwargs), option=orjson.OPT_NON_STR_KEYS)


def register_api(
    app: faust.App,
    *,
    token: str | None,
    store: Callable[[], Any],
    queries: Callable[[], Queries | None] = load_queries,
) -> None:
    """Declare every endpoint of ``ENDPOINTS`` on ``app``. ``store()`` is the Store object of this
    worker (None: not there yet); ``queries()`` the module of query functions."""

    def declare(endpoint: Endpoint) -> None:
        class ApiView(View):
            async def get(self, request: Any, **path: str) -> Any:
                try:
                    authorize(request.headers.get("Authorization"), token)
                    args, kwargs = prepare(endpoint, request.query, path)
                    found, functions = store(), queries()  # per request: the store may come later
                    if found is None or functions is None:
                        raise ApiRefused(
                            503, "store_unavailable", "this worker has no store yet; retry in a moment"
                        )
                    body = await asyncio.to_thread(encoded, endpoint, functions, found, args, kwargs)
                except ApiRefused as exc:
                    return refuse_uncached(self, exc)
                except Exception:
                    # Never the exception's text: it can hold SQL, or the store URL with its password.
                    log.exception("GET %s failed", endpoint.path)
                    return refuse_uncached(
                        self,
                        ApiRefused(500, "store_failed", "the store could not answer; see the worker's log"),
                    )
                return self.bytes(body, content_type="application/json", headers=NO_STORE)

        ApiView.__name__ = ApiView.__qualname__ = f"Api_{endpoint.query}"
        app.page(endpoint.path, name=f"api-{endpoint.query}")(ApiView)

    for endpoint in ENDPOINTS:
        declare(endpoint)
