"""Locked doors on a real worker (real broker, the worker as a process):

* every route of the web port, enumerated from the app's aiohttp router (not a list written here),
  asked without a token: only /healthz, /metrics and the desk's page (/, /static/...) answer 2xx, the
  rest 401 or 404 (405 for a HEAD on a view that has no GET); Faust's own
  table, router and statistics pages are not there at all; a non-ASCII Authorization header is a
  401 on every guarded route, never a 500;
* every /api/ route (the read API and the live alert stream), from the same router: 401 without a
  token and with a wrong one, and with the right one never 401 or 500;
* webhook secrets and URL passwords: a subscription written straight to the topic with a password in
  its URL (as one made before the URL rules could be), one made through the API with a known secret,
  URLs refused at subscription time; no response and no line of the worker's log carries either;
* the delivered webhook verifies with ``streams.alerts.verify`` (Standard Webhooks) and the
  reference ``standardwebhooks`` library.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson
import pytest
import standardwebhooks

from streams.alerts import verify
from streams.app import create_app
from streams.settings import Settings
from tests.integration.conftest import Pipeline
from tests.integration.test_alerts import api, produce_enriched, start
from tests.unit.test_alert_support import enriched_article, stance

pytestmark = pytest.mark.integration

TOKEN = "integration-token"
SECRET = "whsec_TE9DS0VELURPT1JTLXNlY3JldC1jYW5hcnktMDAwMDA="  # decodes to LOCKED-DOORS-secret-canary-00000
PASSWORD = "PASSWORD-CANARY-hunter2"
# Open: health and metrics, and the desk's page and static files (no data in any of them; the page
# asks for the token and every data request it makes goes to the guarded /api/). /static/{path} is
# walked as /static/locked-doors, a file that is not there: 404.
UNPROTECTED = {"/healthz", "/metrics", "/"}
OPEN_FILES = {"/static/{path}"}


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[int, list[tuple[dict[str, str], bytes]]]]:
    got: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append((dict(self.headers), self.rfile.read(int(self.headers.get("Content-Length", 0)))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], got
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def worker(pipeline: Pipeline, receiver: tuple[int, list[Any]]) -> Pipeline:
    port, _ = receiver
    pipeline.extra_env.update(
        {
            "STANCEWIRE_API_TOKEN": TOKEN,
            "STANCEWIRE_INGEST_TOKEN": "ingest-" + TOKEN,
            "STANCEWIRE_ALERT_WEBHOOK_ALLOWLIST": f"127.0.0.1:{port}",
            "STANCEWIRE_ALERT_WEBHOOK_ATTEMPTS": "2",
            "STANCEWIRE_ALERT_WEBHOOK_BACKOFF_S": "0.1",
            "STANCEWIRE_SENTIMENT_ENABLED": "false",  # not what this is about; starts faster
        }
    )
    start(pipeline)
    return pipeline


def routes(p: Pipeline) -> list[tuple[str, str]]:
    """(method, path) of every route the worker's web server has: the same app, built here with the
    worker's settings, and its aiohttp router read after Faust set the server up."""
    env = {k.removeprefix("STANCEWIRE_").lower(): v for k, v in p.env.items() if k.startswith("STANCEWIRE_")}
    app = create_app(Settings(**env))
    app.web.init_server()
    found = {
        (route.method, route.resource.canonical)
        for route in app.web.web_app.router.routes()
        if route.resource is not None
    }
    assert ("GET", "/healthz") in found and ("POST", "/subscriptions") in found
    return sorted(found)


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "locked-doors", path)  # a real subscription id


def call(p: Pipeline, method: str, path: str, headers: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.request(
        method,
        f"http://127.0.0.1:{p.web_port}{path}",
        headers=headers,
        content=b"{}" if method in ("POST", "PUT", "PATCH") else None,
        timeout=10,
    )


def test_every_api_route_wants_the_token(worker: Pipeline) -> None:
    api_routes = [(method, path) for method, path in routes(worker) if path.startswith("/api/")]
    assert {path for _, path in api_routes} >= {
        "/api/entities",
        "/api/entities/{entity_id}",
        "/api/entities/{entity_id}/timeline",
        "/api/stances",
        "/api/stances/map",
        "/api/quotes",
        "/api/alerts",
        "/api/articles/{article_id}",
        "/api/alerts/live",
    }
    for method, path in api_routes:
        for headers in (None, {"Authorization": "Bearer wrong-" + TOKEN}, {"Authorization": TOKEN}):
            response = call(worker, method, concrete(path), headers)
            assert response.status_code == 401, (method, path, headers, response.status_code, response.text)
            assert response.headers["WWW-Authenticate"] == 'Bearer realm="stancewire"'
            if method == "GET":
                assert response.json()["error"] == "unauthorized"
    # With the token the door opens: the live stream starts with its ready event; the rest answer
    # from the store (200, or 404 for the made-up id) or say that this worker has none yet (503).
    with httpx.stream(
        "GET",
        f"http://127.0.0.1:{worker.web_port}/api/alerts/live",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    ) as live:
        assert live.status_code == 200 and live.headers["content-type"].startswith("text/event-stream")
        assert next(live.iter_lines()) == "event: ready"
    for method, path in api_routes:
        if path == "/api/alerts/live" or method != "GET":
            continue
        response = call(worker, method, concrete(path), {"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code in (200, 404, 503), (path, response.status_code, response.text)
        assert response.headers["Cache-Control"] == "no-store"


def test_no_route_answers_without_a_token_but_health_metrics_and_the_page(
    worker: Pipeline, receiver: tuple[int, list[Any]], registry
) -> None:
    port, got = receiver
    # A subscription with a known secret through the API, and one written straight to the topic with
    # a password in its URL (the API refuses such URLs now; older documents may have one).
    made = api(
        worker,
        "POST",
        "/subscriptions",
        json={
            "id": "locked-doors",
            "rule": {"kind": "stance", "target": "Veldonia"},
            "webhook": {"url": f"http://0x7f000001:{port}/hook", "secret": SECRET},
        },
    )
    assert made.status_code == 201, made.text
    assert made.json()["webhook"] == {"url": f"http://127.0.0.1:{port}/hook", "secret": "***"}  # normalized
    responses = [made.text]  # a secret the client sent is not echoed either
    legacy = {
        "schema": "subscription.v1",
        "id": "legacy-password",
        "rule": {"kind": "stance", "target": "Veldonia"},
        "frequency": {"mode": "instant"},
        "webhook": {"url": f"http://hooks:{PASSWORD}@127.0.0.1:{port}/legacy", "secret": SECRET},
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-01T00:00:00.000Z",
    }
    producer = worker.producer()
    producer.send(worker.topic("subscriptions"), key=b"legacy-password", value=orjson.dumps(legacy))
    producer.flush()
    producer.close()
    deadline = time.monotonic() + 30
    while (
        time.monotonic() < deadline
        and api(worker, "GET", "/subscriptions/legacy-password").status_code != 200
    ):
        time.sleep(0.2)

    for url, why in (
        (f"https://hooks:{PASSWORD}@hooks.example.com/in", "the URL carries credentials"),
        ("http://hooks.example.com/in\r\nX-Injected: 1", "control character"),
        ("http://100.100.100.200/latest", "100.100.100.200 is an internal address"),
        (f"http://2130706433:{port + 1}/", "127.0.0.1 is an internal address (loopback)"),
    ):
        refused = api(
            worker,
            "POST",
            "/subscriptions",
            json={"rule": {"kind": "entity", "entity": "X"}, "webhook": {"url": url}},
        )
        assert refused.status_code == 422 and why in refused.json()["message"], refused.text
        responses.append(refused.text)

    # Every route, no token: only the two open ones answer.
    walked = routes(worker)
    for method, path in walked:
        response = call(worker, method, concrete(path))
        responses.append(response.text)
        if path in UNPROTECTED:
            assert 200 <= response.status_code < 300, (method, path, response.status_code)
        elif path in OPEN_FILES:
            assert response.status_code == 404, (method, path, response.status_code)
        else:
            # 405: Faust adds HEAD to every view; a view without GET (POST /articles) refuses it
            expected = (401, 404, 405) if method == "HEAD" else (401, 404)
            assert response.status_code in expected, (method, path, response.status_code, response.text)
            # ... and an Authorization header that is not ASCII (a byte that is not UTF-8 either)
            odd = call(worker, method, concrete(path), {"Authorization": b"Bearer \xff\xfe-t\xc3\xb6ken"})
            assert odd.status_code == (response.status_code if response.status_code == 405 else 401), (
                method,
                path,
                odd.status_code,
                odd.text,
            )
            responses.append(odd.text)
    assert {path for _, path in walked} >= {
        "/subscriptions",
        "/articles",
        "/alerts/stream",
        *UNPROTECTED,
        *OPEN_FILES,
    }
    # "/" is the desk's page, not Faust's index; its files are there without a token, nothing else is.
    page = call(worker, "GET", "/")
    assert page.headers["content-type"] == "text/html; charset=utf-8" and "stancewire" in page.text
    assert call(worker, "GET", "/static/index.html").text == page.text
    for path in ("/static/..%2f..%2fapp.py", "/static/%2e%2e/%2e%2e/web/api.py", "/static/.%2e/__init__.py"):
        response = call(worker, "GET", path)
        assert response.status_code == 404, (path, response.status_code, response.text)
        responses.append(response.text)
    # Faust's own pages (the table page served the webhook secret in clear) are not mounted at all.
    for path in (
        "/table/",
        "/table/alert-subscriptions/",
        "/table/alert-subscriptions/locked-doors/",
        "/router/",
        "/router/alert-subscriptions/locked-doors/",
        "/graph/",
        "/stats/",
        "/assignment/",
        "/performance/",
    ):
        response = call(worker, "GET", path)
        assert response.status_code == 404, (path, response.status_code, response.text)
        responses.append(response.text)

    # With the token: the secret is never shown again, the password never at all.
    for path in ("/subscriptions", "/subscriptions/locked-doors", "/subscriptions/legacy-password"):
        shown = api(worker, "GET", path)
        assert shown.status_code == 200
        responses.append(shown.text)
    assert api(worker, "GET", "/subscriptions/legacy-password").json()["webhook"] == {
        "url": f"http://***@127.0.0.1:{port}/legacy",
        "secret": "***",
    }

    # An alert for both: the good one is delivered and verifies; the legacy one is refused (its URL
    # has credentials) and dead-lettered with the reason, and its password is in no log line.
    produce_enriched(
        worker,
        [enriched_article("doors-1", stances=[stance("Mira Okafor", "Veldonia", "oppose", -0.7)])],
        registry,
    )
    (dead,) = worker.read_all("alerts.deadletter", expect=1, timeout=60, settle=1)
    assert dead["reason"] == "webhook_not_allowed" and "credentials" in dead["error"]
    assert dead["subscription_id"] == "legacy-password"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not got:
        time.sleep(0.1)
    ((headers, body),) = got
    assert verify(SECRET, body, headers) == headers["webhook-id"]
    assert standardwebhooks.Webhook(SECRET).verify(body, headers)["subscription_id"] == "locked-doors"

    responses.append(orjson.dumps(dead).decode())
    worker.stop_worker()  # the log is complete once the worker has stopped
    log = (worker.data_dir / "worker.log").read_text(errors="replace")
    assert "legacy-password" in log  # the log did capture the refusal
    plain_secret = "LOCKED-DOORS-secret-canary"
    for text in [*responses, log]:
        assert PASSWORD not in text
        assert SECRET not in text and SECRET.removeprefix("whsec_") not in text and plain_secret not in text
