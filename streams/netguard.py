"""Which URLs and addresses the worker may reach: one guard for every outbound request. Pure (but
``install_log_redaction``, which hooks the logging module).

Webhook deliveries, feed polls and article-page fetches all go through it (the sockets are opened by
``streams.outbound``, which resolves a host once, asks :func:`check_resolved` about every address and
connects only to the checked ones). Rules:

* http or https only; no credentials in the URL (``user:pass@``): they would be stored, shown and
  logged with the URL, and a webhook is authenticated by its signature instead;
* no control characters or whitespace anywhere (a CR/LF in a URL is a header injection at best);
* an address must be *global* (``not ipaddress.is_global`` is refused, and so are multicast, reserved
  and unspecified addresses): loopback, private, link-local (169.254.169.254, the cloud metadata
  address), carrier-grade NAT 100.64.0.0/10 (100.100.100.200, another metadata address), IPv6
  unique-local and link-local, and IPv4 addresses embedded in IPv6 (``::ffff:127.0.0.1``, 6to4,
  NAT64, Teredo, IPv4-compatible) judged by the IPv4 they carry;
* every spelling of an IPv4 address that a resolver or a browser accepts (``0x7f000001``,
  ``2130706433``, ``127.1``, ``0177.0.0.1``, ``0``) is read as the address it means and written back
  in its canonical form, so a check never judges a different string than the one that is connected to;
* an :class:`Allowlist` (a setting) opens exactly what an operator names: a host name, an address or
  a CIDR, each optionally with a port (``127.0.0.1:8080`` allows that port only).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_CHARS = 2048

# 100.64.0.0/10 is not ``is_private`` but not global either: Python's ``is_global`` excludes it
# explicitly. Named here only to say so in a refusal.
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class NotAllowed(ValueError):
    """The URL or address may not be reached; the message says why and what would allow it."""


@dataclass(frozen=True, slots=True)
class Allowlist:
    """Host names and networks, each with an optional port, that may be reached although internal."""

    hosts: frozenset[tuple[str, int | None]] = frozenset()
    networks: tuple[tuple[IPNetwork, int | None], ...] = ()
    setting: str = "the allowlist"  # the environment variable, named in refusals

    @classmethod
    def parse(cls, text: str | Iterable[str], *, setting: str = "the allowlist") -> Allowlist:
        """Comma-separated entries: ``host``, ``host:port``, ``address``, ``address:port``,
        ``[v6]:port``, ``CIDR``. Raises ``ValueError`` for an entry that is none of these."""
        entries = text.split(",") if isinstance(text, str) else list(text)
        hosts: set[tuple[str, int | None]] = set()
        networks: list[tuple[IPNetwork, int | None]] = []
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            port: int | None = None
            try:
                networks.append((ipaddress.ip_network(entry, strict=False), None))
                continue
            except ValueError:
                pass
            if entry.startswith("["):
                inside, _, rest = entry[1:].partition("]")
                entry, port = inside, _port(rest.removeprefix(":"), raw)
            elif entry.count(":") == 1:
                entry, _, given = entry.partition(":")
                port = _port(given, raw)
            try:
                networks.append((ipaddress.ip_network(entry, strict=False), port))
            except ValueError:
                hosts.add((entry.lower().rstrip("."), port))
        return cls(frozenset(hosts), tuple(networks), setting)

    def allows_host(self, host: str, port: int | None = None) -> bool:
        name = host.lower().rstrip(".")
        return (name, None) in self.hosts or (port is not None and (name, port) in self.hosts)

    def allows_address(self, address: IPAddress, port: int | None = None) -> bool:
        return any(
            address in network and (allowed is None or allowed == port)
            for network, allowed in self.networks
            if network.version == address.version
        )


def _port(text: str, entry: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"allowlist entry {entry.strip()!r}: {text!r} is not a port")
    return int(text)


# --- addresses ---------------------------------------------------------------------------------------


def _legacy_part(part: str) -> int | None:
    """One part of a legacy IPv4 spelling: decimal, 0x-hex or 0-octal (inet_aton's rules)."""
    if part[:2].lower() == "0x":
        digits, base = part[2:], 16
        if not digits:
            return 0
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    try:
        return int(digits, base) if digits.isalnum() and digits.isascii() else None
    except ValueError:
        return None


def _numeric(label: str) -> bool:
    return label.isascii() and (label.isdigit() or (label[:2].lower() == "0x" and label[2:].isalnum()))


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """``host`` read as an IPv4 address the way resolvers and browsers read it (the WHATWG URL rules,
    which are inet_aton's): 1 to 4 parts, each decimal, hex or octal, the last filling the remaining
    bytes. ``None`` when it is a host name. Raises :class:`NotAllowed` when it looks like an address
    (its last label is a number) but is not a valid one: no resolver should be asked about it."""
    labels = host.split(".")
    if not labels or not _numeric(labels[-1]):
        return None
    values = [_legacy_part(label) if label else None for label in labels]
    if len(labels) > 4 or any(v is None for v in values):
        raise NotAllowed(f"{host!r} is neither a host name nor a valid IPv4 address")
    numbers = [v for v in values if v is not None]
    *head, last = numbers
    if any(v > 255 for v in head) or last >= 256 ** (5 - len(numbers)):
        raise NotAllowed(f"{host!r} is out of range for an IPv4 address")
    value = last
    for index, part in enumerate(head):
        value += part << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def parse_host(host: str) -> IPAddress | None:
    """The address a URL's host names, if it is a literal (IPv6, or IPv4 in any spelling)."""
    if ":" in host:
        if "%" in host:
            raise NotAllowed(f"{host!r}: an IPv6 zone (scope) id is not allowed")
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise NotAllowed(f"{host!r} is not a valid IPv6 address") from None
    return parse_ipv4(host)


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo client, NAT64, compatible)."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def why_internal(address: IPAddress) -> str | None:
    """Why the address is not a public one (``None`` when it is): the kind, for a readable refusal."""
    inner = embedded_ipv4(address)
    if inner is not None:
        reason = why_internal(inner)
        if reason is not None:
            return f"{reason} (IPv4 {inner} inside IPv6)"
    for kind, flag in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
    ):
        if flag:
            return kind
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return "carrier-grade NAT / shared"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "not globally routable"
    return None


def check_address(host: str, address: IPAddress | str, port: int | None, allowlist: Allowlist) -> IPAddress:
    """``address`` (``host`` resolved, or its literal) must be public or allowlisted. Returns it parsed."""
    ip = address if not isinstance(address, str) else ipaddress.ip_address(address.split("%", 1)[0])
    shown = embedded_ipv4(ip) or ip
    reason = why_internal(ip)
    if reason is None or allowlist.allows_address(ip, port) or allowlist.allows_address(shown, port):
        return ip
    example = (
        f"[{shown}]:{port}" if shown.version == 6 and port else f"{shown}:{port}" if port else f"{shown}"
    )
    where = f"{shown} is" if host == str(ip) else f"{host} resolves to {shown},"
    raise NotAllowed(
        f"{where} an internal address ({reason}); allow it with {allowlist.setting} (e.g. {example})"
    )


def check_resolved(host: str, port: int, addresses: Iterable[str], allowlist: Allowlist) -> list[str]:
    """Every address ``host`` resolved to must be public or allowlisted (one bad answer refuses all:
    a rebinding attacker answers with a mix). Returns the addresses to connect to, in order."""
    answers = list(dict.fromkeys(addresses))
    if not answers:
        raise NotAllowed(f"{host} resolved to no address")
    if allowlist.allows_host(host, port):
        return answers
    return [str(check_address(host, address, port, allowlist)) for address in answers]


# --- URLs --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    url: str  # normalized: scheme and host in lower case, an address in its canonical spelling
    scheme: str
    host: str  # a host name, or a canonical address (IPv6 without brackets)
    port: int  # the effective port
    address: IPAddress | None  # when the host is a literal address


def _bad_character(text: str) -> tuple[int, str] | None:
    for position, char in enumerate(text):
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Zs"):
            return position, char
    return None


def redact_url(url: str) -> str:
    """The URL with any ``user:password@`` replaced by ``***@``: what logs and responses may show."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]))


def check_url(url: str, allowlist: Allowlist) -> Target:
    """Everything that can be judged without DNS; raises :class:`NotAllowed` with the reason.
    A host name passes here; what it resolves to is checked when connecting (``check_resolved``)."""
    if not isinstance(url, str) or not url:
        raise NotAllowed("no URL")
    if len(url) > MAX_URL_CHARS:
        raise NotAllowed(f"the URL is longer than {MAX_URL_CHARS} characters")
    bad = _bad_character(url)
    if bad is not None:
        raise NotAllowed(
            f"the URL contains a control character or whitespace ({bad[1]!r} at position {bad[0]})"
        )
    try:
        parts = urlsplit(url)
        explicit_port = parts.port
    except ValueError as exc:
        raise NotAllowed(f"not a usable URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise NotAllowed(f"the scheme must be http or https, not {parts.scheme or 'none'!r}")
    if "@" in parts.netloc:
        raise NotAllowed(
            "the URL carries credentials (user:password@host): they would be stored and shown with "
            "the URL; authenticate with the request's signature or an allowlisted host instead"
        )
    raw_host = parts.hostname or ""
    if not raw_host.rstrip("."):
        raise NotAllowed("the URL has no host")
    if explicit_port == 0:
        raise NotAllowed("port 0 is not a port")
    port = explicit_port or DEFAULT_PORTS[scheme]
    address = parse_host(raw_host.rstrip("."))
    if address is not None:
        host = str(address)
        check_address(host, address, port, allowlist)
    else:
        try:
            host = raw_host.rstrip(".").encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise NotAllowed(f"{raw_host!r} is not a valid host name") from None
        if (host == "localhost" or host.endswith(".localhost")) and not allowlist.allows_host(host, port):
            # Resolvers answer loopback for these without asking DNS (RFC 6761).
            check_address(host, ipaddress.IPv4Address("127.0.0.1"), port, allowlist)
    netloc = f"[{host}]" if ":" in host else host
    if explicit_port is not None and explicit_port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{explicit_port}"
    normalized = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    return Target(normalized, scheme, host, port, address)


# --- logs ----------------------------------------------------------------------------------------------

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@?#]+@")


def redact_text(text: str) -> str:
    """``text`` with the ``user:password@`` of every URL in it replaced by ``***@``."""
    return _USERINFO.sub(r"\1***@", text) if "@" in text else text


def install_log_redaction() -> None:
    """Every log record, from any logger (ours, Faust's, httpx's, aiohttp's), is created with URL
    credentials redacted from its message: the guard refuses such URLs, but a document written to the
    subscriptions topic by hand, or a feed URL given on the command line, may still carry one.
    Idempotent."""
    current = logging.getLogRecordFactory()
    if getattr(current, "_stancewire_redacts", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        if record.args or "@" in str(record.msg):
            try:
                message = record.getMessage()
            except Exception:  # a broken format string: leave it for logging to report
                return record
            if "@" in message:
                # () rather than None: formatters such as mode's re-wrap args that are not a tuple
                record.msg, record.args = redact_text(message), ()
        return record

    factory._stancewire_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
