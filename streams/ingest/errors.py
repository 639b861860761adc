from __future__ import annotations


class InvalidArticle(ValueError):
    """Input that cannot become an article. ``reason`` is a stable code, the message is for people."""

    def __init__(self, reason: str, message: str, *, article_id: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.article_id = article_id

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"
