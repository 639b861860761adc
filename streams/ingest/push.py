"""``POST /articles``, the pure part: who may push, and what a request body becomes.

The view (``streams.web.ingest``) reads the request, calls :func:`check_token` and
:meth:`PushRequests.prepare`, sends the articles and answers. Every refusal is a :class:`PushRefused`
with an HTTP status, a stable code, a sentence, and per-article problems for a batch.

Bodies:

* ``application/json``: one raw article (``article.raw.v1``) or a JSON array of them (a batch);
* ``application/x-ndjson`` (or ``application/jsonl``): one raw article per line;
* ``text/plain``: one article in the seed format (``date YYYY-MM-DD By A and B``, then the body).

A batch is all or nothing: if any article is refused, none is sent and the answer lists every
problem by index, so that the partner fixes and resends the whole batch (resending is safe: ids are
stable and the worker skips ids it has enriched).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from streams.auth import bearer_matches
from streams.ingest.errors import InvalidArticle
from streams.ingest.raw import RawArticleDecoder
from streams.ingest.seedformat import SeedFormatError, parse_seed_text
from streams.models import RawArticle

SOURCE_HTTP = "http"
JSON_TYPES = frozenset({"application/json"})
JSON_LINES_TYPES = frozenset({"application/x-ndjson", "application/jsonl", "application/json-lines"})
SEED_TYPES = frozenset({"text/plain"})


class PushRefused(Exception):
    """A request turned down: HTTP status, stable code, a sentence, and per-article problems."""

    def __init__(
        self, status: int, code: str, message: str, problems: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.problems = problems or []

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.problems:
            body["problems"] = self.problems
        return body

    def headers(self) -> dict[str, str]:
        if self.status == 401:
            return {"WWW-Authenticate": 'Bearer realm="stancewire-ingest"'}
        if self.status == 503:
            return {"Retry-After": "30"}
        return {}


def check_token(header: str | None, token: str | None) -> None:
    """Bearer-token check. No token configured: the endpoint is off (503), not open."""
    if not token:
        raise PushRefused(
            503, "ingest_disabled", "POST /articles is off: set STANCEWIRE_INGEST_TOKEN on the worker"
        )
    if not header:
        raise PushRefused(401, "unauthorized", "missing 'Authorization: Bearer <token>' header")
    if not bearer_matches(header, token):
        raise PushRefused(401, "unauthorized", "wrong bearer token")


def media_type(header: str | None) -> tuple[str, str | None]:
    """``Content-Type`` → (media type in lower case, charset or ``None``)."""
    if not header:
        return "", None
    kind, *params = (part.strip() for part in header.split(";"))
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return kind.lower(), charset


def check_length(content_length: int | None, max_bytes: int) -> None:
    """Refuse early from the ``Content-Length`` header, before reading anything."""
    if content_length is not None and content_length > max_bytes:
        raise PushRefused(
            413,
            "request_too_large",
            f"the request body is {content_length:,} bytes, over the limit of {max_bytes:,} bytes",
        )


@dataclass(slots=True)
class PushAccepted:
    articles: list[RawArticle]  # unique by article_id, in request order
    article_ids: list[str]  # one per submitted article, in request order (repeats included)
    duplicates_in_request: int = 0
    batch: bool = False

    def body(self, topic: str) -> dict[str, Any]:
        return {
            "accepted": len(self.article_ids),
            "article_ids": self.article_ids,
            "duplicates_in_request": self.duplicates_in_request,
            "topic": topic,
        }


class PushRequests:
    """Built once per worker (it holds the decoder and its compiled schema)."""

    def __init__(self, decoder: RawArticleDecoder, *, max_bytes: int, max_batch: int) -> None:
        self.decoder = decoder
        self.max_bytes = max_bytes
        self.max_batch = max_batch

    def prepare(self, body: bytes, content_type: str | None, *, ingested_at: str) -> PushAccepted:
        check_length(len(body), self.max_bytes)
        if not body.strip():
            raise PushRefused(400, "empty_request", "the request body is empty")
        kind, charset = media_type(content_type)
        if charset not in (None, "utf-8", "utf8", "us-ascii"):
            raise PushRefused(415, "unsupported_charset", f"send UTF-8 text, not {charset}")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PushRefused(
                400, "not_utf8", f"the body is not UTF-8 text (invalid byte at offset {exc.start})"
            ) from None
        if kind in JSON_TYPES:
            documents, batch = self._json(text)
        elif kind in JSON_LINES_TYPES:
            documents, batch = self._json_lines(text), True
        elif kind in SEED_TYPES:
            documents, batch = [self._seed(text)], False
        else:
            shown = kind or "none"
            raise PushRefused(
                415,
                "unsupported_media_type",
                f"Content-Type {shown} is not accepted: send application/json (an article or an array "
                "of them), application/x-ndjson, or text/plain in the seed format",
            )
        if not documents:
            raise PushRefused(400, "empty_batch", "the batch holds no article")
        if len(documents) > self.max_batch:
            raise PushRefused(
                413,
                "batch_too_large",
                f"the batch holds {len(documents):,} articles, over the limit of {self.max_batch:,}",
            )
        return self._articles(documents, batch=batch, ingested_at=ingested_at)

    @staticmethod
    def _json(text: str) -> tuple[list[Any], bool]:
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise PushRefused(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
        if isinstance(document, list):
            return document, True
        return [document], False

    @staticmethod
    def _json_lines(text: str) -> list[Any]:
        documents: list[Any] = []
        problems: list[dict[str, Any]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                documents.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                problems.append(
                    {"line": number, "reason": "invalid_json", "message": f"not valid JSON: {exc}"}
                )
        if problems:
            raise PushRefused(400, "invalid_json", "some lines are not valid JSON", problems)
        return documents

    @staticmethod
    def _seed(text: str) -> dict[str, Any]:
        try:
            article = parse_seed_text(text, origin="body", source=SOURCE_HTTP)
        except SeedFormatError as error:
            raise PushRefused(
                400, "seed_format", f"the text/plain body is not in the seed format: {error.detail}"
            ) from None
        return article.to_event()

    def _articles(self, documents: list[Any], *, batch: bool, ingested_at: str) -> PushAccepted:
        articles: list[RawArticle] = []
        problems: list[dict[str, Any]] = []
        for index, document in enumerate(documents):
            try:
                article = self.decoder.from_document(document)
            except InvalidArticle as error:
                problem: dict[str, Any] = {"reason": error.reason, "message": error.message}
                if batch:
                    problem = {"index": index, **problem}
                if error.article_id:
                    problem["article_id"] = error.article_id
                problems.append(problem)
                continue
            # Where and when it entered this pipeline, whatever the partner wrote in these fields.
            article.source = SOURCE_HTTP
            article.ingested_at = ingested_at
            articles.append(article)
        if problems:
            count = f"{len(problems)} of {len(documents)} articles are" if batch else "the article is"
            raise PushRefused(422, "invalid_articles", f"{count} not valid; nothing was accepted", problems)
        unique: dict[str, RawArticle] = {}
        for article in articles:
            unique.setdefault(article.article_id, article)
        return PushAccepted(
            articles=list(unique.values()),
            article_ids=[article.article_id for article in articles],
            duplicates_in_request=len(articles) - len(unique),
            batch=batch,
        )
