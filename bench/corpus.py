"""The benchmark corpus: a deterministic mix of article lengths (200–3,000 words) from real news prose.

    python -m bench.corpus [--articles 200] [--seed 2025]     # print the length distribution

Text comes from the seed article(s) in ``seeds/`` and, where present, the PolNeAR training articles
read in place from ``../shared/data/polnear-train/text/`` (never copied into the repo; US 2016
election news, Newell, Margolin & Ruths, LREC 2018). Without PolNeAR the corpus falls back to the seed's
paragraphs, reordered, and says so.

Each benchmark article has a target length drawn from a log-normal (median 650 words, clipped to
200–3,000: most news stories are 400–1,000 words, a few are long reads) and is filled with whole
paragraphs of consecutive source articles, the last one cut at a sentence end. Every body is unique,
so the worker's dedup (content hash) never skips one; the same seed always gives the same corpus.
"""

from __future__ import annotations

import argparse
import math
import random
import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
POLNEAR_TEXT = REPO.parent / "shared" / "data" / "polnear-train" / "text"
SEEDS = REPO / "seeds"

MIN_WORDS = 200
MAX_WORDS = 3000
MEDIAN_WORDS = 650
SIGMA = 0.7
DEFAULT_SEED = 2025

_SENTENCE_END = re.compile(r"(?<=[.!?”\"])\s+")
_FILE_DATE = re.compile(r"_(\d{4}-\d{2}-\d{2})_")


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    published: str | None
    title: str | None
    paragraphs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BenchArticle:
    article_id: str
    title: str | None
    body: str
    published: str | None
    source: str
    words: int

    def to_event(self) -> dict[str, object]:
        """An ``article.raw.v1`` event (``ingested_at`` is set by whoever produces it)."""
        return {
            "schema": "article.raw.v1",
            "article_id": self.article_id,
            "title": self.title,
            "published": self.published,
            "authors": [],
            "url": None,
            "source": self.source,
            "body": self.body,
        }


def word_count(text: str) -> int:
    return len(text.split())


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n|\n", text) if word_count(p) >= 3]


def _seed_sources() -> list[Source]:
    from streams.ingest import read_seed_file
    from streams.ingest.files import expand_paths

    sources = []
    for path in expand_paths([SEEDS]):
        article = read_seed_file(path)
        sources.append(Source(path.stem, article.published, article.title, tuple(_paragraphs(article.body))))
    return sources


def _polnear_sources(folder: Path) -> list[Source]:
    sources = []
    for path in sorted(folder.glob("*.txt")):
        lines = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        if not lines:
            continue
        title, body = lines[0].strip(), "\n".join(lines[1:])
        paragraphs = _paragraphs(body)
        if sum(map(word_count, paragraphs)) < 60:  # fragments add nothing but header noise
            continue
        date = _FILE_DATE.search(path.name)
        sources.append(Source(path.stem, date.group(1) if date else None, title, tuple(paragraphs)))
    return sources


def load_sources(polnear: Path | None = POLNEAR_TEXT) -> tuple[list[Source], str]:
    """The source texts and a one-line description of where they came from."""
    seeds = _seed_sources()
    if polnear is not None and polnear.is_dir():
        extra = _polnear_sources(polnear)
        if extra:
            return seeds + extra, f"{len(seeds)} seed + {len(extra)} PolNeAR articles ({polnear})"
    return seeds, (
        f"ONLY the {len(seeds)} seed article(s): {polnear} is absent, so bodies are reordered seed "
        "paragraphs (less varied text than real news; figures are less representative)"
    )


def _cut_to(paragraph: str, budget: int) -> str:
    """The longest run of whole sentences of ``paragraph`` within ``budget`` words (at least one)."""
    kept: list[str] = []
    used = 0
    for sentence in _SENTENCE_END.split(paragraph):
        n = word_count(sentence)
        if kept and used + n > budget:
            break
        kept.append(sentence)
        used += n
    return " ".join(kept)


def target_lengths(n: int, rng: random.Random) -> list[int]:
    return [
        min(MAX_WORDS, max(MIN_WORDS, round(rng.lognormvariate(math.log(MEDIAN_WORDS), SIGMA))))
        for _ in range(n)
    ]


def build_corpus(
    n: int, *, seed: int = DEFAULT_SEED, polnear: Path | None = POLNEAR_TEXT, prefix: str = "bench"
) -> tuple[list[BenchArticle], str]:
    """``n`` articles with unique bodies and ids ``<prefix>-<i>``, and where the text came from."""
    sources, origin = load_sources(polnear)
    rng = random.Random(seed)
    seen: set[str] = set()
    articles: list[BenchArticle] = []
    for target in target_lengths(n, rng):
        for _attempt in range(100):
            first = rng.randrange(len(sources))
            paragraphs: list[str] = []
            words = 0
            index = first
            shuffled = len(sources) == 1  # seed-only fallback: reorder the one article's paragraphs
            while words < target:
                source = sources[index]
                order = list(source.paragraphs)
                if shuffled:
                    rng.shuffle(order)
                for paragraph in order:
                    n_words = word_count(paragraph)
                    if words + n_words > target:
                        paragraph = _cut_to(paragraph, target - words)
                        n_words = word_count(paragraph)
                    paragraphs.append(paragraph)
                    words += n_words
                    if words >= target - 15:  # close enough: stop at a sentence end
                        break
                if words >= target - 15:
                    break
                index = rng.randrange(len(sources))
            body = "\n\n".join(paragraphs)
            if body not in seen and word_count(body) >= MIN_WORDS:
                break
        else:
            raise RuntimeError("could not build a unique article body in 100 attempts")
        seen.add(body)
        head = sources[first]
        articles.append(
            BenchArticle(
                article_id=f"{prefix}-{len(articles):05d}",
                title=head.title,
                body=body,
                published=head.published,
                source="bench",
                words=word_count(body),
            )
        )
    return articles, origin


def length_histogram(articles: list[BenchArticle]) -> list[tuple[str, int, int]]:
    """(bucket, articles, words) for the buckets 200–499, 500–999, 1,000–1,999, 2,000–3,000."""
    buckets = [(200, 499), (500, 999), (1000, 1999), (2000, MAX_WORDS)]
    rows = []
    for low, high in buckets:
        inside = [a.words for a in articles if low <= a.words <= high]
        rows.append((f"{low:,}–{high:,}", len(inside), sum(inside)))
    return rows


def describe(articles: list[BenchArticle]) -> dict[str, object]:
    lengths = sorted(a.words for a in articles)
    return {
        "articles": len(articles),
        "words": sum(lengths),
        "min": lengths[0],
        "median": lengths[len(lengths) // 2],
        "mean": round(sum(lengths) / len(lengths)),
        "max": lengths[-1],
        "histogram": [
            {"words": bucket, "articles": count, "total_words": total}
            for bucket, count, total in length_histogram(articles)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    articles, origin = build_corpus(args.articles, seed=args.seed)
    stats = describe(articles)
    print(f"corpus from {origin}")
    print(
        f"{stats['articles']} articles, {stats['words']:,} words; "
        f"min {stats['min']}, median {stats['median']}, mean {stats['mean']}, max {stats['max']}"
    )
    for row in stats["histogram"]:  # type: ignore[attr-defined]
        print(f"  {row['words']:>12} words: {row['articles']:4d} articles, {row['total_words']:7,} words")


if __name__ == "__main__":
    main()
