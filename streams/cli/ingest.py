"""``stancewire ingest feed|watch``: the feed poller and the drop-folder watcher. Thin loops.

Every decision is in ``streams.ingest.feeds`` / ``streams.ingest.dropfolder``; here are only the
edges: httpx for HTTP (conditional GETs, timeouts, size caps), the kafka-python ``ArticleProducer``
(acks=all, keyed by article_id), the SQLite dedup store, the clock and signals.

Each poll or file prints one JSON line on stdout (for scripts and tests) and one human line on stderr.
Articles are remembered in the dedup store only after Kafka acknowledged them.
"""

from __future__ import annotations

import random
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Protocol

import httpx
import orjson
import typer
from rich.console import Console
from rich.markup import escape

from streams.clock import utc_now_iso
from streams.ingest.dropfolder import DropFolder, content_hashes, read_drop_file
from streams.ingest.feeds import (
    FEED_ACCEPT,
    PAGE_ACCEPT,
    FeedError,
    FeedReader,
    PageUnavailable,
    page_error_is_transient,
    parse_feed,
    parse_retry_after,
    poll_delay,
)
from streams.ingest.raw import RawArticleDecoder
from streams.ingest.state import IngestState, SentArticle
from streams.models import RawArticle
from streams.netguard import Allowlist, NotAllowed, redact_url
from streams.outbound import guarded_client, stream_following
from streams.settings import Settings, get_settings

ingest_app = typer.Typer(
    help="Bring a live wire into articles.raw: RSS/Atom feeds and a drop folder "
    "(partners push with POST /articles on the worker).",
    no_args_is_help=True,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # log lines: never wrapped

OnceOption = Annotated[bool, typer.Option("--once", help="One pass, then exit (cron jobs, tests).")]
StateDirOption = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help="Dedup store directory (default STANCEWIRE_INGEST_STATE_DIR or <data dir>/ingest).",
    ),
]


class Sink(Protocol):
    """What the loops need of a producer (``streams.kafka.producer.ArticleProducer``)."""

    failures: int

    def send(self, article: RawArticle) -> None: ...
    def flush_failures(self) -> int: ...


def send_all(sink: Sink, articles: list[RawArticle]) -> str | None:
    """Send and wait for the acknowledgements; the error when any article was not acknowledged."""
    if not articles:
        return None
    before = sink.failures
    try:
        for article in articles:
            sink.send(article)
    except Exception as exc:  # refused before it left (e.g. over the message size)
        sink.flush_failures()
        return f"kafka refused an article: {exc}"
    failed = sink.flush_failures() - before
    return f"kafka did not acknowledge {failed} of {len(articles)} article(s)" if failed else None


def emit(report: dict[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(report).decode() + "\n")
    sys.stdout.flush()


# --- HTTP ----------------------------------------------------------------------------------------------


class TooLarge(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Fetched:
    status: int
    content: bytes
    headers: httpx.Headers
    url: str


def fetch_allowlist(settings: Settings) -> Allowlist:
    return Allowlist.parse(settings.ingest_fetch_allowlist, setting="STANCEWIRE_INGEST_FETCH_ALLOWLIST")


def http_client(settings: Settings, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The fetch client: connects only to checked, pinned addresses (streams/outbound.py) and follows
    no redirect itself (``fetch`` does, checking each hop). ``transport``: tests serving from memory."""
    return guarded_client(
        fetch_allowlist(settings),
        timeout=settings.ingest_fetch_timeout_s,
        headers={"User-Agent": settings.ingest_user_agent},
        transport=transport,
    )


def fetch(
    client: httpx.Client,
    url: str,
    headers: dict[str, str],
    max_bytes: int,
    *,
    allowlist: Allowlist,
    max_redirects: int = 5,
) -> Fetched:
    """GET, following redirects hop by hop through the outbound guard (raises ``NotAllowed`` for a
    hop that may not be fetched), reading at most ``max_bytes`` of the body (:class:`TooLarge`)."""
    with stream_following(
        client, url, headers=headers, allowlist=allowlist, max_redirects=max_redirects
    ) as response:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge(f"{url} is over the limit of {max_bytes:,} bytes")
            chunks.append(chunk)
        return Fetched(response.status_code, b"".join(chunks), response.headers, str(response.url))


def page_fetcher(
    client: httpx.Client, max_bytes: int, *, allowlist: Allowlist, max_redirects: int = 5
) -> Callable[[str], bytes]:
    def fetch_page(url: str) -> bytes:
        try:
            page = fetch(
                client,
                url,
                {"Accept": PAGE_ACCEPT},
                max_bytes,
                allowlist=allowlist,
                max_redirects=max_redirects,
            )
        except (TooLarge, NotAllowed) as exc:
            raise PageUnavailable(str(exc), transient=False) from None
        except httpx.HTTPError as exc:
            raise PageUnavailable(f"{type(exc).__name__}: {exc}", transient=True) from None
        if page.status != 200:
            raise PageUnavailable(f"HTTP {page.status}", transient=page_error_is_transient(page.status))
        kind = page.headers.get("content-type", "text/html").split(";")[0].strip().lower()
        if kind not in ("text/html", "application/xhtml+xml", "text/plain", ""):
            raise PageUnavailable(f"the link is {kind}, not a web page", transient=False)
        return page.content

    return fetch_page


# --- feeds ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class PollOutcome:
    report: dict[str, Any]
    failures: int  # consecutive failures of this feed after this poll (0: it answered)
    retry_after: float | None = None


class FeedPoller:
    """One poll of one feed: conditional GET → parse → decide → send → remember."""

    def __init__(
        self,
        settings: Settings,
        state: IngestState,
        sink: Sink,
        client: httpx.Client,
        decoder: RawArticleDecoder,
    ) -> None:
        self.settings = settings
        self.state = state
        self.sink = sink
        self.client = client
        self.allowlist = fetch_allowlist(settings)
        self.reader = FeedReader(
            decoder,
            fetch_page=page_fetcher(
                client,
                settings.ingest_max_fetch_bytes,
                allowlist=self.allowlist,
                max_redirects=settings.ingest_max_redirects,
            ),
            seen=state,
        )

    def poll(self, url: str) -> PollOutcome:
        known = self.state.feed(url)
        headers = {"Accept": FEED_ACCEPT}
        if known.etag:
            headers["If-None-Match"] = known.etag
        if known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        base: dict[str, Any] = {"feed": redact_url(url), "at": utc_now_iso()}
        try:
            fetched = fetch(
                self.client,
                url,
                headers,
                self.settings.ingest_max_fetch_bytes,
                allowlist=self.allowlist,
                max_redirects=self.settings.ingest_max_redirects,
            )
        except NotAllowed as exc:
            return self._failed(url, base, f"not allowed: {exc}")
        except (httpx.HTTPError, TooLarge) as exc:
            return self._failed(url, base, f"{type(exc).__name__}: {exc}")
        if fetched.status == 304:
            self.state.feed_polled(url)
            return PollOutcome({**base, "status": "not_modified", "http": 304, "sent": 0}, 0)
        if fetched.status != 200:
            retry_after = parse_retry_after(fetched.headers.get("retry-after"))
            return self._failed(
                url, base, f"HTTP {fetched.status}", http=fetched.status, retry_after=retry_after
            )
        try:
            parsed = parse_feed(
                fetched.content, url=fetched.url, content_type=fetched.headers.get("content-type")
            )
        except FeedError as error:
            return self._failed(url, base, str(error), http=200)
        batch = self.reader.read(parsed, source=f"feed:{url}", ingested_at=utc_now_iso())
        problem = send_all(self.sink, batch.articles)
        if problem:
            return self._failed(url, base, problem, http=200)
        self.state.remember(batch.sent, urls=batch.urls, rejected=batch.rejected_records())
        if batch.complete:
            self.state.feed_succeeded(
                url, etag=fetched.headers.get("etag"), last_modified=fetched.headers.get("last-modified")
            )
        else:
            self.state.feed_polled(url)  # keep the old validators: the next poll reads the items again
        report = {
            **base,
            "status": "ok",
            "http": 200,
            "format": parsed.version,
            "items": len(parsed.items),
            "sent": len(batch.articles),
            "article_ids": [article.article_id for article in batch.articles],
            "duplicates": [d.as_dict() for d in batch.duplicates],
            "rejected": [p.as_dict() for p in batch.rejected],
            "rejected_before": batch.known_rejected,
            "retry": [p.as_dict() for p in batch.retry],
        }
        if parsed.warning:
            report["warning"] = parsed.warning
        return PollOutcome(report, 0)

    def _failed(
        self,
        url: str,
        base: dict[str, Any],
        error: str,
        *,
        http: int | None = None,
        retry_after: float | None = None,
    ) -> PollOutcome:
        failures = self.state.feed_failed(url, error)
        report = {**base, "status": "error", "error": error, "failures": failures, "sent": 0}
        if http is not None:
            report["http"] = http
        return PollOutcome(report, failures, retry_after)


def show_poll(report: dict[str, Any]) -> None:
    feed = escape(report["feed"])
    if report["status"] == "error":
        err.print(f"[red]feed[/] {feed}: {escape(report['error'])} (failure {report['failures']} in a row)")
        return
    if report["status"] == "not_modified":
        err.print(f"feed {feed}: not modified")
        return
    err.print(
        f"feed {feed}: {report['items']} items, {report['sent']} sent, {len(report['duplicates'])} duplicates, "
        f"{len(report['rejected'])} rejected, {len(report['retry'])} to retry"
    )
    for problem in report["rejected"] + report["retry"]:
        err.print(
            f"  [yellow]skipped[/] {escape(problem['item'])}: {problem['reason']}: {escape(problem['message'])}"
        )
    if report.get("warning"):
        err.print(f"  [yellow]warning[/] the document is not well-formed: {escape(report['warning'])}")


# --- shared wiring -------------------------------------------------------------------------------------


def state_dir(settings: Settings, override: Path | None) -> Path:
    return override or settings.ingest_state_dir or settings.data_dir / "ingest"


def decoder_for(settings: Settings) -> RawArticleDecoder:
    return RawArticleDecoder.from_settings(settings)


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM / SIGINT: the loops finish the feed or file at hand, then stop."""
    stop = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def handler(signum: int, frame: object) -> None:
        stop.set()

    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@ingest_app.command("feed")
def feed_command(
    urls: Annotated[list[str], typer.Argument(help="RSS 2.0 or Atom feed URLs.")],
    once: OnceOption = False,
    interval: Annotated[
        float | None,
        typer.Option(help="Seconds between polls of a feed (default STANCEWIRE_INGEST_POLL_INTERVAL_S)."),
    ] = None,
    state: StateDirOption = None,
) -> None:
    """Poll RSS/Atom feeds and send their new items to articles.raw.

    Text from the feed's content, or the linked page's main text; each item once (dedup by URL and
    content across restarts); ETag / Last-Modified honoured; exponential backoff while a feed fails.
    """
    from streams.kafka.producer import ArticleProducer

    settings = get_settings()
    every = interval or settings.ingest_poll_interval_s
    errors = 0
    with (
        stop_on_signals() as stop,
        IngestState(state_dir(settings, state)) as store,
        ArticleProducer(settings) as producer,
        http_client(settings) as client,
    ):
        poller = FeedPoller(settings, store, producer, client, decoder_for(settings))
        due = dict.fromkeys(urls, time.monotonic())
        while not stop.is_set():
            now = time.monotonic()
            for url in [u for u, when in due.items() if when <= now]:
                if stop.is_set():
                    break
                try:
                    outcome = poller.poll(url)
                except Exception as exc:  # whatever it was, this feed waits its backoff, the others go on
                    err.print_exception(max_frames=8)
                    error = f"{type(exc).__name__}: {exc}"
                    failures = store.feed_failed(url, error)
                    report = {"feed": url, "at": utc_now_iso(), "status": "error", "error": error}
                    outcome = PollOutcome({**report, "failures": failures, "sent": 0}, failures)
                emit(outcome.report)
                show_poll(outcome.report)
                errors += outcome.failures > 0
                due[url] = time.monotonic() + poll_delay(
                    outcome.failures,
                    interval=every,
                    base=settings.ingest_backoff_base_s,
                    maximum=settings.ingest_backoff_max_s,
                    retry_after=outcome.retry_after,
                    jitter=random.random() * 0.1,
                )
            if once:
                break
            stop.wait(max(0.0, min(due.values()) - time.monotonic()))
    if once and errors:
        raise typer.Exit(1)


# --- drop folder ---------------------------------------------------------------------------------------


class Watcher:
    """Handles one dropped file: read → check → send the new articles → remember → move."""

    def __init__(
        self,
        settings: Settings,
        folder: DropFolder,
        state: IngestState,
        sink: Sink,
        decoder: RawArticleDecoder,
    ) -> None:
        self.settings = settings
        self.folder = folder
        self.state = state
        self.sink = sink
        self.decoder = decoder

    def handle(self, path: Path) -> dict[str, Any]:
        at = utc_now_iso()
        verdict = read_drop_file(
            path, self.decoder, ingested_at=at, max_bytes=self.settings.ingest_max_file_bytes
        )
        report: dict[str, Any] = {"file": path.name, "at": at}
        if not verdict.ok:
            target = self.folder.move_failed(path, verdict.problems, at=at)
            reasons = [
                {"reason": p.reason, "where": p.origin, "message": p.message} for p in verdict.problems
            ]
            return {**report, "status": "failed", "moved_to": str(target), "sent": 0, "problems": reasons}
        new: list[RawArticle] = []
        sent: list[SentArticle] = []
        hashes_now: set[str] = set()
        for article, content_hash in zip(verdict.articles, content_hashes(verdict.articles), strict=True):
            if content_hash in hashes_now or self.state.has_content(content_hash):
                continue
            hashes_now.add(content_hash)
            new.append(article)
            sent.append(SentArticle(content_hash, article.article_id, article.url, article.source))
        problem = send_all(self.sink, new)
        if problem:  # the file stays where it is and comes round again
            return {**report, "status": "retry", "error": problem, "sent": 0}
        self.state.remember(sent)
        target = self.folder.move_done(path)
        return {
            **report,
            "status": "done",
            "moved_to": str(target),
            "sent": len(new),
            "duplicates": len(verdict.articles) - len(new),
            "article_ids": [article.article_id for article in new],
        }


def show_file(report: dict[str, Any]) -> None:
    name = escape(report["file"])
    if report["status"] == "done":
        err.print(f"file {name}: {report['sent']} sent, {report['duplicates']} duplicates → done/")
    elif report["status"] == "failed":
        err.print(f"[yellow]file[/] {name} → failed/:")
        for problem in report["problems"]:
            err.print(f"  {problem['reason']}: {escape(problem['where'])}: {escape(problem['message'])}")
    else:
        err.print(f"[red]file[/] {name}: {escape(report['error'])}; will retry")


@ingest_app.command("watch")
def watch_command(
    directory: Annotated[Path, typer.Argument(help="The drop folder (done/ and failed/ are created in it).")],
    once: OnceOption = False,
    interval: Annotated[
        float | None, typer.Option(help="Seconds between looks (default STANCEWIRE_INGEST_WATCH_INTERVAL_S).")
    ] = None,
    state: StateDirOption = None,
) -> None:
    """Watch a drop folder and send the articles of every complete file to articles.raw.

    Seed-format, .json or .jsonl files; each then moves to done/, or to failed/ with <name>.reason.txt.
    Write files under a temporary name ('.name', 'name.tmp', 'name.part') and rename them into place.
    """
    from streams.kafka.producer import ArticleProducer

    settings = get_settings()
    if not directory.is_dir():
        err.print(f"[red]error[/] {escape(str(directory))} is not a directory")
        raise typer.Exit(2)
    folder = DropFolder(directory.resolve())
    folder.prepare()
    every = interval or settings.ingest_watch_interval_s
    kafka_failures = 0
    counts = {"done": 0, "failed": 0, "retry": 0, "sent": 0}
    with (
        stop_on_signals() as stop,
        IngestState(state_dir(settings, state)) as store,
        ArticleProducer(settings) as producer,
    ):
        watcher = Watcher(settings, folder, store, producer, decoder_for(settings))
        while not stop.is_set():
            for path in folder.candidates():
                if stop.is_set():
                    break
                try:
                    report = watcher.handle(path)
                except FileNotFoundError:  # taken away while we read it
                    continue
                except OSError as exc:  # cannot read or move it (permissions, disk full): told, kept, retried
                    report = {"file": path.name, "at": utc_now_iso(), "status": "retry", "sent": 0}
                    report["error"] = f"{type(exc).__name__}: {exc}"
                emit(report)
                show_file(report)
                counts[report["status"]] += 1
                counts["sent"] += report["sent"]
                kafka_failures = kafka_failures + 1 if report["status"] == "retry" else 0
            if once:
                break
            wait = every
            if kafka_failures:
                wait = poll_delay(
                    kafka_failures,
                    interval=every,
                    base=settings.ingest_backoff_base_s,
                    maximum=settings.ingest_backoff_max_s,
                )
            stop.wait(wait)
    err.print(
        f"watch {escape(str(directory))}: {counts['done']} done, {counts['failed']} failed, "
        f"{counts['retry']} to retry, {counts['sent']} articles sent"
    )
    if once and counts["retry"]:
        raise typer.Exit(1)
