"""The outbound guard, table-driven: every URL below is refused with a reason by the pure check, at
subscription time (webhooks), by the feed fetcher, and — for the addresses — by the guarded transport
itself even when the URL check is skipped. Then what the allowlist opens, how spellings normalize,
redirects to internal addresses (real local HTTP servers), and the pinned address (DNS rebinding)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson
import pytest

from streams.alerts.delivery import WebhookSender
from streams.alerts.signing import verify
from streams.alerts.subscriptions import RequestRefused, Subscription, SubscriptionRequests
from streams.alerts.webhooks import webhook_allowlist
from streams.cli.ingest import FeedPoller, fetch, http_client, page_fetcher
from streams.ingest.feeds import PageUnavailable
from streams.netguard import Allowlist, NotAllowed, check_resolved, check_url, parse_ipv4, redact_url
from streams.outbound import guarded_async_client, guarded_client
from streams.settings import Settings

NOTHING = Allowlist.parse("", setting="STANCEWIRE_X_ALLOWLIST")

# (URL, what the refusal says)
ADDRESSES = [
    ("http://127.0.0.1/", "127.0.0.1 is an internal address (loopback)"),
    ("http://127.0.0.2:8080/", "127.0.0.2 is an internal address (loopback)"),
    ("http://0x7f000001/", "127.0.0.1 is an internal address (loopback)"),
    ("http://2130706433/", "127.0.0.1 is an internal address (loopback)"),
    ("http://127.1/", "127.0.0.1 is an internal address (loopback)"),
    ("http://0177.0.0.1/", "127.0.0.1 is an internal address (loopback)"),
    ("http://0x7f.0.0.1/", "127.0.0.1 is an internal address (loopback)"),
    ("http://017700000001/", "127.0.0.1 is an internal address (loopback)"),
    ("http://0/", "0.0.0.0 is an internal address (unspecified)"),
    ("http://0.0.0.0:9092/", "0.0.0.0 is an internal address (unspecified)"),
    ("http://100.64.0.1/", "100.64.0.1 is an internal address (carrier-grade NAT"),
    ("http://100.100.100.200/latest/meta-data/", "100.100.100.200 is an internal address (carrier-grade"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is an internal address (link-local)"),
    ("http://0xa9fea9fe/", "169.254.169.254 is an internal address (link-local)"),
    ("http://10.0.0.1/", "10.0.0.1 is an internal address (private)"),
    ("http://172.16.5.4/", "172.16.5.4 is an internal address (private)"),
    ("http://192.168.1.1/", "192.168.1.1 is an internal address (private)"),
    ("http://192.0.2.10/", "192.0.2.10 is an internal address (private)"),  # documentation range
    ("http://224.0.0.1/", "224.0.0.1 is an internal address (multicast)"),
    ("http://240.0.0.1/", "240.0.0.1 is an internal address (reserved)"),
    ("http://255.255.255.255/", "255.255.255.255 is an internal address"),
    ("http://[::1]/", "::1 is an internal address (loopback)"),
    ("http://[0:0:0:0:0:0:0:1]:8080/", "::1 is an internal address (loopback)"),
    ("http://[::]/", ":: is an internal address (unspecified)"),
    ("http://[::ffff:127.0.0.1]/", "127.0.0.1 is an internal address (loopback (IPv4 127.0.0.1 inside IPv6)"),
    ("http://[::ffff:7f00:1]/", "127.0.0.1 is an internal address (loopback"),
    ("http://[::ffff:169.254.169.254]/", "169.254.169.254 is an internal address (link-local"),
    ("http://[64:ff9b::a9fe:a9fe]/", "169.254.169.254 is an internal address (link-local"),
    ("http://[2002:a9fe:a9fe::]/", "169.254.169.254 is an internal address (link-local"),
    ("http://[::127.0.0.1]/", "127.0.0.1 is an internal address (loopback"),
    ("http://[fe80::1]/", "fe80::1 is an internal address (link-local)"),
    ("http://[fd12:3456::1]/", "fd12:3456::1 is an internal address (private)"),
    ("http://[fc00::1]/", "fc00::1 is an internal address (private)"),
    ("http://[ff02::1]/", "ff02::1 is an internal address (multicast)"),
    ("http://localhost:6066/", "localhost resolves to 127.0.0.1, an internal address (loopback)"),
    ("http://LocalHost./", "localhost resolves to 127.0.0.1, an internal address (loopback)"),
    ("http://api.localhost/", "api.localhost resolves to 127.0.0.1"),
]
MALFORMED = [
    ("http://example.com/a\r\nX-Injected: 1", "control character or whitespace ('\\r' at position 20)"),
    ("http://example.com/a\nb", "control character or whitespace ('\\n'"),
    ("http://example.com/\x00", "control character or whitespace ('\\x00'"),
    ("http://example.com/\x7f", "control character or whitespace ('\\x7f'"),
    ("http://exa mple.com/", "control character or whitespace (' '"),
    ("http://example.com/\t", "control character or whitespace ('\\t'"),
    ("http://example.com/\u2028", "control character or whitespace ('\\u2028'"),
    ("http://example.com/\u200b", "control character or whitespace ('\\u200b'"),
    ("ftp://example.com/", "the scheme must be http or https, not 'ftp'"),
    ("file:///etc/passwd", "the scheme must be http or https, not 'file'"),
    ("gopher://example.com:70/", "the scheme must be http or https"),
    ("javascript:alert(1)", "the scheme must be http or https"),
    ("//example.com/", "the scheme must be http or https, not 'none'"),
    ("https://user:secret-pass@example.com/", "the URL carries credentials"),
    ("https://user@example.com/", "the URL carries credentials"),
    ("https://:secret-pass@example.com/", "the URL carries credentials"),
    ("http://example.com@127.0.0.1/", "the URL carries credentials"),
    ("http://08.0.0.1/", "is neither a host name nor a valid IPv4 address"),
    ("http://1.2.3.4.5/", "is neither a host name nor a valid IPv4 address"),
    ("http://256.1.1.1/", "is out of range for an IPv4 address"),
    ("http://1.2.3.256/", "is out of range for an IPv4 address"),
    ("http://[fe80::1%25eth0]/", "an IPv6 zone (scope) id is not allowed"),
    ("http://[::1/", "not a usable URL"),
    ("http://example.com:99999/", "not a usable URL"),
    ("http://example.com:0/", "port 0 is not a port"),
    ("http:///path", "the URL has no host"),
]
REFUSED = ADDRESSES + MALFORMED


@pytest.mark.parametrize(("url", "why"), REFUSED)
def test_the_check_refuses_with_a_reason(url: str, why: str) -> None:
    with pytest.raises(NotAllowed) as refused:
        check_url(url, NOTHING)
    assert why in str(refused.value), str(refused.value)
    assert "secret-pass" not in str(refused.value)
    if (url, why) in ADDRESSES:
        assert "allow it with STANCEWIRE_X_ALLOWLIST" in str(refused.value)


@pytest.mark.parametrize(("url", "why"), REFUSED)
def test_a_webhook_subscription_is_refused_at_subscription_time(registry, url: str, why: str) -> None:
    requests = SubscriptionRequests(registry.validator("subscription.v1"), allowlist=webhook_allowlist(""))
    body = {"rule": {"kind": "entity", "entity": "X"}, "webhook": {"url": url}}
    with pytest.raises(RequestRefused) as refused:
        requests.prepare(orjson.dumps(body), existing=lambda _id: None, now=datetime.now(UTC))
    assert refused.value.status == 422
    if refused.value.code == "invalid_subscription":  # the schema's own pattern caught it first
        assert refused.value.message.startswith("at webhook")
    else:
        assert refused.value.code == "webhook_not_allowed"
        assert refused.value.message.startswith("at webhook/url: ") and why in refused.value.message


@pytest.mark.parametrize(("url", "why"), REFUSED)
def test_the_feed_fetcher_refuses_the_same(url: str, why: str) -> None:
    settings = Settings()
    with http_client(settings) as client:
        with pytest.raises(NotAllowed) as refused:
            fetch(client, url, {}, 1000, allowlist=NOTHING)
        assert why in str(refused.value)
        get_page = page_fetcher(client, 1000, allowlist=NOTHING)
        with pytest.raises(PageUnavailable) as unavailable:
            get_page(url)
        assert why in unavailable.value.message and not unavailable.value.transient


@pytest.mark.parametrize(
    "url", [url for url, _ in ADDRESSES if "localhost" not in url.lower() and "[::]" not in url]
)
def test_the_transport_refuses_internal_addresses_even_without_the_url_check(url: str) -> None:
    # httpx reads "0x7f000001" as a host name and the system resolver turns it into 127.0.0.1; the
    # guarded backend checks what it resolved to, whatever the spelling (httpx itself refuses some).
    with (
        guarded_client(NOTHING, timeout=2) as client,
        pytest.raises((NotAllowed, httpx.InvalidURL)) as refused,
    ):
        client.get(url)
    assert isinstance(refused.value, httpx.InvalidURL) or "internal address" in str(refused.value)


def test_the_allowlist_opens_exactly_what_it_names() -> None:
    allow = Allowlist.parse("127.0.0.1:8080, 10.0.0.0/8, [::1]:9000, hooks.internal, cms.lan:8443")
    assert check_url("http://127.0.0.1:8080/x", allow).url == "http://127.0.0.1:8080/x"
    assert check_url("http://0x7f000001:8080/x", allow).url == "http://127.0.0.1:8080/x"
    assert check_url("http://10.1.2.3/x", allow).host == "10.1.2.3"
    assert check_url("http://[::1]:9000/", allow).url == "http://[::1]:9000/"
    assert check_url("http://[::ffff:127.0.0.1]:8080/", allow).port == 8080
    for other_port in ("http://127.0.0.1:8081/x", "http://[::1]:9001/", "http://127.0.0.1/"):
        with pytest.raises(NotAllowed):
            check_url(other_port, allow)
    assert check_resolved("hooks.internal", 80, ["192.168.0.1"], allow) == ["192.168.0.1"]
    assert check_resolved("cms.lan", 8443, ["10.9.9.9"], allow) == ["10.9.9.9"]
    with pytest.raises(NotAllowed, match=r"cms\.lan resolves to 192\.168\.0\.9"):
        check_resolved("cms.lan", 443, ["192.168.0.9"], allow)
    with pytest.raises(ValueError, match="is not a port"):
        Allowlist.parse("127.0.0.1:http")


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0177.0.0.01", "127.0.0.1"),
        ("0x7F.1", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("1.0x2.3", "1.2.0.3"),
        ("93.184.216.34", "93.184.216.34"),
        ("example.com", None),
        ("1.2.3.example", None),
    ],
)
def test_every_ipv4_spelling_reads_as_the_address_it_means(spelling: str, canonical: str | None) -> None:
    parsed = parse_ipv4(spelling)
    assert (str(parsed) if parsed else None) == canonical


def test_public_urls_pass_and_are_normalized() -> None:
    assert check_url("HTTPS://Hooks.Example.COM./in?a=1#x", NOTHING).url == "https://hooks.example.com/in?a=1"
    assert check_url("http://0x5d.0xb8.0xd8.0x22:80/", NOTHING).url == "http://93.184.216.34/"
    assert (
        check_url("https://[2606:2800:220:1::1]:8443/h", NOTHING).url == "https://[2606:2800:220:1::1]:8443/h"
    )
    assert check_url("https://bücher.example/", NOTHING).host == "xn--bcher-kva.example"


def test_subscriptions_store_the_normalized_url(registry) -> None:
    requests = SubscriptionRequests(
        registry.validator("subscription.v1"), allowlist=webhook_allowlist("127.0.0.1:8080")
    )
    body = {"rule": {"kind": "entity", "entity": "X"}, "webhook": {"url": "http://0x7f000001:8080/h"}}
    doc, _ = requests.prepare(orjson.dumps(body), existing=lambda _id: None, now=datetime.now(UTC))
    assert doc["webhook"]["url"] == "http://127.0.0.1:8080/h"


def test_redact_url() -> None:
    assert redact_url("https://user:pa55@example.com:8443/a?b=1") == "https://***@example.com:8443/a?b=1"
    assert redact_url("https://example.com/a") == "https://example.com/a"


# --- real servers: redirects, pinning ------------------------------------------------------------------


class Site:
    """A local HTTP server: /ok answers, /redirect?to=URL redirects there; it records what it got."""

    def __init__(self) -> None:
        self.hits: list[tuple[str, str]] = []  # (path, Host header)
        site = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                site.hits.append((self.path, self.headers.get("Host", "")))
                if self.path.startswith("/redirect?to="):
                    self.send_response(302)
                    self.send_header("Location", self.path.removeprefix("/redirect?to="))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = b"<html><body><p>fetched</p></body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = _answer
            do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture(scope="module")
def sites() -> Iterator[tuple[Site, Site]]:
    allowed, internal = Site(), Site()
    yield allowed, internal
    for site in (allowed, internal):
        site.server.shutdown()
        site.server.server_close()


def redirect_targets(internal: Site) -> list[tuple[str, str]]:
    return [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is an internal address (link-local)"),
        ("http://100.100.100.200/", "100.100.100.200 is an internal address"),
        (
            f"http://127.0.0.1:{internal.port}/ok",
            "127.0.0.1 is an internal address (loopback); allow it with ",
        ),
        (f"http://0x7f000001:{internal.port}/ok", "127.0.0.1 is an internal address (loopback)"),
        (f"http://2130706433:{internal.port}/ok", "127.0.0.1 is an internal address (loopback)"),
        (f"http://localhost:{internal.port}/ok", "localhost resolves to 127.0.0.1"),
        (f"http://[::1]:{internal.port}/ok", "::1 is an internal address (loopback)"),
        (f"http://[::ffff:127.0.0.1]:{internal.port}/ok", "127.0.0.1 is an internal address (loopback"),
        ("http://user:pass@example.com/", "the URL carries credentials"),
        ("file:///etc/passwd", "the scheme must be http or https"),
    ]


def test_feed_redirects_are_checked_hop_by_hop(sites: tuple[Site, Site]) -> None:
    allowed, internal = sites
    allow = Allowlist.parse(f"127.0.0.1:{allowed.port}", setting="STANCEWIRE_INGEST_FETCH_ALLOWLIST")
    settings = Settings(ingest_fetch_allowlist=f"127.0.0.1:{allowed.port}")
    with http_client(settings) as client:
        # a redirect within what is allowed is followed (relative Location included)
        followed = fetch(client, allowed.url("/redirect?to=/ok"), {}, 10_000, allowlist=allow)
        assert followed.status == 200 and followed.url == allowed.url("/ok")
        for target, why in redirect_targets(internal):
            with pytest.raises(NotAllowed) as refused:
                fetch(client, allowed.url(f"/redirect?to={target}"), {}, 10_000, allowlist=allow)
            message = str(refused.value)
            assert "redirects to a URL that may not be fetched" in message and why in message, message
            assert "pass@" not in message
            with pytest.raises(PageUnavailable, match="may not be fetched"):
                page_fetcher(client, 10_000, allowlist=allow)(allowed.url(f"/redirect?to={target}"))
        with pytest.raises(httpx.TooManyRedirects):
            loop = allowed.url("/redirect?to=" + allowed.url("/redirect?to=/ok"))
            fetch(client, loop, {}, 10_000, allowlist=allow, max_redirects=1)
    assert internal.hits == []  # nothing ever reached the internal server


def test_the_feed_poller_reports_a_refused_feed(sites: tuple[Site, Site], tmp_path) -> None:
    from streams.ingest.raw import RawArticleDecoder
    from streams.ingest.state import IngestState
    from streams.schemas import registry_at

    allowed, internal = sites
    settings = Settings(ingest_fetch_allowlist=f"127.0.0.1:{allowed.port}")

    class Sink:
        failures = 0

        def send(self, article: Any) -> None:
            raise AssertionError("nothing to send")

        def flush_failures(self) -> int:
            return 0

    state = IngestState(tmp_path / "state")
    decoder = RawArticleDecoder(registry_at(settings.schemas_dir))
    with http_client(settings) as client:
        poller = FeedPoller(settings, state, Sink(), client, decoder)
        to_metadata = poller.poll(allowed.url("/redirect?to=http://169.254.169.254/latest/"))
        assert to_metadata.report["status"] == "error"
        assert (
            "not allowed: " in to_metadata.report["error"]
            and "169.254.169.254" in to_metadata.report["error"]
        )
        direct = poller.poll(internal.url("/ok"))
        assert "STANCEWIRE_INGEST_FETCH_ALLOWLIST" in direct.report["error"]
        with_password = poller.poll("https://reader:hunter2-pass@feeds.example.com/rss")
        assert "hunter2-pass" not in orjson.dumps(with_password.report).decode()
    assert internal.hits == []


def test_webhooks_follow_no_redirect(sites: tuple[Site, Site]) -> None:
    allowed, internal = sites
    allow = webhook_allowlist(f"127.0.0.1:{allowed.port}")
    target = f"http://127.0.0.1:{internal.port}/ok"
    sub = Subscription.from_doc(
        {
            "id": "s1",
            "rule": {"kind": "entity", "entity": "X"},
            "webhook": {"url": allowed.url(f"/redirect?to={target}"), "secret": "x" * 32},
        }
    )

    async def send() -> Any:
        async with guarded_async_client(allow, timeout=2) as client:
            sender = WebhookSender(client, allowlist=allow, attempts=1, backoff_s=0.1, backoff_max_s=0.1)
            return await sender.send(sub, {"fingerprint": "f1"})

    result = asyncio.run(send())
    assert (result.delivered, result.reason, result.status) == (False, "webhook_rejected", 302)
    assert internal.hits == []


def test_the_resolved_address_is_checked_and_pinned(sites: tuple[Site, Site]) -> None:
    allowed, _ = sites
    allow = webhook_allowlist(f"127.0.0.1:{allowed.port}")
    asked: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        # First answer: the allowed address; any later one would be the metadata service. Pinning
        # means there is no later one: the connection goes to the address that was checked.
        asked.append(host)
        return ["127.0.0.1"] if len(asked) == 1 else ["169.254.169.254"]

    async def mixed(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.7"]

    def subscription(url: str) -> Subscription:
        return Subscription.from_doc(
            {
                "id": "s1",
                "rule": {"kind": "entity", "entity": "X"},
                "webhook": {"url": url, "secret": "x" * 32},
            }
        )

    async def send(resolver: Any, url: str) -> Any:
        async with guarded_async_client(allow, timeout=2, resolver=resolver) as client:
            sender = WebhookSender(client, allowlist=allow, attempts=1, backoff_s=0.1, backoff_max_s=0.1)
            return await sender.send(subscription(url), {"fingerprint": "f1"})

    before = len(allowed.hits)
    pinned = asyncio.run(send(rebinding, f"http://hooks.rebind.test:{allowed.port}/ok"))
    assert pinned.delivered and asked == ["hooks.rebind.test"]
    assert allowed.hits[before:] == [("/ok", f"hooks.rebind.test:{allowed.port}")]  # the name, the pinned IP

    refused = asyncio.run(send(mixed, f"http://evil.rebind.test:{allowed.port}/ok"))
    assert refused.reason == "webhook_not_allowed"
    assert "evil.rebind.test resolves to 10.0.0.7, an internal address (private)" in (refused.error or "")
    metadata = guarded_client(NOTHING, timeout=2, resolver=lambda host, port: ["169.254.169.254"])
    with metadata as client, pytest.raises(NotAllowed, match=r"resolves to 169\.254\.169\.254"):
        client.get("http://metadata.rebind.test/")


def test_a_delivery_is_signed_in_the_standard_webhooks_scheme() -> None:
    received: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    sub = Subscription.from_doc(
        {
            "id": "s1",
            "rule": {"kind": "entity", "entity": "X"},
            "webhook": {"url": "https://hooks.example.com/in", "secret": "whsec_" + "QUJD" * 11},
        }
    )

    async def send() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            sender = WebhookSender(client, allowlist=NOTHING, attempts=1, backoff_s=0.1, backoff_max_s=0.1)
            return await sender.send(sub, {"fingerprint": "f1"})

    assert asyncio.run(send()).delivered
    (request,) = received
    assert verify("whsec_" + "QUJD" * 11, request.content, dict(request.headers)).startswith("msg_")


# --- secrets and passwords in logs and responses ---------------------------------------------------------


def test_no_log_line_and_no_view_carries_a_secret_or_a_url_password(caplog) -> None:
    from streams.alerts.delivery import DeliveryHub, DeliveryJob
    from streams.alerts.subscriptions import public_view
    from streams.netguard import install_log_redaction

    install_log_redaction()
    password, secret = "PASSWORD-CANARY-7", "SECRET-CANARY-0123456789"
    doc = {
        "id": "legacy",
        "rule": {"kind": "entity", "entity": "X"},
        # written before URLs with credentials were refused (or to the topic by hand)
        "webhook": {"url": f"https://hooks:{password}@hooks.example.com/in", "secret": secret},
    }
    flaky = {**doc, "id": "flaky", "webhook": {"url": "https://hooks.example.com/in", "secret": secret}}
    subs = {d["id"]: Subscription.from_doc(d) for d in (doc, flaky)}
    failed: list[Any] = []

    async def on_failed(job: Any, result: Any) -> None:
        failed.append(result)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    async def scenario() -> None:
        async def no_wait(_: float) -> None:
            return None

        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            sender = WebhookSender(
                client, allowlist=NOTHING, attempts=2, backoff_s=0.1, backoff_max_s=0.1, sleep=no_wait
            )
            hub = DeliveryHub(sender, subs.get, on_failed, idle_s=0.1)
            for sid in subs:
                done = asyncio.Event()

                async def ack(event: asyncio.Event = done) -> None:
                    event.set()

                hub.submit(
                    sid, DeliveryJob({"fingerprint": "f", "subscription_id": sid}, "alerts", 0, 1, ack)
                )
                await asyncio.wait_for(done.wait(), 5)
            await hub.close()

    with caplog.at_level("DEBUG"):
        asyncio.run(scenario())
        # whatever logs a URL with a password (a library, a future line of ours) is redacted too
        logging.getLogger("elsewhere").warning("fetching %s", doc["webhook"]["url"])
    assert [r.reason for r in failed] == ["webhook_not_allowed", "webhook_failed"]
    assert "dead-lettered" in caplog.text and "https://***@hooks.example.com/in" in caplog.text
    shown = orjson.dumps([public_view(doc), [str(r) for r in failed]]).decode()
    for text in (caplog.text, shown):
        assert password not in text and secret not in text


def test_redacted_records_still_format_under_formatters_that_rewrap_args() -> None:
    from streams.netguard import install_log_redaction

    install_log_redaction()
    record = logging.getLogger("x").makeRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "starting %s via %s",
        ("<Agent @0x7f>", "http://u:pw@h.example/"),
        None,
    )
    assert record.getMessage() == "starting <Agent @0x7f> via http://***@h.example/"
    assert record.args == ()  # mode's formatter wraps args that are not a tuple: () stays harmless
    assert logging.Formatter("%(message)s").format(record) == record.getMessage()


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/in\r\nX-Injected: 1",  # stored before URLs were checked for CR/LF
        "http://2130706433/in",
        "http://[::ffff:169.254.169.254]/latest",
        "https://user:pw@hooks.example.com/in",
    ],
)
def test_a_stored_url_that_is_no_longer_allowed_is_dead_lettered_not_dropped(url: str) -> None:
    sent: list[httpx.Request] = []
    sub = Subscription.from_doc(
        {"id": "old", "rule": {"kind": "entity", "entity": "X"}, "webhook": {"url": url, "secret": "x" * 32}}
    )

    async def send() -> Any:
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200))
        ) as client:
            sender = WebhookSender(client, allowlist=NOTHING, attempts=3, backoff_s=0.1, backoff_max_s=0.1)
            return await sender.send(sub, {"fingerprint": "f1"})

    result = asyncio.run(send())
    assert (result.delivered, result.reason, result.attempts) == (False, "webhook_not_allowed", 1)
    assert result.error and "pw" not in result.error and sent == []
