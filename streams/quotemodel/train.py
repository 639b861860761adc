"""``stancewire train quotes``: learn the cue model (:mod:`streams.enrich.quotes.cue_model`) on
PolNeAR's dev part.

1. Parse the dev articles (the held-out 20 % is never read here) and list every candidate clause of
   every cue word (:func:`streams.enrich.quotes.clauses.document_candidates`).
2. A candidate is positive when a gold attribution's cue covers its cue word and its content shares at
   least half of the shorter content with the gold one (the content rule of ``stancewire eval quotes``).
3. Five folds by article: a logistic regression (scikit-learn, L2) fitted on four folds scores the
   fifth; the attributor with those weights (exactly the run-time code) is scored against the gold for
   every threshold of a grid, and the threshold with the best all-attribution F1 is kept.
4. The model is refitted on all dev articles and written as ``model.json`` (weights, bias, threshold)
   beside a ``manifest.json`` (data digest, settings, the cross-validated figures, the environment).

scikit-learn is needed here only (``make train-quotes`` installs it in the training venv); the worker
reads the JSON.
"""

from __future__ import annotations

import hashlib
import platform
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from streams.enrich.quotes import QuoteAttributor
from streams.enrich.quotes.clauses import document_candidates
from streams.enrich.quotes.cue_model import SHIPPED_MODEL, CueModel
from streams.enrich.quotes.marks import quote_blocks
from streams.enrich.quotes.speakers import DocContext
from streams.evaluation.polnear import PolnearArticle, load_articles
from streams.evaluation.quotes import QuoteScores, content_overlap, score_article
from streams.models import Entity

VERSION = "quote-cues-v1"
THRESHOLDS = (0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
FOLDS = 5


@dataclass(slots=True)
class TrainConfig:
    data_dir: Path
    output_dir: Path = SHIPPED_MODEL
    c: float = 0.3  # inverse L2 strength; 0.3 beat 0.1 and 1.0 in cross-validation on dev
    min_count: int = 3  # features seen in fewer candidates are dropped (a smaller model, same figures)
    limit: int | None = None  # only the first N dev articles (a smoke test)
    batch_size: int = 16


@dataclass(slots=True)
class Parsed:
    article: PolnearArticle
    ctx: DocContext
    entities: list[Entity]
    fold: int
    rows: list[tuple[list[str], bool]] = field(default_factory=list)


def labelled_rows(ctx: DocContext, article: PolnearArticle) -> list[tuple[list[str], bool]]:
    """(features, is it a gold attribution) for every candidate of the document."""
    rows = []
    for cand, _, feats in document_candidates(ctx):
        cue_at = ctx.doc[cand.cue].idx
        positive = any(
            content_overlap([(cand.start, cand.end)], gold.content)
            and any(s <= cue_at < e for s, e in gold.cue)
            for gold in article.attributions
        )
        rows.append((feats, positive))
    return rows


def parse(config: TrainConfig, log: Callable[[str], None]) -> list[Parsed]:
    from streams.enrich.entities import EntityResolver
    from streams.enrich.nlp import load_nlp
    from streams.evaluation.parsing import timed_pipe
    from streams.settings import get_settings

    nlp = load_nlp(get_settings().spacy_model)
    resolver = EntityResolver()
    articles = load_articles(config.data_dir, "dev", limit=config.limit)
    parsed: list[Parsed] = []
    started = time.perf_counter()
    for n, (article, doc, _) in enumerate(
        timed_pipe(nlp, articles, lambda a: a.text, batch_size=config.batch_size)
    ):
        entities = resolver.resolve(doc)
        ctx = DocContext(doc, entities, quote_blocks(doc.text))
        item = Parsed(article, ctx, entities, n % FOLDS)
        item.rows = labelled_rows(ctx, article)
        parsed.append(item)
    log(f"parsed {len(parsed)} dev articles in {time.perf_counter() - started:.0f} s")
    return parsed


def fit(rows: list[tuple[list[str], bool]], c: float, min_count: int) -> CueModel:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    seen = Counter(f for feats, _ in rows for f in set(feats))
    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform([{f: 1 for f in feats if seen[f] >= min_count} for feats, _ in rows])
    y = [label for _, label in rows]
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(x, y)
    weights = {
        name: round(float(w), 5)
        for name, w in zip(vectorizer.get_feature_names_out(), model.coef_[0], strict=True)
        if abs(w) >= 1e-5
    }
    return CueModel(weights, round(float(model.intercept_[0]), 5), 0.5, VERSION)


def score(items: list[Parsed], attributor: QuoteAttributor) -> QuoteScores:
    total = QuoteScores()
    for item in items:
        quotes = attributor.attribute(item.ctx.doc, item.entities)
        total.add(score_article(quotes, item.article.attributions, item.entities))
    return total


def figures(scores: QuoteScores) -> dict[str, Any]:
    return {"all": scores.all_speaker.as_dict(), "direct": scores.direct_speaker.as_dict()}


def cross_validate(parsed: list[Parsed], config: TrainConfig, log: Callable[[str], None]) -> dict[str, Any]:
    """Out-of-fold figures of the rules alone and of rules + model at every threshold."""
    fold_models = [
        fit([r for p in parsed if p.fold != k for r in p.rows], config.c, config.min_count)
        for k in range(FOLDS)
    ]
    rules = score(parsed, QuoteAttributor(learned=False))
    result: dict[str, Any] = {"rules_only": figures(rules), "thresholds": {}}
    log(f"rules only: all F1 {rules.all_speaker.f1:.4f}, direct F1 {rules.direct_speaker.f1:.4f}")
    for threshold in THRESHOLDS:
        total = QuoteScores()
        for k, model in enumerate(fold_models):
            model.threshold = threshold
            total.add(score([p for p in parsed if p.fold == k], QuoteAttributor(cue_model=model)))
        result["thresholds"][str(threshold)] = figures(total)
        log(
            f"threshold {threshold}: all P {total.all_speaker.precision:.4f} R {total.all_speaker.recall:.4f} "
            f"F1 {total.all_speaker.f1:.4f}, direct F1 {total.direct_speaker.f1:.4f}"
        )
    return result


def data_digest(articles: list[PolnearArticle]) -> str:
    """One SHA-256 over the dev articles' names, texts and gold attributions, in name order."""
    digest = hashlib.sha256()
    for article in sorted(articles, key=lambda a: a.name):
        digest.update(article.name.encode())
        digest.update(hashlib.sha256(article.text.encode()).digest())
        for gold in article.attributions:
            digest.update(repr((gold.content, gold.source, gold.cue)).encode())
    return digest.hexdigest()


def train(config: TrainConfig, log: Callable[[str], None] = print) -> dict[str, Any]:
    from importlib.metadata import version

    started = time.perf_counter()
    parsed = parse(config, log)
    rows = [r for p in parsed for r in p.rows]
    log(f"{len(rows)} candidates, {sum(label for _, label in rows)} positive")
    cv = cross_validate(parsed, config, log)
    best = max(cv["thresholds"], key=lambda t: cv["thresholds"][t]["all"]["f1"])
    model = fit(rows, config.c, config.min_count)
    model.threshold = float(best)
    config.output_dir.mkdir(parents=True, exist_ok=True)
    (config.output_dir / "model.json").write_bytes(
        orjson.dumps(
            {"version": VERSION, "bias": model.bias, "threshold": model.threshold, "weights": model.weights},
            option=orjson.OPT_SORT_KEYS,
        )
    )
    manifest = {
        "version": VERSION,
        "task": "is this clause the content of an attribution cued by this word (PolNeAR relations)",
        "model": "logistic regression (scikit-learn, L2) over sparse binary features of the parse",
        "c": config.c,
        "min_count": config.min_count,
        "threshold": model.threshold,
        "features": len(model.weights),
        "data": {
            "source": "PolNeAR training compartment (Newell, Margolin & Ruths, LREC 2018), dev part only",
            "articles": len(parsed),
            "sha256": data_digest([p.article for p in parsed]),
            "candidates": len(rows),
            "positive": sum(label for _, label in rows),
        },
        "cross_validation": {"folds": FOLDS, "selected_threshold": best, **cv},
        "environment": {
            "python": platform.python_version(),
            "scikit-learn": version("scikit-learn"),
            "spacy": version("spacy"),
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    (config.output_dir / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    log(f"threshold {best} selected; wrote {config.output_dir}")
    return manifest
