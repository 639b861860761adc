"""Decode one message of ``articles.raw`` into a RawArticle, or say exactly why not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from streams.clock import utc_now_iso
from streams.ingest.errors import InvalidArticle
from streams.ingest.ids import article_id_for
from streams.ingest.language import DEFAULT_CANDIDATES, DEFAULT_MIN_CONFIDENCE, judge_english
from streams.models import RawArticle
from streams.schemas import SchemaRegistry, describe

if TYPE_CHECKING:
    from streams.settings import Settings


class RawArticleDecoder:
    """Turns bytes into a RawArticle. Built once per worker (it holds the compiled raw schema)."""

    def __init__(
        self,
        registry: SchemaRegistry,
        *,
        max_body_bytes: int = 1_000_000,
        language_min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        language_candidates: tuple[str, ...] = DEFAULT_CANDIDATES,
        check_language: bool = True,
    ) -> None:
        self._registry = registry
        self.max_body_bytes = max_body_bytes
        self.language_min_confidence = language_min_confidence
        self.language_candidates = language_candidates
        self.check_language = check_language

    @classmethod
    def from_settings(cls, settings: Settings) -> RawArticleDecoder:
        from streams.schemas import registry_at

        candidates = tuple(c.strip() for c in settings.language_candidates.split(",") if c.strip())
        return cls(
            registry_at(settings.schemas_dir),
            max_body_bytes=settings.max_body_bytes,
            language_min_confidence=settings.language_min_confidence,
            language_candidates=candidates or DEFAULT_CANDIDATES,
        )

    def decode(self, payload: bytes | None) -> RawArticle:
        if not payload or not payload.strip():
            raise InvalidArticle("empty_message", "the message has no content")
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidArticle(
                "not_utf8",
                f"the message is not UTF-8 text (invalid byte 0x{payload[exc.start]:02x} at {exc.start})",
            ) from None
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise InvalidArticle("invalid_json", f"the message is not valid JSON: {exc}") from None
        return self.from_document(document)

    def from_document(self, document: Any) -> RawArticle:
        if not isinstance(document, dict):
            raise InvalidArticle(
                "not_an_object", f"expected a JSON object with a 'body', got {type(document).__name__}"
            )
        article_id = _given_id(document)
        if "body" not in document:
            raise InvalidArticle("missing_body", "the article has no 'body' field", article_id=article_id)
        body = document["body"]
        if not isinstance(body, str):
            raise InvalidArticle(
                "wrong_field_type",
                f"'body' must be a string, got {type(body).__name__}",
                article_id=article_id,
            )
        if not body.strip():
            raise InvalidArticle("empty_body", "the article's 'body' is empty", article_id=article_id)
        size = len(body.encode("utf-8"))
        if size > self.max_body_bytes:
            raise InvalidArticle(
                "body_too_large",
                f"the body is {size:,} bytes, over the limit of {self.max_body_bytes:,} bytes",
                article_id=article_id,
            )
        error = self._registry.first_error("article.raw.v1", document)
        if error is not None:
            raise InvalidArticle(
                "wrong_field_type", f"invalid article {describe(error)}", article_id=article_id
            )
        if self.check_language:
            verdict = judge_english(
                body, min_confidence=self.language_min_confidence, candidates=self.language_candidates
            )
            if not verdict.english:
                raise InvalidArticle(
                    "not_english", verdict.explain(), article_id=article_id, language=verdict.as_dict()
                )
        authors = document.get("authors") or []
        return RawArticle(
            article_id=article_id or article_id_for(body),  # as article_id_of says
            body=body,
            title=document.get("title"),
            published=document.get("published"),
            authors=list(authors),
            url=document.get("url"),
            source=document.get("source") or "unknown",
            ingested_at=document.get("ingested_at") or utc_now_iso(),
        )


def _given_id(document: dict[str, Any]) -> str | None:
    given_id = document.get("article_id", document.get("id"))
    return given_id if isinstance(given_id, str) and given_id.strip() else None


def article_id_of(payload: bytes | None) -> str | None:
    """The id ``decode`` would give this message, read without validating it (None where decoding
    fails before an id is known). Cheap: the worker looks up the dedup marks of a batch with it
    before the batch goes to the enrichment process, which cannot read the table itself."""
    if not payload:
        return None
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(document, dict):
        return None
    given = _given_id(document)
    if given is not None:
        return given
    body = document.get("body")
    return article_id_for(body) if isinstance(body, str) and body.strip() else None
