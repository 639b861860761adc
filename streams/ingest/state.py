"""What the feed poller and the drop-folder watcher have already sent, kept across restarts.

One SQLite file (stdlib ``sqlite3``, WAL mode) under the ingest state directory, shared by every
ingest process on the machine so that the same story arriving by feed and by file is sent once:

* ``articles``: content hash (:func:`~streams.ingest.ids.article_id_for` of the body, whatever id the
  source gave) → the article_id sent, its URL, source and time;
* ``urls``: normalized URL → content hash, so a feed item already seen is not fetched again;
* ``rejected``: fingerprints of feed items refused for good (malformed, not English, ...), so a re-poll
  reports them once, not every time; a corrected item has a new fingerprint and is read again;
* ``feeds``: per feed URL, the HTTP validators (ETag, Last-Modified) of the last document fully
  handled, the consecutive failure count and the last error.

Writes happen only after Kafka acknowledged the articles (see the CLI loops): a crash in between means
a resend, which the worker's article_id dedup absorbs — never a loss.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from streams.clock import utc_now_iso

STATE_FILE = "ingest.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    content_hash TEXT PRIMARY KEY,
    article_id TEXT NOT NULL,
    url TEXT,
    source TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS urls (
    url TEXT PRIMARY KEY,
    content_hash TEXT,
    seen_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rejected (
    fingerprint TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    rejected_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    updated_at TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class SentArticle:
    content_hash: str
    article_id: str
    url: str | None
    source: str


@dataclass(frozen=True, slots=True)
class FeedValidators:
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0
    last_error: str | None = None


class IngestState:
    """The dedup store. Cheap lookups; every write is one transaction."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / STATE_FILE
        # Two ingest processes may share the file: WAL lets readers and one writer overlap, and the
        # busy timeout makes a writer wait for the other instead of failing.
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    # --- lookups -------------------------------------------------------------------------------------
    def has_content(self, content_hash: str) -> bool:
        return self._exists("SELECT 1 FROM articles WHERE content_hash = ?", content_hash)

    def has_url(self, url: str) -> bool:
        return self._exists("SELECT 1 FROM urls WHERE url = ?", url)

    def has_rejected(self, fingerprint: str) -> bool:
        return self._exists("SELECT 1 FROM rejected WHERE fingerprint = ?", fingerprint)

    def _exists(self, sql: str, value: str) -> bool:
        with self._lock:
            return self._db.execute(sql, (value,)).fetchone() is not None

    def feed(self, url: str) -> FeedValidators:
        with self._lock:
            row = self._db.execute(
                "SELECT etag, last_modified, failures, last_error FROM feeds WHERE url = ?", (url,)
            ).fetchone()
        return FeedValidators(*row) if row else FeedValidators()

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {
                table: int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
                for table in ("articles", "urls", "rejected", "feeds")
            }

    # --- writes --------------------------------------------------------------------------------------
    def remember(
        self,
        sent: Iterable[SentArticle] = (),
        *,
        urls: Iterable[tuple[str, str | None]] = (),
        rejected: Iterable[tuple[str, str, str]] = (),
    ) -> None:
        """Record sent articles, seen URLs (url, content hash) and rejected items (fingerprint, source,
        reason) in one transaction."""
        now = utc_now_iso()
        with self._lock, self._transaction():
            for article in sent:
                self._db.execute(
                    "INSERT OR IGNORE INTO articles VALUES (?, ?, ?, ?, ?)",
                    (article.content_hash, article.article_id, article.url, article.source, now),
                )
                if article.url:
                    self._db.execute(
                        "INSERT OR REPLACE INTO urls VALUES (?, ?, ?)",
                        (article.url, article.content_hash, now),
                    )
            for url, content_hash in urls:
                self._db.execute("INSERT OR IGNORE INTO urls VALUES (?, ?, ?)", (url, content_hash, now))
            for fingerprint, source, reason in rejected:
                self._db.execute(
                    "INSERT OR IGNORE INTO rejected VALUES (?, ?, ?, ?)", (fingerprint, source, reason, now)
                )

    def feed_succeeded(self, url: str, *, etag: str | None, last_modified: str | None) -> None:
        self._upsert_feed(url, etag=etag, last_modified=last_modified, failures=0, error=None)

    def feed_polled(self, url: str) -> None:
        """A poll that went through but must not advance the validators (e.g. an item to retry)."""
        current = self.feed(url)
        self._upsert_feed(url, etag=current.etag, last_modified=current.last_modified, failures=0, error=None)

    def feed_failed(self, url: str, error: str) -> int:
        """Count one more consecutive failure; returns the new count."""
        current = self.feed(url)
        failures = current.failures + 1
        self._upsert_feed(
            url, etag=current.etag, last_modified=current.last_modified, failures=failures, error=error
        )
        return failures

    def _upsert_feed(
        self, url: str, *, etag: str | None, last_modified: str | None, failures: int, error: str | None
    ) -> None:
        with self._lock, self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO feeds VALUES (?, ?, ?, ?, ?, ?)",
                (url, etag, last_modified, failures, error, utc_now_iso()),
            )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> IngestState:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
