"""The desk: the page at ``GET /`` with its files at ``GET /static/{path}`` (from the package
directory ``streams/web/static/``, shipped in the wheel), and ``GET /api/alerts/live``, the SSE
stream of every alert the worker reads, which the page shows as they come.

The page and its files need no token: they hold no data, and the page asks for the token itself.
Every data request it makes goes to the token-guarded API. ``static_file`` and ``content_type`` are
the pure part: which file a path names (never one outside the directory) and what it is.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

import faust
from faust.web import View

from streams.alerts.feed import AlertFeed
from streams.web.api import authorize
from streams.web.params import ApiRefused
from streams.web.responses import json_response, refuse_uncached, stream_feed

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Explicit for what a page is made of: the system's mime.types differs between machines (some have
# no .mjs, or .js as application/x-javascript), and a module script with the wrong type is refused.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".txt": "text/plain; charset=utf-8",
}

# Files are served as they are in the package (no hashed names, no build step), so a browser keeps
# them but asks each time whether they changed (ETag → 304): a new release shows at the next load.
# nosniff: a file is only ever what its Content-Type says; no-referrer: the page's address (which
# can carry #token= on first load) never leaves in a Referer; DENY: the desk is not framed.
STATIC_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def static_file(root: Path, relative: str) -> Path | None:
    """The file ``relative`` names under ``root``, or None: no ``..``, no hidden or empty segment,
    no backslash or NUL, nothing that resolves (through a link too) outside ``root``, no directory."""
    if not relative or "\\" in relative or "\x00" in relative:
        return None
    if any(part in ("", ".", "..") or part.startswith(".") for part in relative.split("/")):
        return None
    base = root.resolve()
    try:
        candidate = (base / relative).resolve()
    except (OSError, RuntimeError, ValueError):  # a link loop, a name the file system refuses
        return None
    if not candidate.is_relative_to(base) or not candidate.is_file():
        return None
    return candidate


def content_type(path: Path) -> str:
    known = CONTENT_TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def etag(path: Path) -> str:
    stat = path.stat()
    return f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'


def serve_file(view: View, request: Any, path: Path | None) -> Any:
    if path is None:
        return json_response(view, {"error": "not_found", "detail": "no such file"}, 404)
    tag = etag(path)
    headers = {**STATIC_HEADERS, "ETag": tag}
    if tag in (request.headers.get("If-None-Match") or ""):
        return view.bytes(b"", status=304, headers=headers)
    # Small files, read as they are asked for: a page is a handful of them.
    return view.bytes(path.read_bytes(), headers={**headers, "Content-Type": content_type(path)})


def register_desk(app: faust.App, *, token: str | None, feed: AlertFeed, root: Path = STATIC_DIR) -> None:
    @app.page("/", name="desk-index")
    class DeskView(View):
        async def get(self, request: Any) -> Any:
            return serve_file(self, request, static_file(root, "index.html"))

    @app.page("/static/{path:.*}", name="desk-static")
    class StaticView(View):
        async def get(self, request: Any, path: str = "") -> Any:
            return serve_file(self, request, static_file(root, path))

    @app.page("/api/alerts/live", name="api-alerts-live")
    class LiveAlertsView(View):
        async def get(self, request: Any) -> Any:
            try:
                authorize(request.headers.get("Authorization"), token)
            except ApiRefused as exc:
                return refuse_uncached(self, exc)
            async with feed.listen(None, request.headers.get("Last-Event-ID")) as listener:
                return await stream_feed(request, listener, {"stream": "alerts", "subscription": None})
