"""Webhook signatures in the Standard Webhooks scheme (www.standardwebhooks.com). Pure.

Every delivery carries three headers::

    webhook-id: msg_<32 hex>          the same for every attempt of one alert (receivers dedupe on it)
    webhook-timestamp: <unix seconds>  when this attempt was signed
    webhook-signature: v1,<base64 of HMAC-SHA256(key, "{id}.{timestamp}.{body}")>

Signing the id and the timestamp with the body is what makes a captured request useless later: a
receiver that calls :func:`verify` refuses a timestamp outside its tolerance (5 minutes by default)
and dedupes on the id inside it. The key is the secret as the scheme defines it: ``whsec_`` followed
by base64 is the decoded bytes (the form the worker generates, which any Standard Webhooks library
takes as it is); any other secret is used as its UTF-8 bytes.

Written out rather than taken from the ``standardwebhooks`` package: its tolerance is fixed at five
minutes and it reads every secret as base64; the tests check this module against it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_S = 300  # STANCEWIRE_ALERT_WEBHOOK_TOLERANCE_S has the same default


class SignatureError(ValueError):
    """The request is not a valid, fresh delivery: missing headers, stale or bad signature."""


def new_secret() -> str:
    """A fresh signing secret in the scheme's own format (24 to 64 random bytes; we use 32)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def secret_key(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            pass  # not base64 after all: a plain secret that happens to start with the prefix
    return secret.encode("utf-8")


def message_id(subscription_id: str, fingerprint: str) -> str:
    """The delivery's id: a function of the alert alone, so a retry, or a redelivery after a crash,
    carries the same id and a receiver recognises it."""
    digest = hashlib.sha256(f"{subscription_id}\x00{fingerprint}".encode()).hexdigest()
    return f"msg_{digest[:32]}"


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for one attempt."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    mac = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode("ascii")


def signed_headers(secret: str, msg_id: str, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(stamp),
        SIGNATURE_HEADER: sign(secret, msg_id, stamp, body),
    }


def verify(
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> str:
    """What a receiver does with a delivery: check the signature over the exact bytes received and
    that the timestamp is within ``tolerance_s`` of ``now`` (either way: clocks drift). Returns the
    ``webhook-id`` (dedupe on it: within the window a replay verifies too). Raises
    :class:`SignatureError` saying what is wrong. ``headers``: any mapping, names in any case."""
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id = lowered.get(ID_HEADER)
    stamp = lowered.get(TIMESTAMP_HEADER)
    given = lowered.get(SIGNATURE_HEADER)
    if not (msg_id and stamp and given):
        raise SignatureError(f"missing {ID_HEADER}, {TIMESTAMP_HEADER} or {SIGNATURE_HEADER}")
    if not stamp.isascii() or not stamp.isdigit():
        raise SignatureError(f"{TIMESTAMP_HEADER} is not a Unix time in seconds")
    timestamp = int(stamp)
    skew = (time.time() if now is None else now) - timestamp
    if skew > tolerance_s:
        raise SignatureError(f"the message is {skew:.0f} s old, over the tolerance of {tolerance_s:g} s")
    if -skew > tolerance_s:
        raise SignatureError(f"the message is {-skew:.0f} s in the future, over the tolerance")
    expected = sign(secret, msg_id, timestamp, body).encode()
    # Several signatures may be sent, space-separated (the sender rotating its secret).
    for candidate in given.split():
        if hmac.compare_digest(expected, candidate.encode("utf-8", "replace")):
            return msg_id
    raise SignatureError("no signature matches")
