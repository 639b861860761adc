"""Webhook policy (allowlist, retries, backoff), signatures, the sender and the per-subscription hub,
with an in-process httpx transport instead of a network."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import httpx
import orjson
import pytest
import standardwebhooks

from streams.alerts.delivery import DeliveryHub, DeliveryJob, DeliveryResult, WebhookSender, dead_letter
from streams.alerts.signing import (
    DEFAULT_TOLERANCE_S,
    SignatureError,
    message_id,
    new_secret,
    sign,
    signed_headers,
    verify,
)
from streams.alerts.subscriptions import Subscription
from streams.alerts.webhooks import (
    Allowlist,
    WebhookNotAllowed,
    check_addresses,
    check_url,
    classify,
    retry_after,
    retry_delay,
    webhook_allowlist,
)
from streams.settings import Settings

ALERT = {"schema": "alert.v1", "fingerprint": "f" * 32, "subscription_id": "s1", "article_id": "a1"}


def subscription(
    sid: str = "s1", url: str = "http://127.0.0.1:9999/hook", secret: str = "x" * 32
) -> Subscription:
    return Subscription.from_doc(
        {"id": sid, "rule": {"kind": "entity", "entity": "X"}, "webhook": {"url": url, "secret": secret}}
    )


SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the Standard Webhooks test-vector secret


def test_signature_follows_the_standard_webhooks_scheme() -> None:
    # The scheme's own published test vector (id, timestamp, body → signature).
    body = b'{"test": 2432232314}'
    assert sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )
    headers = signed_headers(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", body, timestamp=1614265330)
    assert verify(SECRET, body, headers, now=1614265330 + 10) == "msg_p5jXN8AQM9LWM0D4loKWxJek"
    # ... and the reference implementation accepts what we sign, now (its tolerance is fixed)
    fresh = signed_headers(SECRET, "msg_1", body)
    assert standardwebhooks.Webhook(SECRET).verify(body, fresh) == {"test": 2432232314}
    # a plain secret (not whsec_ + base64) is its UTF-8 bytes
    plain = signed_headers("plain-secret-0123456789", "msg_2", body)
    assert standardwebhooks.Webhook(b"plain-secret-0123456789").verify(body, plain) is not None


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda h, b: (h, b + b" "), "no signature matches"),
        (lambda h, b: ({**h, "webhook-id": "msg_other"}, b), "no signature matches"),
        (lambda h, b: ({**h, "webhook-timestamp": str(int(h["webhook-timestamp"]) + 1)}, b), "no signature"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "webhook-signature"}, b), "missing"),
        (lambda h, b: ({**h, "webhook-timestamp": "soon"}, b), "not a Unix time"),
    ],
)
def test_a_tampered_delivery_is_rejected(change: Any, why: str) -> None:
    body = orjson.dumps(ALERT)
    headers, body = change(signed_headers(SECRET, "msg_x", body, timestamp=1_700_000_000), body)
    with pytest.raises(SignatureError, match=why):
        verify(SECRET, body, headers, now=1_700_000_000)


def test_a_replay_outside_the_tolerance_is_rejected() -> None:
    body = orjson.dumps(ALERT)
    sent_at = 1_700_000_000
    headers = signed_headers(SECRET, "msg_x", body, timestamp=sent_at)
    assert verify(SECRET, body, headers, now=sent_at + 299) == "msg_x"  # inside: the id dedupes it
    with pytest.raises(SignatureError, match="301 s old, over the tolerance of 300 s"):
        verify(SECRET, body, headers, now=sent_at + 301)
    with pytest.raises(SignatureError, match="in the future"):
        verify(SECRET, body, headers, now=sent_at - 301)
    assert verify(SECRET, body, headers, now=sent_at + 3000, tolerance_s=3600) == "msg_x"
    with pytest.raises(SignatureError, match="over the tolerance of 60 s"):
        verify(SECRET, body, headers, now=sent_at + 61, tolerance_s=60)
    assert Settings().alert_webhook_tolerance_s == DEFAULT_TOLERANCE_S == 300
    with pytest.raises(SignatureError, match="no signature matches"):
        verify("whsec_" + "A" * 44, body, headers, now=sent_at)


def test_generated_secrets_are_standard_webhooks_secrets_and_ids_are_per_alert() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert message_id("s1", "f" * 32) == message_id("s1", "f" * 32) != message_id("s2", "f" * 32)


def test_allowlist_hosts_and_networks() -> None:
    allow = webhook_allowlist(" 127.0.0.1/32, hooks.internal ,10.0.0.0/8,")
    assert check_url("http://127.0.0.1:8000/x", allow).host == "127.0.0.1"
    assert check_url("http://10.9.8.7/x", allow).host == "10.9.8.7"
    assert check_url("https://hooks.internal/x", allow).host == "hooks.internal"
    check_addresses(
        "hooks.internal", ["192.168.0.1"], allow
    )  # a named host is allowed whatever it resolves to
    with pytest.raises(WebhookNotAllowed):
        check_url("http://127.0.0.2/x", allow)
    with pytest.raises(WebhookNotAllowed, match=r"resolves to 192\.168\.1\.1, an internal address"):
        check_addresses("sneaky.example.com", ["93.184.216.34", "192.168.1.1"], allow)
    with pytest.raises(WebhookNotAllowed, match=r"127\.0\.0\.1"):
        check_addresses("mapped.example.com", ["::ffff:127.0.0.1"], Allowlist())
    check_addresses("public.example.com", ["93.184.216.34", "2606:2800:220:1::1"], Allowlist())
    for bad in ("file:///etc/passwd", "gopher://x", "http://", "http://x:0/"):
        with pytest.raises(WebhookNotAllowed):
            check_url(bad, allow)


def test_retry_classification_and_backoff() -> None:
    assert [classify(s) for s in (200, 204, 301, 400, 404, 408, 429, 500, 503)] == [
        "delivered",
        "delivered",
        "rejected",
        "rejected",
        "rejected",
        "retry",
        "retry",
        "retry",
        "retry",
    ]
    assert [retry_delay(n, base=1, cap=10, jitter=0) for n in (1, 2, 3, 4, 5, 6)] == [1, 2, 4, 8, 10, 10]
    assert retry_delay(1, base=1, cap=10, jitter=0.1, rand=0.0) == pytest.approx(0.9)
    assert retry_delay(1, base=1, cap=10, jitter=0.1, rand=0.999) == pytest.approx(1.1, abs=1e-3)
    assert retry_after("3", cap=60) == 3 and retry_after("600", cap=60) == 60
    assert retry_after(None, cap=60) is None and retry_after("soon", cap=60) is None


def sender(handler: Any, *, attempts: int = 4, sleeps: list[float] | None = None) -> WebhookSender:
    async def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    return WebhookSender(
        httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        allowlist=webhook_allowlist("127.0.0.1/32"),
        attempts=attempts,
        backoff_s=0.5,
        backoff_max_s=10,
        sleep=sleep,
        rand=lambda: 0.5,
    )


def test_sender_signs_retries_with_backoff_then_succeeds() -> None:
    seen: list[httpx.Request] = []
    answers = iter([500, 502, 503, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(next(answers))

    sleeps: list[float] = []
    result = asyncio.run(sender(handler, sleeps=sleeps).send(subscription(), ALERT))
    assert result == DeliveryResult(True, 4, status=200, host="127.0.0.1")
    assert sleeps == [0.5, 1.0, 2.0]
    assert [r.headers["X-Stancewire-Attempt"] for r in seen] == ["1", "2", "3", "4"]
    body = seen[0].content
    assert orjson.loads(body) == ALERT
    # every attempt signed afresh, all with the one id of this alert (a receiver dedupes on it)
    assert {verify("x" * 32, r.content, r.headers) for r in seen} == {message_id("s1", "f" * 32)}
    assert seen[0].headers["X-Stancewire-Fingerprint"] == "f" * 32
    assert "X-Stancewire-Signature" not in seen[0].headers  # the old body-only HMAC could be replayed


def test_sender_gives_up_rejects_and_refuses() -> None:
    always_500 = asyncio.run(sender(lambda r: httpx.Response(500), attempts=3).send(subscription(), ALERT))
    assert (always_500.delivered, always_500.reason, always_500.attempts) == (False, "webhook_failed", 3)
    assert "HTTP 500" in (always_500.error or "")
    gone = asyncio.run(sender(lambda r: httpx.Response(410)).send(subscription(), ALERT))
    assert (gone.reason, gone.attempts, gone.status) == ("webhook_rejected", 1, 410)

    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    down = asyncio.run(sender(boom, attempts=2).send(subscription(), ALERT))
    assert down.reason == "webhook_failed" and "ConnectError" in (down.error or "")
    inside = asyncio.run(
        sender(lambda r: httpx.Response(200)).send(subscription(url="http://10.0.0.5/h"), ALERT)
    )
    assert inside.reason == "webhook_not_allowed"


def test_dead_letter_is_a_deadletter_v1_event(registry) -> None:
    job = DeliveryJob(ALERT, "alerts", 1, 42, done=lambda: asyncio.sleep(0))
    event = dead_letter(
        job,
        DeliveryResult(False, 5, "webhook_failed", "HTTP 500 after 5 attempts", 500, "h"),
        max_payload_bytes=1000,
    )
    registry.validate(event)
    assert orjson.loads(event["payload"]) == ALERT
    assert (event["source_topic"], event["source_partition"], event["source_offset"]) == ("alerts", 1, 42)
    assert (event["subscription_id"], event["fingerprint"], event["attempts"]) == ("s1", "f" * 32, 5)


def test_a_slow_receiver_delays_only_its_own_subscription() -> None:
    async def scenario() -> tuple[dict[str, float], list[str], list[str]]:
        arrived: dict[str, float] = {}
        release = asyncio.Event()

        async def handler(request: httpx.Request) -> httpx.Response:
            sid = request.headers["X-Stancewire-Subscription"]
            if sid == "slow":
                await release.wait()
            arrived[f"{sid}:{orjson.loads(request.content)['article_id']}"] = time.monotonic()
            return httpx.Response(200)

        subs = {s.id: s for s in (subscription("slow"), subscription("fast"))}
        acked: list[str] = []
        failed: list[str] = []

        async def on_failed(job: DeliveryJob, result: DeliveryResult) -> None:
            failed.append(str(job.alert["article_id"]))

        hub = DeliveryHub(sender(handler), subs.get, on_failed, idle_s=0.2)
        started = time.monotonic()
        for i in range(3):
            for sid in ("slow", "fast"):
                alert = {**ALERT, "subscription_id": sid, "article_id": f"a{i}"}

                async def done(key: str = f"{sid}:a{i}") -> None:
                    acked.append(key)

                hub.submit(sid, DeliveryJob(alert, "alerts", 0, i, done=done))
        for _ in range(100):
            if len([k for k in arrived if k.startswith("fast")]) == 3:
                break
            await asyncio.sleep(0.01)
        fast_done = {k: v - started for k, v in arrived.items()}
        release.set()
        for _ in range(100):
            if len(acked) == 6:
                break
            await asyncio.sleep(0.01)
        await hub.close()
        return fast_done, acked, failed

    fast_done, acked, failed = asyncio.run(scenario())
    assert sorted(fast_done) == ["fast:a0", "fast:a1", "fast:a2"]  # while "slow" was still stuck
    assert max(fast_done.values()) < 0.5
    assert sorted(acked) == sorted(f"{s}:a{i}" for s in ("slow", "fast") for i in range(3))
    assert [k for k in acked if k.startswith("slow")] == ["slow:a0", "slow:a1", "slow:a2"]  # in order
    assert failed == []
