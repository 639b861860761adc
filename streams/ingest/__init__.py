"""Pure ingestion: bytes and text in, :class:`~streams.models.RawArticle` or a clear error out."""

from streams.ingest.errors import InvalidArticle
from streams.ingest.ids import article_id_for
from streams.ingest.raw import RawArticleDecoder
from streams.ingest.seedformat import SeedFormatError, parse_seed_text, read_seed_file

__all__ = [
    "InvalidArticle",
    "RawArticleDecoder",
    "SeedFormatError",
    "article_id_for",
    "parse_seed_text",
    "read_seed_file",
]
