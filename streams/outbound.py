"""HTTP clients whose connections can only go where ``streams.netguard`` allows. A thin edge.

httpx resolves a host name itself when it connects, so checking the name's addresses beforehand
leaves a gap: a DNS answer that changes in between (rebinding) reaches an address nobody checked.
Here the connection is opened by a network backend that resolves the host once, checks every
address it got, and connects to the checked addresses only (the address is pinned for that
connection; TLS still verifies the certificate against the host name). Every new connection is
checked; a kept-alive one was checked when it was opened.

The clients never follow redirects and ignore proxy variables from the environment (a proxy would
connect on our behalf, past the check); ``fetch_following`` follows redirects by hand, checking
every hop's URL before asking for it.
"""

from __future__ import annotations

import asyncio
import socket
import typing
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import httpcore
import httpx

from streams.netguard import Allowlist, NotAllowed, check_resolved, check_url

AsyncResolver = Callable[[str, int], Awaitable[list[str]]]
SyncResolver = Callable[[str, int], list[str]]
SocketOptions = typing.Iterable[typing.Any] | None
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


async def resolve_async(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def resolve_sync(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


class GuardedAsyncBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, allowlist: Allowlist, resolver: AsyncResolver = resolve_async) -> None:
        self.allowlist = allowlist
        self.resolver = resolver
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: SocketOptions = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            answers = await self.resolver(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        error: Exception | None = None
        for address in check_resolved(host, port, answers, self.allowlist):
            try:
                return await self.inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc  # the next checked address, as a resolver-driven client would
        assert error is not None
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: SocketOptions = None
    ) -> httpcore.AsyncNetworkStream:
        raise NotAllowed("unix sockets are not an outbound target")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedSyncBackend(httpcore.NetworkBackend):
    def __init__(self, allowlist: Allowlist, resolver: SyncResolver = resolve_sync) -> None:
        self.allowlist = allowlist
        self.resolver = resolver
        self.inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: SocketOptions = None,
    ) -> httpcore.NetworkStream:
        try:
            answers = self.resolver(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        error: Exception | None = None
        for address in check_resolved(host, port, answers, self.allowlist):
            try:
                return self.inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: SocketOptions = None
    ) -> httpcore.NetworkStream:
        raise NotAllowed("unix sockets are not an outbound target")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def _pool_options(limits: httpx.Limits) -> dict[str, typing.Any]:
    return {
        "ssl_context": httpx.create_ssl_context(),
        "max_connections": limits.max_connections,
        "max_keepalive_connections": limits.max_keepalive_connections,
        "keepalive_expiry": limits.keepalive_expiry,
    }


class GuardedAsyncTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport with the connection pool built on :class:`GuardedAsyncBackend` (httpx
    has no parameter for the network backend; the pool is the one it would build, plus that)."""

    def __init__(
        self,
        allowlist: Allowlist,
        *,
        resolver: AsyncResolver = resolve_async,
        limits: httpx.Limits = DEFAULT_LIMITS,
    ) -> None:
        super().__init__(limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            **_pool_options(limits), network_backend=GuardedAsyncBackend(allowlist, resolver)
        )


class GuardedTransport(httpx.HTTPTransport):
    def __init__(
        self,
        allowlist: Allowlist,
        *,
        resolver: SyncResolver = resolve_sync,
        limits: httpx.Limits = DEFAULT_LIMITS,
    ) -> None:
        super().__init__(limits=limits, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            **_pool_options(limits), network_backend=GuardedSyncBackend(allowlist, resolver)
        )


def guarded_async_client(
    allowlist: Allowlist,
    *,
    timeout: float,
    limits: httpx.Limits = DEFAULT_LIMITS,
    resolver: AsyncResolver = resolve_async,
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=GuardedAsyncTransport(allowlist, resolver=resolver, limits=limits),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
    )


def guarded_client(
    allowlist: Allowlist,
    *,
    timeout: float,
    headers: dict[str, str] | None = None,
    resolver: SyncResolver = resolve_sync,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """A sync client for fetches. ``transport`` replaces the guarded one (tests serving from memory)."""
    return httpx.Client(
        transport=transport or GuardedTransport(allowlist, resolver=resolver),
        timeout=timeout,
        headers=headers,
        follow_redirects=False,
        trust_env=False,
    )


REDIRECTS = (301, 302, 303, 307, 308)


@contextmanager
def stream_following(
    client: httpx.Client,
    url: str,
    *,
    headers: dict[str, str],
    allowlist: Allowlist,
    max_redirects: int = 5,
) -> Iterator[httpx.Response]:
    """GET ``url``, following redirects by hand: each hop's URL is checked (``check_url``) before it
    is asked for, and its connection by the guarded transport. Raises :class:`NotAllowed` for a hop
    that may not be reached, ``httpx.TooManyRedirects`` past ``max_redirects``."""
    current = check_url(url, allowlist).url
    for _hop in range(max_redirects + 1):
        response = client.send(client.build_request("GET", current, headers=headers), stream=True)
        location = response.headers.get("location")
        if response.status_code not in REDIRECTS or not location:
            try:
                yield response
            finally:
                response.close()
            return
        response.close()
        try:
            target = check_url(str(response.url.join(location)), allowlist)
        except NotAllowed as exc:
            where = urlunsplit(urlsplit(current)._replace(query="", fragment=""))
            raise NotAllowed(f"{where} redirects to a URL that may not be fetched: {exc}") from None
        current = target.url
    raise httpx.TooManyRedirects(f"more than {max_redirects} redirects from {url}")
