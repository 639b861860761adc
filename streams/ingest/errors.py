from __future__ import annotations

from typing import Any


class InvalidArticle(ValueError):
    """Input that cannot become an article. ``reason`` is a stable code, the message is for people;
    ``language`` (for ``not_english``) is the detected language, ``{"code", "name", "confidence"}``."""

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        article_id: str | None = None,
        language: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.article_id = article_id
        self.language = language

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"
