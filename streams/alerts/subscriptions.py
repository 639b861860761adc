"""Subscriptions: checking what a client sends, and the compiled form the matcher uses. Pure.

A subscription document (``subscription.v1``) is what the compacted ``subscriptions`` topic holds,
key = its id. ``SubscriptionRequests.prepare`` turns a POST body into that document or a
``RequestRefused`` with a status and a sentence; ``Subscription.from_doc`` compiles a document once
(``SubscriptionBook`` caches by content, so the matcher recompiles only what changed).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from streams.alerts import signing
from streams.alerts.articles import iso, parse_time
from streams.alerts.rules import Rule, RuleError, canonical, compile_rule
from streams.alerts.webhooks import Allowlist, WebhookNotAllowed, check_url
from streams.auth import bearer_matches
from streams.netguard import redact_url

SCHEMA_SUBSCRIPTION = "subscription.v1"
MAX_BODY_BYTES = 64 * 1024
SERVER_FIELDS = ("schema", "created_at", "updated_at")


class RequestRefused(Exception):
    """A request the API turns down: HTTP status, a stable code and a sentence a human can act on."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    name: str | None
    rule: Rule
    webhook_url: str | None
    secret: str | None
    mode: str  # instant | digest
    minutes: float
    muted_until: datetime | None
    doc: Mapping[str, Any]
    per: str = "article"  # article | story: one alert per story, later articles as updates

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any], *, digest_minutes: float = 15.0) -> Subscription:
        frequency = doc.get("frequency") or {"mode": "instant"}
        webhook = doc.get("webhook") or {}
        return cls(
            id=doc["id"],
            name=doc.get("name"),
            rule=compile_rule(doc["rule"]),
            webhook_url=webhook.get("url"),
            secret=webhook.get("secret"),
            mode=frequency.get("mode", "instant"),
            minutes=float(frequency.get("minutes") or digest_minutes),
            muted_until=parse_time(doc.get("muted_until")),
            doc=doc,
            per=doc.get("per") or "article",
        )

    def muted(self, now: datetime) -> bool:
        return self.muted_until is not None and now < self.muted_until


def public_view(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A subscription as GET shows it: the webhook secret never leaves the server after creation, and
    a password in the URL never at all (new URLs with credentials are refused; older documents
    written before that rule, or to the topic by hand, may still have one)."""
    view = dict(doc)
    if isinstance(view.get("webhook"), Mapping):
        webhook = dict(view["webhook"])
        webhook["secret"] = "***" if webhook.get("secret") else None
        if isinstance(webhook.get("url"), str):
            webhook["url"] = redact_url(webhook["url"])
        view["webhook"] = webhook
    return view


def check_token(header: str | None, token: str | None) -> None:
    """Bearer-token check for every API call. Raises ``RequestRefused`` (401 / 503)."""
    if not token:
        raise RequestRefused(503, "api_disabled", "the alerting API is off: set STANCEWIRE_API_TOKEN")
    if not header:
        raise RequestRefused(401, "unauthorized", "missing 'Authorization: Bearer <token>' header")
    if not bearer_matches(header, token):
        raise RequestRefused(401, "unauthorized", "wrong bearer token")


def describe_error(error: Any) -> str:
    where = "/".join(str(part) for part in error.absolute_path) or "(document)"
    if {"secret", "url"} & {str(part) for part in error.absolute_path}:
        # jsonschema's message quotes the value: a secret, or a URL with a password, would come back
        # in the response (and in any log of it). Say which rule failed, not what was sent.
        return f"at {where}: the value fails {error.validator} {error.validator_value}"
    return f"at {where}: {error.message}"


@dataclass(frozen=True, slots=True)
class Prepared:
    doc: dict[str, Any]  # what is stored
    created: bool
    generated_secret: str | None  # a secret the server made for this request

    @property
    def shown(self) -> dict[str, Any]:
        """What the POST answers: the document as GET shows it, except a secret the server has just
        generated, shown this once (the receiver needs it). A secret the client sent, or one kept
        from the replaced version, is not sent back."""
        view = public_view(self.doc)
        if self.generated_secret is not None:
            view["webhook"] = {**view["webhook"], "secret": self.generated_secret}
        return view


class SubscriptionRequests:
    """Built once per worker: the compiled JSON Schema, the webhook allowlist, the digest default."""

    def __init__(
        self,
        validator: Draft202012Validator,
        *,
        allowlist: Allowlist,
        digest_minutes: float = 15.0,
        new_id: Callable[[], str] = lambda: f"sub-{secrets.token_hex(6)}",
        new_secret: Callable[[], str] = signing.new_secret,
    ) -> None:
        self.validator = validator
        self.allowlist = allowlist
        self.digest_minutes = digest_minutes
        self.new_id = new_id
        self.new_secret = new_secret

    def validate(self, doc: Mapping[str, Any]) -> Subscription:
        """Schema, then meaning (rule semantics, mute time, webhook target). Raises ``RequestRefused``."""
        error = best_match(self.validator.iter_errors(doc))
        if error is not None:
            raise RequestRefused(422, "invalid_subscription", describe_error(error))
        try:
            subscription = Subscription.from_doc(doc, digest_minutes=self.digest_minutes)
        except RuleError as exc:
            raise RequestRefused(422, "invalid_rule", str(exc)) from None
        if doc.get("muted_until") is not None and subscription.muted_until is None:
            raise RequestRefused(
                422,
                "invalid_subscription",
                "at muted_until: not an ISO-8601 date-time, e.g. 2026-01-31T18:00Z",
            )
        if subscription.webhook_url:
            try:
                check_url(subscription.webhook_url, self.allowlist)
            except WebhookNotAllowed as exc:
                raise RequestRefused(422, "webhook_not_allowed", f"at webhook/url: {exc}") from None
        return subscription

    def prepare(
        self, body: bytes, *, existing: Callable[[str], Mapping[str, Any] | None], now: datetime
    ) -> tuple[dict[str, Any], bool]:
        """A POST body → (the document to store, whether it is new). Raises ``RequestRefused``."""
        prepared = self.prepare_write(body, existing=existing, now=now)
        return prepared.doc, prepared.created

    def prepare_write(
        self, body: bytes, *, existing: Callable[[str], Mapping[str, Any] | None], now: datetime
    ) -> Prepared:
        """``prepare``, plus what the POST may answer (``Prepared.shown``)."""
        if len(body) > MAX_BODY_BYTES:
            raise RequestRefused(413, "too_large", f"a subscription is at most {MAX_BODY_BYTES} bytes")
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise RequestRefused(400, "invalid_json", f"the body is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise RequestRefused(422, "invalid_subscription", "a subscription must be a JSON object")
        for name in SERVER_FIELDS:
            data.pop(name, None)  # the server's to set
        data.setdefault("id", self.new_id())
        previous = existing(data["id"]) if isinstance(data["id"], str) else None
        frequency = data.setdefault("frequency", {"mode": "instant"})
        if isinstance(frequency, dict) and frequency.get("mode") == "digest":
            frequency.setdefault("minutes", self.digest_minutes)
        generated: str | None = None
        webhook = data.get("webhook")
        if isinstance(webhook, dict) and isinstance(webhook.get("url"), str):
            # Stored in its normalized form (an address in its canonical spelling, scheme and host in
            # lower case): what is checked at delivery is exactly what was checked here.
            # A URL that fails the check stays as given: validate() refuses it, after the schema.
            with contextlib.suppress(WebhookNotAllowed):
                webhook["url"] = check_url(webhook["url"], self.allowlist).url
        if isinstance(webhook, dict) and "secret" not in webhook:
            # Keep the secret of the subscription being replaced when it kept its URL; else a new one.
            old = (previous or {}).get("webhook") or {}
            webhook["secret"] = old.get("secret") if old.get("url") == webhook.get("url") else None
            if not webhook["secret"]:
                webhook["secret"] = generated = self.new_secret()
        stamp = iso(now)
        doc = {
            "schema": SCHEMA_SUBSCRIPTION,
            **data,
            "created_at": (previous or {}).get("created_at", stamp),
            "updated_at": stamp,
        }
        self.validate(doc)
        return Prepared(doc, previous is None, generated)


class SubscriptionBook:
    """Compiled subscriptions, recompiled only when a document changes. Unusable documents (written
    to the topic by hand, or valid under an older version) are skipped and reported once each."""

    def __init__(self, *, digest_minutes: float = 15.0, on_invalid: Callable[[str, str], None] | None = None):
        self.digest_minutes = digest_minutes
        self.on_invalid = on_invalid
        self._cache: dict[str, tuple[bytes, Subscription | None]] = {}

    def get(self, key: str, doc: Any) -> Subscription | None:
        """The compiled form of one document (None if it is unusable or not a document)."""
        if not isinstance(doc, Mapping):
            return None
        stamp = canonical(doc)
        cached = self._cache.get(key)
        if cached is None or cached[0] != stamp:
            try:
                compiled: Subscription | None = Subscription.from_doc(doc, digest_minutes=self.digest_minutes)
            except (RuleError, KeyError, TypeError, ValueError) as exc:
                compiled = None
                if self.on_invalid:
                    self.on_invalid(key, str(exc))
            cached = (stamp, compiled)
            self._cache[key] = cached
        return cached[1]

    def compile(self, docs: Iterable[tuple[str, Any]]) -> list[Subscription]:
        """All usable subscriptions among ``docs``, by id; forgets cached ones no longer there."""
        out: list[Subscription] = []
        live: set[str] = set()
        for key, doc in docs:
            live.add(key)
            compiled = self.get(key, doc)
            if compiled is not None:
                out.append(compiled)
        for gone in set(self._cache) - live:
            del self._cache[gone]
        return sorted(out, key=lambda s: s.id)
