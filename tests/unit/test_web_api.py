"""The read API's views (streams/web/api.py) over HTTP, against a fake of the store's query functions
(tests/unit/web_support.py): token, parameters, 400/401/404/500/503, pages passed through, URL-quoted
ids, and every answer valid against its schema in schemas/api/."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator

from streams.store.timefmt import InvalidQuery
from streams.web.api import ENDPOINTS, register_api
from tests.conftest import REPO
from tests.unit.web_support import AUTH, TOKEN, FakeQueries, bare_app, serve

SCHEMAS = REPO / "schemas" / "api"
STORE = object()  # what the views hand the query functions: the worker's Store object

Scenario = Callable[[Any, FakeQueries], Awaitable[Any]]


def run(scenario: Scenario, *, token: str | None = TOKEN, store: Any = STORE, queries: bool = True) -> Any:
    fake = FakeQueries()

    async def main() -> Any:
        app = bare_app()
        register_api(app, token=token, store=lambda: store, queries=lambda: fake if queries else None)
        async with serve(app) as client:
            return await scenario(client, fake)

    return asyncio.run(main())


def schema(name: str) -> Draft202012Validator:
    document = orjson.loads((SCHEMAS / f"{name}.v1.json").read_bytes())
    Draft202012Validator.check_schema(document)
    return Draft202012Validator(document, format_checker=Draft202012Validator.FORMAT_CHECKER)


def valid(name: str, body: Any) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in schema(name).iter_errors(body)]
    assert not errors, (name, errors)


async def get(client: Any, path: str, headers: dict[str, str] | None = AUTH) -> tuple[int, Any, Any]:
    response = await client.get(path, headers=headers)
    return response.status, await response.json(content_type=None), response.headers


CONCRETE = [endpoint.path.format(entity_id="per%3Amira-okafor", article_id="syn-1") for endpoint in ENDPOINTS]


def test_every_endpoint_wants_the_token_and_is_off_without_one_configured() -> None:
    async def scenario(client: Any, fake: FakeQueries) -> list[tuple[str, int, int, str, str]]:
        seen = []
        for path in CONCRETE:
            missing, body, headers = await get(client, path, None)
            wrong, wrong_body, _ = await get(client, path, {"Authorization": "Bearer not-" + TOKEN})
            assert headers["WWW-Authenticate"] == 'Bearer realm="stancewire"'
            valid("error", body)
            seen.append((path, missing, wrong, body["error"], wrong_body["detail"]))
        assert fake.calls == []  # nothing reached the store
        return seen

    for path, missing, wrong, code, detail in run(scenario):
        assert (missing, wrong, code, detail) == (401, 401, "unauthorized", "wrong bearer token"), path

    async def off(client: Any, fake: FakeQueries) -> list[tuple[int, str, str]]:
        answers = []
        for path in CONCRETE:
            status, body, headers = await get(client, path)
            answers.append((status, body["error"], headers["Retry-After"]))
        return answers

    assert set(run(off, token=None)) == {(503, "api_disabled", "1")}


def test_without_a_store_the_api_answers_503_after_the_token_and_parameters() -> None:
    async def scenario(client: Any, fake: FakeQueries) -> list[tuple[int, str]]:
        return [
            ((await get(client, "/api/stances"))[0], (await get(client, "/api/stances"))[1]["error"]),
            (
                (await get(client, "/api/stances?limit=0"))[0],
                (await get(client, "/api/stances?limit=0"))[1]["error"],
            ),
            ((await get(client, "/api/stances", None))[0], "no token"),
        ]

    assert run(scenario, store=None) == [(503, "store_unavailable"), (400, "bad_limit"), (401, "no token")]
    assert run(scenario, queries=False)[0] == (503, "store_unavailable")  # no streams.store.queries


def test_parameters_reach_the_store_functions_parsed_and_pages_pass_through() -> None:
    async def scenario(client: Any, fake: FakeQueries) -> list[Any]:
        first = await get(
            client,
            "/api/stances?holder=per%3Amira-okafor&polarity=oppose&since=2026-03-01&until=2026-03-02T12:00%2B02:00"
            "&article=syn-1&limit=1",
        )
        following = await get(client, f"/api/stances?limit=1&cursor={first[1]['next']}")
        quotes = await get(client, "/api/quotes?speaker=per%3Amira-okafor")
        alerts = await get(client, "/api/alerts?subscription=stance&since=2026-03-01T00:00:00Z&limit=500")
        entities = await get(client, "/api/entities?q=okaf&limit=10")
        graph = await get(client, "/api/stances/map?since=2026-02-01")
        assert fake.store is STORE
        return [first, following, quotes, alerts, entities, graph, fake.calls]

    first, following, quotes, alerts, entities, graph, calls = run(scenario)
    assert first[0] == 200 and first[2]["Cache-Control"] == "no-store"
    assert [s["id"] for s in first[1]["items"]] == ["5f0e6c1d2b3a49587766554433221100"] and first[1][
        "next"
    ] == "p1"
    assert following[1] == {"items": [following[1]["items"][0]], "next": None}
    assert following[1]["items"][0]["target_kind"] == "topic"
    assert calls[0] == (
        "stances",
        (),
        {
            "holder": "per:mira-okafor",
            "target": None,
            "topic": None,
            "polarity": "oppose",
            "since": "2026-03-01T00:00:00Z",
            "until": "2026-03-02T10:00:00Z",
            "article_id": "syn-1",
            "limit": 1,
            "cursor": None,
        },
    )
    assert calls[1][2]["cursor"] == "p1"
    assert calls[2] == (
        "quotes",
        (),
        {
            "speaker": "per:mira-okafor",
            "article_id": None,
            "since": None,
            "until": None,
            "limit": 50,
            "cursor": None,
        },
    )
    assert calls[3] == (
        "alerts",
        (),
        {"subscription_id": "stance", "since": "2026-03-01T00:00:00Z", "limit": 500, "cursor": None},
    )
    assert calls[4] == ("search_entities", (), {"q": "okaf", "limit": 10, "cursor": None})
    assert calls[5] == ("stance_map", (), {"since": "2026-02-01T00:00:00Z", "until": None, "limit": 200})
    assert quotes[0] == alerts[0] == entities[0] == graph[0] == 200


def test_entity_and_article_ids_are_url_quoted_and_decoded_once() -> None:
    async def scenario(client: Any, fake: FakeQueries) -> list[Any]:
        entity = await get(client, "/api/entities/org%3Aacme%2Fx")
        percent = await get(client, "/api/entities/100%2525")  # the id "100%25": decoded once, not twice
        timeline = await get(client, "/api/entities/topic%3Aclimate%20change/timeline?until=2026-03-02")
        article = await get(client, "/api/articles/feed%3Ahttps%3A%2F%2Fexample.org%2Fa%3Fid%3D1")
        return [entity, percent, timeline, article, fake.calls]

    entity, percent, timeline, article, calls = run(scenario)
    assert entity[1]["id"] == "org:acme/x" and percent[1]["id"] == "100%25"
    assert timeline[1]["entity_id"] == "topic:climate change" and len(timeline[1]["days"]) == 2
    assert article[1]["article_id"] == "feed:https://example.org/a?id=1"
    assert calls == [
        ("entity", ("org:acme/x",), {}),
        ("entity", ("100%25",), {}),
        ("entity_timeline", ("topic:climate change",), {"since": None, "until": "2026-03-02T00:00:00Z"}),
        ("article", ("feed:https://example.org/a?id=1",), {}),
    ]


def test_unknown_entity_or_article_is_404() -> None:
    async def scenario(client: Any, fake: FakeQueries) -> list[tuple[int, Any]]:
        return [(await get(client, path))[:2] for path in ("/api/entities/nobody", "/api/articles/missing")]

    (entity, article) = run(scenario)
    assert entity == (
        404,
        {"error": "not_found", "message": "no entity 'nobody'", "detail": "no entity 'nobody'"},
    )
    assert article[0] == 404 and article[1]["detail"] == "no article 'missing'"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("/api/stances?limit=501", "bad_limit"),
        ("/api/stances?limit=abc", "bad_limit"),
        ("/api/stances/map?limit=0", "bad_limit"),
        ("/api/stances?polarity=against", "bad_polarity"),
        ("/api/stances?since=last-week", "bad_since"),
        ("/api/quotes?until=2026-02-30", "bad_until"),
        ("/api/stances?since=2026-03-02&until=2026-03-01", "bad_until"),
        ("/api/stances?holdr=Q1", "unknown_parameter"),
        ("/api/entities?q=a&q=b", "repeated_parameter"),
        ("/api/entities/x?limit=5", "unknown_parameter"),
        ("/api/alerts?cursor=zzz", "bad_cursor"),  # the store cannot read it: InvalidQuery → 400
        ("/api/alerts?cursor=has%20space", "bad_cursor"),
    ],
)
def test_bad_parameters_are_400_with_a_code(query: str, code: str) -> None:
    async def scenario(client: Any, fake: FakeQueries) -> tuple[int, Any]:
        return (await get(client, query))[:2]

    status, body = run(scenario)
    assert (status, body["error"]) == (400, code), body
    valid("error", body)


def test_a_failing_store_is_a_500_that_tells_nothing_of_the_failure() -> None:
    class Broken(FakeQueries):
        def stances(self, store: Any, **kwargs: Any) -> Any:
            raise RuntimeError("connection to postgresql://desk:hunter2@db failed")

    async def main() -> tuple[int, str]:
        app = bare_app()
        register_api(app, token=TOKEN, store=lambda: STORE, queries=Broken)
        async with serve(app) as client:
            response = await client.get("/api/stances", headers=AUTH)
            return response.status, await response.text()

    status, text = asyncio.run(main())
    assert status == 500 and "store_failed" in text and "hunter2" not in text


def test_every_answer_validates_against_its_schema() -> None:
    async def scenario(client: Any, fake: FakeQueries) -> list[tuple[str, int, Any]]:
        answers = []
        for endpoint, path in zip(ENDPOINTS, CONCRETE, strict=True):
            status, body, _ = await get(client, path)
            answers.append((endpoint.schema, status, body))
        return answers

    answers = run(scenario)
    assert {name for name, _, _ in answers} == {
        p.name.removesuffix(".v1.json") for p in SCHEMAS.glob("*.v1.json")
    } - {"error"}
    for name, status, body in answers:
        assert status == 200, (name, body)
        valid(name, body)
    # ... and the schemas are not so loose that anything passes: a page without "next", a stance
    # with a polarity the API never gives, a time not in the store's form.
    stances = next(body for name, _, body in answers if name == "stances")
    assert list(schema("stances").iter_errors({"items": stances["items"]}))
    assert list(
        schema("stances").iter_errors(
            {"items": [{**stances["items"][0], "polarity": "against"}], "next": None}
        )
    )
    assert list(
        schema("stances").iter_errors({"items": [{**stances["items"][0], "at": "2026-03-01"}], "next": None})
    )


def test_the_query_functions_are_the_store_packages_or_none_while_there_is_none() -> None:
    import importlib.util

    from streams.web.api import load_queries

    queries = load_queries()
    if importlib.util.find_spec("streams.store") is None:
        assert queries is None
    else:  # once the store has landed: every function the API calls is there
        assert queries is not None
        assert all(callable(getattr(queries, endpoint.query)) for endpoint in ENDPOINTS)


def test_str_subclass_keys_the_stores_refusals_and_unencodable_answers() -> None:
    class Key(str):  # as SQLAlchemy's quoted_name: a row mapping's keys
        pass

    class Odd(FakeQueries):
        def article(self, store: Any, article_id: str) -> Any:
            return {Key("article_id"): article_id, "alerts": [{Key("kind"): "match"}]}

        def quotes(self, store: Any, **kwargs: Any) -> Any:
            raise InvalidQuery("speaker is not an entity id")

        def alerts(self, store: Any, **kwargs: Any) -> Any:
            return {"items": [object()], "next": None}  # a bug in the store: not JSON

    async def main() -> list[tuple[int, Any]]:
        app = bare_app()
        register_api(app, token=TOKEN, store=lambda: STORE, queries=Odd)
        async with serve(app) as client:
            return [
                (await get(client, path))[:2] for path in ("/api/articles/a-1", "/api/quotes", "/api/alerts")
            ]

    article, quotes, alerts = asyncio.run(main())
    assert article == (200, {"article_id": "a-1", "alerts": [{"kind": "match"}]})
    assert quotes == (
        400,
        {
            "error": "bad_query",
            "message": "speaker is not an entity id",
            "detail": "speaker is not an entity id",
        },
    )
    assert alerts[0] == 500 and alerts[1]["error"] == "store_failed"  # JSON, not aiohttp's text page
