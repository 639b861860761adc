"""Webhook policy: which targets may be called, which answers are retried, how long to wait. Pure.

By default a webhook may not reach private, loopback, link-local, multicast or reserved addresses
(so a subscription cannot make the worker probe the internal network); an allowlist of host names
and CIDRs opens exactly what an operator names. The URL is checked when the subscription is
created (literal addresses and ``localhost``) and again, after DNS resolution, before every delivery.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

Verdict = Literal["delivered", "retry", "rejected"]


class WebhookNotAllowed(ValueError):
    """The webhook URL may not be called (scheme, host, or an internal address not allowlisted)."""


@dataclass(frozen=True, slots=True)
class Allowlist:
    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, text: str | Iterable[str]) -> Allowlist:
        entries = text.split(",") if isinstance(text, str) else list(text)
        hosts, networks = set(), []
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks if network.version == address.version)


def is_internal(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def check_address(host: str, address: str, allowlist: Allowlist) -> None:
    ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if is_internal(ip) and not (allowlist.allows_host(host) or allowlist.allows_address(ip)):
        raise WebhookNotAllowed(
            f"{host} resolves to the internal address {ip}; allow it with STANCEWIRE_ALERT_WEBHOOK_ALLOWLIST"
        )


def check_url(url: str, allowlist: Allowlist) -> str:
    """Static checks: http(s), a host, and no internal literal address or localhost name unless
    allowlisted. Returns the host (to resolve and check with ``check_addresses`` before sending)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookNotAllowed(f"not a usable URL: {exc}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise WebhookNotAllowed(f"the scheme must be http or https, not {parts.scheme or 'none'!r}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise WebhookNotAllowed("the URL has no host")
    if port == 0:
        raise WebhookNotAllowed("port 0 is not a port")
    if allowlist.allows_host(host):
        return host
    try:
        check_address(host, host, allowlist)
    except ValueError as exc:
        if isinstance(exc, WebhookNotAllowed):
            raise
        if host.lower() == "localhost" or host.lower().endswith(".localhost"):
            check_address(host, "127.0.0.1", allowlist)
    return host


def check_addresses(host: str, addresses: Iterable[str], allowlist: Allowlist) -> None:
    """Every address ``host`` resolved to must be public or allowlisted."""
    if allowlist.allows_host(host):
        return
    for address in addresses:
        check_address(host, address, allowlist)


def classify(status: int) -> Verdict:
    """2xx delivered; 408, 425, 429 and 5xx worth another try; anything else a refusal."""
    if 200 <= status < 300:
        return "delivered"
    if status in (408, 425, 429) or status >= 500:
        return "retry"
    return "rejected"


def retry_delay(attempt: int, *, base: float, cap: float, jitter: float = 0.1, rand: float = 0.5) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based): base·2^(attempt−1), at most ``cap``,
    spread by ±``jitter`` (``rand`` in [0, 1) picks where; 0.5 is the middle)."""
    delay = min(cap, base * 2 ** (attempt - 1))
    return max(0.0, delay * (1 + jitter * (2 * rand - 1)))


def retry_after(value: str | None, *, cap: float) -> float | None:
    """A Retry-After header (seconds or an HTTP date) as seconds, at most ``cap``; None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(cap, float(value))
    try:
        moment = parsedate_to_datetime(value)
        return min(cap, max(0.0, (moment - datetime.now(UTC)).total_seconds()))
    except (TypeError, ValueError):
        return None
