"""The desk's edges (streams/web/desk.py): the page and its static files (no token, no way out of the
directory, the right content types, revalidated caching) and the live SSE stream of every alert."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams.alerts.feed import AlertFeed, FeedEvent
from streams.web.desk import STATIC_DIR, content_type, register_desk, static_file
from tests.unit.web_support import AUTH, TOKEN, bare_app, serve


@pytest.fixture
def root(tmp_path: Path) -> Path:
    static = tmp_path / "static"
    (static / "js").mkdir(parents=True)
    (static / "index.html").write_text("<!doctype html><title>desk</title>\n")
    (static / "js" / "app.js").write_text("export const desk = 1;\n")
    (static / "style.css").write_text("body { margin: 0 }\n")
    (static / ".secret").write_text("hidden\n")
    (tmp_path / "outside.txt").write_text("not yours\n")
    (static / "escape.txt").symlink_to(tmp_path / "outside.txt")
    return static


def test_static_file_names_only_files_inside_the_directory(root: Path) -> None:
    assert static_file(root, "index.html") == (root / "index.html").resolve()
    assert static_file(root, "js/app.js") == (root / "js" / "app.js").resolve()
    for refused in (
        "",
        "..",
        "../outside.txt",
        "js/../../outside.txt",
        "js/../index.html",  # no dot segments at all, even harmless ones
        "/etc/passwd",
        "js//app.js",
        "js/",
        "js",  # a directory
        ".secret",
        "js\\..\\..\\outside.txt",
        "index.html\x00.png",
        "escape.txt",  # a link that leads out
        "missing.js",
    ):
        assert static_file(root, refused) is None, refused


def test_content_types() -> None:
    assert content_type(Path("a.html")) == "text/html; charset=utf-8"
    assert content_type(Path("a.JS")) == "text/javascript; charset=utf-8"
    assert content_type(Path("a.mjs")) == "text/javascript; charset=utf-8"
    assert content_type(Path("a.css")) == "text/css; charset=utf-8"
    assert content_type(Path("a.svg")) == "image/svg+xml"
    assert content_type(Path("a.woff2")) == "font/woff2"
    assert content_type(Path("a.unknown-kind")) == "application/octet-stream"


def test_the_shipped_page_is_in_the_package() -> None:
    assert (STATIC_DIR / "index.html").is_file()
    assert Path(__file__).resolve().parents[2] / "streams" / "web" / "static" == STATIC_DIR


def run_desk(root: Path, scenario: Any, *, token: str | None = TOKEN, feed: AlertFeed | None = None) -> Any:
    async def main() -> Any:
        app = bare_app()
        register_desk(app, token=token, feed=feed or AlertFeed(), root=root)
        async with serve(app) as client:
            return await scenario(client)

    return asyncio.run(main())


def test_the_page_and_its_files_are_served_without_a_token(root: Path) -> None:
    async def scenario(client: Any) -> list[Any]:
        page = await client.get("/")
        again = await client.get("/", headers={"If-None-Match": page.headers["ETag"]})
        script = await client.get("/static/js/app.js")
        style = await client.get("/static/style.css")
        return [
            (page.status, page.headers["Content-Type"], await page.text(), page.headers.copy()),
            (again.status, await again.read()),
            (script.status, script.headers["Content-Type"], await script.text()),
            (style.status, style.headers["Content-Type"]),
        ]

    page, again, script, style = run_desk(root, scenario, token=None)  # no token set: still served
    assert page[:3] == (200, "text/html; charset=utf-8", "<!doctype html><title>desk</title>\n")
    headers = page[3]
    assert headers["Cache-Control"] == "no-cache" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer" and headers["ETag"].startswith('"')
    assert again == (304, b"")  # unchanged: the browser keeps its copy
    assert script == (200, "text/javascript; charset=utf-8", "export const desk = 1;\n")
    assert style == (200, "text/css; charset=utf-8")


@pytest.mark.parametrize(
    "path",
    [
        "/static/..%2foutside.txt",
        "/static/js/..%2f..%2foutside.txt",
        "/static/%2e%2e%2foutside.txt",
        "/static/%2e%2e/outside.txt",
        "/static/escape.txt",
        "/static/.secret",
        "/static/js%5c..%5c..%5coutside.txt",
        "/static/",
        "/static/js",
        "/static/nothing.js",
    ],
)
def test_no_way_out_of_the_static_directory(root: Path, path: str) -> None:
    async def scenario(client: Any) -> tuple[int, str]:
        response = await client.get(path)
        return response.status, await response.text()

    status, text = run_desk(root, scenario)
    assert status == 404 and "not yours" not in text and "hidden" not in text, (path, status, text)


async def read_events(response: Any, count: int) -> list[dict[str, str]]:
    """The next ``count`` SSE events (comment lines, the pings, skipped)."""
    events: list[dict[str, str]] = []
    current: dict[str, str] = {}
    while len(events) < count:
        line = (await asyncio.wait_for(response.content.readline(), 5)).decode().rstrip("\r\n")
        if not line:
            if current:
                events.append(current)
                current = {}
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        current[field] = value.removeprefix(" ")
    return events


def alert(sid: str, partition: int, offset: int) -> FeedEvent:
    return FeedEvent(
        sid, partition, offset, orjson.dumps({"schema": "alert.v1", "subscription_id": sid}).decode()
    )


def test_the_live_stream_says_ready_then_sends_every_alert_of_every_subscription(root: Path) -> None:
    feed = AlertFeed(buffer=10)

    async def scenario(client: Any) -> tuple[list[dict[str, str]], list[dict[str, str]], int]:
        response = await client.get("/api/alerts/live", headers=AUTH)
        assert response.headers["Content-Type"].startswith("text/event-stream")
        first = await read_events(response, 1)
        feed.publish(alert("a", 0, 5))
        feed.publish(alert("b", 1, 2))
        first += await read_events(response, 2)
        response.close()
        # Reconnecting after 0:5 catches up what came after it.
        again = await client.get("/api/alerts/live", headers={**AUTH, "Last-Event-ID": "0:5"})
        caught_up = await read_events(again, 2)
        again.close()
        for _ in range(50):  # the server notices the closed connections
            if feed.clients == 0:
                break
            await asyncio.sleep(0.05)
        return first, caught_up, feed.clients

    first, caught_up, clients = run_desk(root, scenario, feed=feed)
    assert first[0]["event"] == "ready"
    assert [(e["event"], e["id"], orjson.loads(e["data"])["subscription_id"]) for e in first[1:]] == [
        ("alert", "0:5", "a"),
        ("alert", "1:2", "b"),
    ]
    assert [e.get("id") for e in caught_up] == [None, "1:2"] and caught_up[0]["event"] == "ready"
    assert clients == 0


def test_the_live_stream_wants_the_token(root: Path) -> None:
    async def scenario(client: Any) -> list[tuple[int, str]]:
        answers = []
        for headers in (None, {"Authorization": "Bearer wrong"}):
            response = await client.get("/api/alerts/live", headers=headers)
            answers.append((response.status, (await response.json())["error"]))
        return answers

    assert run_desk(root, scenario) == [(401, "unauthorized"), (401, "unauthorized")]

    async def off(client: Any) -> tuple[int, str]:
        response = await client.get("/api/alerts/live", headers=AUTH)
        return response.status, (await response.json())["error"]

    assert run_desk(root, off, token=None) == (503, "api_disabled")


def test_the_static_files_are_package_data() -> None:
    import tomllib

    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert "web/static/**/*" in pyproject["tool"]["setuptools"]["package-data"]["streams"]
