"""Bearer tokens, shared by every token-guarded endpoint of the worker's web server. Pure."""

from __future__ import annotations

import hmac


def bearer_matches(header: str | None, token: str) -> bool:
    """Whether ``Authorization: Bearer <token>`` carries ``token``, compared in constant time.

    aiohttp hands header bytes that are not UTF-8 over as surrogate escapes, which cannot be encoded
    back (a 500 with a traceback before); a token is ASCII, so a header that is not ASCII never
    matches and is an ordinary 401.
    """
    if not header or not header.isascii():
        return False
    scheme, _, value = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())
