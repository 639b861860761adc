"""RSS 2.0 and Atom feeds → RawArticles. Pure: bytes in, decisions out; no network, no Kafka.

* :func:`parse_feed` reads a fetched document with feedparser (relative links resolved against the
  feed's own URL or its ``xml:base``) into :class:`FeedItem` values, or :class:`ItemProblem` values for
  items that cannot become an article (no link and no content, an unparseable date).
* :class:`FeedReader` turns the items of one poll into articles to send, duplicates to skip and
  problems to report. It gets the article pages through a ``fetch_page`` callable (httpx in the CLI, a
  dict in tests) and asks a :class:`SeenLookup` (the SQLite store in the CLI) what was sent before.
* :func:`html_to_text` (feed content: already the article, just markup) and :func:`extract_main_text`
  (a whole web page: trafilatura finds the article among menus and footers) make the body.
* :func:`poll_delay` is the schedule: the poll interval while a feed answers, exponential backoff
  (capped, honouring ``Retry-After``) while it fails.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import orjson

from streams.ingest.errors import InvalidArticle
from streams.ingest.ids import article_id_for, normalize_for_id
from streams.ingest.raw import RawArticleDecoder
from streams.ingest.state import SentArticle
from streams.models import RawArticle

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.8, "
    "text/xml;q=0.8, */*;q=0.1"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"

# Query parameters that only say how a reader arrived, not which article it is.
_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ocid|cmpid|at_\w+)$", re.IGNORECASE)


class FeedError(Exception):
    """The document is not a feed we can read. ``reason`` is a stable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


class PageUnavailable(Exception):
    """An article page could not be fetched. ``transient``: worth another try at the next poll."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


@dataclass(frozen=True, slots=True)
class FeedItem:
    position: int  # 1-based, in document order
    label: str  # how a person finds the item again: its link, guid, title or position
    url: str | None  # absolute and normalized
    title: str | None
    published: str | None  # ISO-8601 UTC
    authors: tuple[str, ...]
    content_html: str | None  # the full content the feed carries (content:encoded, atom:content)
    content_is_html: bool
    summary_html: str | None
    fingerprint: str  # a hash of what the feed said about the item


@dataclass(frozen=True, slots=True)
class ItemProblem:
    label: str
    reason: str
    message: str
    fingerprint: str | None = None
    transient: bool = False  # not the item's fault (a page timed out): try again at the next poll

    def as_dict(self) -> dict[str, Any]:
        return {"item": self.label, "reason": self.reason, "message": self.message}


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    url: str
    version: str
    title: str | None
    items: list[FeedItem | ItemProblem]
    warning: str | None = None  # what feedparser disliked in a document it could still read


# --- URLs ----------------------------------------------------------------------------------------------


def normalize_url(url: str | None, base: str | None = None) -> str | None:
    """Absolute http(s) URL with the fragment and tracking parameters removed, scheme and host in
    lower case, default port dropped; ``None`` for anything else (``mailto:``, ``javascript:``, empty)."""
    if not url or not url.strip():
        return None
    absolute = urljoin(base, url.strip()) if base else url.strip()
    parts = urlsplit(absolute)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING_PARAMS.match(k)]
    )
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


# --- HTML → text -----------------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figure footer h1 h2 h3 h4 h5 h6 header hr li main "
    "nav ol p pre section table td th tr ul".split()
)
# Never article text: code, embeds, forms, and photo captions/credits.
_SKIP_TAGS = frozenset(
    "audio button canvas figcaption form iframe noscript object script select style svg template "
    "textarea video".split()
)
_EMAIL_AND_NAME = re.compile(r"[^\s@()]+@[^\s@()]+\s*\((?P<name>[^()]+)\)")
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._current: list[str] = []
        self._skip_depth = 0

    def end_paragraph(self) -> None:
        text = _SPACES.sub(" ", "".join(self._current)).strip()
        if text:
            self.paragraphs.append(text)
        self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.end_paragraph()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:  # <br/>, <hr/>; a self-closed skip tag has no content to skip
            self.end_paragraph()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.end_paragraph()

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self._current.append(data)


def html_to_text(html: str) -> str:
    """The text of an HTML fragment (a feed's content): one paragraph per block, blank lines between,
    entities decoded, scripts, styles, embeds and captions left out."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    collector.end_paragraph()
    return "\n\n".join(collector.paragraphs)


def plain_text(text: str) -> str:
    paragraphs = (_SPACES.sub(" ", block).strip() for block in re.split(r"\n\s*\n", text))
    return "\n\n".join(p for p in paragraphs if p)


def extract_main_text(html: bytes | str, url: str | None = None) -> str | None:
    """The article text of a whole web page (menus, footers, related links left out), or ``None``
    when the extractor finds no article in it."""
    import trafilatura  # imported on first use: it pulls in lxml and friends

    text = trafilatura.extract(
        html,
        url=url,
        output_format="txt",
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        deduplicate=False,
    )
    if not text:
        return None
    paragraphs = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return "\n\n".join(p for p in paragraphs if p) or None


def drop_leading_title(body: str, title: str | None) -> str:
    """Pages repeat the headline above the text; the article's title is a field of its own."""
    if not title:
        return body
    first, _, rest = body.partition("\n\n")
    if rest and normalize_for_id(first) == normalize_for_id(title):
        return rest
    return body


# --- feed documents → items ------------------------------------------------------------------------------


def _iso_utc(parsed: time.struct_time) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", parsed)  # feedparser's *_parsed values are UTC


def _text_field(entry: Mapping[str, Any], name: str) -> str | None:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        return None
    detail = entry.get(f"{name}_detail") or {}
    if detail.get("type") in ("text/html", "application/xhtml+xml"):
        value = html_to_text(value)
    return _SPACES.sub(" ", value).strip() or None


def _fingerprint(entry: Mapping[str, Any]) -> str:
    content = entry.get("content") or []
    described = {
        "id": entry.get("id"),
        "link": entry.get("link"),
        "title": entry.get("title"),
        "published": entry.get("published") or entry.get("updated"),
        "summary": entry.get("summary"),
        "content": [c.get("value") for c in content if isinstance(c, Mapping)],
    }
    return hashlib.sha256(orjson.dumps(described, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


def _authors(entry: Mapping[str, Any]) -> tuple[str, ...]:
    names: list[str] = []
    for author in entry.get("authors") or []:
        name = author.get("name") if isinstance(author, Mapping) else None
        if isinstance(name, str) and name.strip() and "@" not in name and name.strip() not in names:
            names.append(name.strip())
    # RSS <author> is "email (Name)"; feedparser splits it wrongly for long TLDs (.example, .media).
    raw = entry.get("author")
    match = _EMAIL_AND_NAME.fullmatch(raw.strip()) if isinstance(raw, str) else None
    if match:
        names = [match["name"].strip(), *names[1:]]
    return tuple(names)


def entry_to_item(entry: Mapping[str, Any], position: int, base: str) -> FeedItem | ItemProblem:
    """One feedparser entry → a FeedItem, or the reason it cannot be one."""
    fingerprint = _fingerprint(entry)
    title = _text_field(entry, "title")
    link = entry.get("link")
    url = normalize_url(link, base) if isinstance(link, str) else None
    guid = entry.get("id") if isinstance(entry.get("id"), str) else None
    label = url or guid or (f"{title!r}" if title else None) or f"item #{position}"
    if isinstance(link, str) and link.strip() and url is None:
        return ItemProblem(
            label, "bad_link", f"the item's link {link.strip()[:200]!r} is not an http(s) URL", fingerprint
        )

    published: str | None = None
    for name in ("published", "updated"):
        given = entry.get(name)
        if not given:
            continue
        parsed = entry.get(f"{name}_parsed")
        if parsed is None:
            return ItemProblem(
                label,
                "unparseable_date",
                f"the item's {name} date {str(given)[:80]!r} is not a date",
                fingerprint,
            )
        published = _iso_utc(parsed)
        break

    content_html: str | None = None
    content_is_html = True
    for content in entry.get("content") or []:
        value = content.get("value") if isinstance(content, Mapping) else None
        if isinstance(value, str) and value.strip():
            content_html = value
            content_is_html = content.get("type") != "text/plain"
            break
    summary = entry.get("summary")
    summary_html = summary if isinstance(summary, str) and summary.strip() else None

    if url is None and content_html is None and summary_html is None:
        return ItemProblem(
            label, "no_link_or_content", "the item has neither a link nor any content", fingerprint
        )
    return FeedItem(
        position=position,
        label=label,
        url=url,
        title=title,
        published=published,
        authors=_authors(entry),
        content_html=content_html,
        content_is_html=content_is_html,
        summary_html=summary_html,
        fingerprint=fingerprint,
    )


def parse_feed(data: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Read an RSS 2.0 / RSS 1.0 / Atom document fetched from ``url``. Raises :class:`FeedError` when
    it is not a feed at all; a feed with some broken items parses, the items come back as problems."""
    import feedparser

    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    # No sanitizing: we never render this HTML, only take its text, and html_to_text drops scripts,
    # embeds and their fallback text (the sanitizer would keep an <iframe>'s "Advertisement").
    parsed = feedparser.parse(data, response_headers=headers, sanitize_html=False, resolve_relative_uris=True)
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        detail = f": {problem}" if problem else ""
        raise FeedError("not_a_feed", f"the document is neither RSS nor Atom{detail}")
    feed = parsed.get("feed") or {}
    base = url
    items = [entry_to_item(entry, position, base) for position, entry in enumerate(parsed.entries, start=1)]
    return ParsedFeed(
        url=url,
        version=version or "unknown",
        title=_text_field(feed, "title"),
        items=items,
        warning=str(problem) if problem else None,
    )


# --- one poll: items → articles, duplicates, problems ------------------------------------------------------


class SeenLookup(Protocol):
    def has_url(self, url: str) -> bool: ...
    def has_content(self, content_hash: str) -> bool: ...
    def has_rejected(self, fingerprint: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Duplicate:
    label: str
    reason: str  # duplicate_url | duplicate_content

    def as_dict(self) -> dict[str, str]:
        return {"item": self.label, "reason": self.reason}


@dataclass(slots=True)
class FeedBatch:
    """What one poll of one feed decided. Send ``articles``; once Kafka acknowledged them, remember
    ``sent``, ``urls`` and ``rejected`` (``remember_args``)."""

    source: str
    articles: list[RawArticle] = field(default_factory=list)
    sent: list[SentArticle] = field(default_factory=list)
    urls: list[tuple[str, str | None]] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    rejected: list[ItemProblem] = field(default_factory=list)
    known_rejected: int = 0
    retry: list[ItemProblem] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every item was decided for good (nothing to retry): the feed's validators may advance."""
        return not self.retry

    def rejected_records(self) -> list[tuple[str, str, str]]:
        return [(p.fingerprint, self.source, p.reason) for p in self.rejected if p.fingerprint]


class FeedReader:
    """Decides, item by item, what a poll sends. Built once per poller."""

    def __init__(
        self,
        decoder: RawArticleDecoder,
        *,
        fetch_page: Callable[[str], bytes | str],
        seen: SeenLookup,
        min_content_chars: int = 280,
        min_page_chars: int = 100,
    ) -> None:
        self.decoder = decoder
        self.fetch_page = fetch_page
        self.seen = seen
        # Feed content shorter than this is taken for a teaser when the item links to the full page.
        self.min_content_chars = min_content_chars
        # Less text than this from a whole page is a menu or a paywall notice, not an article.
        self.min_page_chars = min_page_chars

    def read(self, feed: ParsedFeed, *, source: str, ingested_at: str) -> FeedBatch:
        batch = FeedBatch(source=source)
        urls_now: set[str] = set()
        hashes_now: set[str] = set()
        for item in feed.items:
            if item.fingerprint and self.seen.has_rejected(item.fingerprint):
                batch.known_rejected += 1
                continue
            if isinstance(item, ItemProblem):
                self._reject(batch, item)
                continue
            if item.url and (item.url in urls_now or self.seen.has_url(item.url)):
                batch.duplicates.append(Duplicate(item.label, "duplicate_url"))
                continue
            if item.url:
                urls_now.add(item.url)
            try:
                body = self._body(item)
            except Exception as exc:  # the extractor choked on a page: report, retry next poll, go on
                body = ItemProblem(
                    item.label,
                    "item_failed",
                    f"{type(exc).__name__}: {exc}",
                    item.fingerprint,
                    transient=True,
                )
            if isinstance(body, ItemProblem):
                self._reject(batch, body)
                continue
            document = {
                "body": body,
                "title": item.title,
                "published": item.published,
                "authors": list(item.authors),
                "url": item.url,
                "source": source,
                "ingested_at": ingested_at,
            }
            try:
                article = self.decoder.from_document(document)
            except InvalidArticle as error:
                self._reject(batch, ItemProblem(item.label, error.reason, error.message, item.fingerprint))
                continue
            content_hash = article_id_for(article.body)
            if content_hash in hashes_now or self.seen.has_content(content_hash):
                batch.duplicates.append(Duplicate(item.label, "duplicate_content"))
                if item.url:
                    batch.urls.append((item.url, content_hash))
                continue
            hashes_now.add(content_hash)
            batch.articles.append(article)
            batch.sent.append(SentArticle(content_hash, article.article_id, item.url, source))
        return batch

    @staticmethod
    def _reject(batch: FeedBatch, problem: ItemProblem) -> None:
        (batch.retry if problem.transient else batch.rejected).append(problem)

    def _body(self, item: FeedItem) -> str | ItemProblem:
        content = ""
        if item.content_html:
            content = (
                html_to_text(item.content_html) if item.content_is_html else plain_text(item.content_html)
            )
        if content and (len(content) >= self.min_content_chars or item.url is None):
            return content
        if item.url:
            try:
                page = self.fetch_page(item.url)
            except PageUnavailable as error:
                if content and not error.transient:  # the page is gone for good: the feed's text it is
                    return content
                return ItemProblem(
                    item.label,
                    "page_unavailable",
                    f"could not fetch {item.url}: {error.message}",
                    item.fingerprint,
                    transient=error.transient,
                )
            extracted = extract_main_text(page, item.url)
            if extracted and len(extracted) >= self.min_page_chars:
                return drop_leading_title(extracted, item.title)
            if content:
                return content
            return ItemProblem(
                item.label, "no_text", f"found no article text on {item.url}", item.fingerprint
            )
        summary = html_to_text(item.summary_html) if item.summary_html else ""
        if summary:
            return summary
        return ItemProblem(item.label, "no_text", "the item's content has no text", item.fingerprint)


# --- HTTP outcomes and the poll schedule ---------------------------------------------------------------------


def page_error_is_transient(status: int) -> bool:
    """A page that answered ``status``: retry later (timeouts, throttling, server trouble) or give up."""
    return status in (408, 425, 429) or status >= 500


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(
    failures: int,
    *,
    base: float,
    maximum: float,
    retry_after: float | None = None,
    jitter: float = 0.0,
) -> float:
    """Seconds before the next try after ``failures`` consecutive failures: ``base`` doubled per
    failure, capped at ``maximum``, never sooner than the server's ``Retry-After`` (itself capped).
    ``jitter`` in [0, 1) shortens the wait by up to that share, so that many pollers restarted
    together do not hammer a server in step."""
    if failures <= 0:
        return 0.0
    delay = min(maximum, base * 2 ** min(failures - 1, 62))
    delay *= 1.0 - min(max(jitter, 0.0), 0.99)
    if retry_after is not None:
        delay = max(delay, min(retry_after, maximum))
    return delay


def poll_delay(
    failures: int,
    *,
    interval: float,
    base: float,
    maximum: float,
    retry_after: float | None = None,
    jitter: float = 0.0,
) -> float:
    """Seconds until a feed's next poll: the interval while it answers, the backoff while it fails."""
    if failures <= 0:
        return max(interval, retry_after or 0.0)
    return backoff_delay(failures, base=base, maximum=maximum, retry_after=retry_after, jitter=jitter)
