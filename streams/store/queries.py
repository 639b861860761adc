"""What the API asks the store: plain functions, ``f(store, ...) -> dict | list | None``, JSON-ready.

Lists are pages, ``{"items": [...], "next": cursor | None}``, newest first, ``limit`` 1–500 (default 50);
``since`` is inclusive and ``until`` exclusive, both ISO dates or date-times. A parameter the store
cannot use raises :class:`~streams.store.timefmt.InvalidQuery` (a ValueError) with a sentence.
The contract of every shape: /work/desk-contract.md, Part A; docs/store.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    case,
    exists,
    func,
    or_,
    select,
    tuple_,
)

from streams.store import schema
from streams.store.cursor import DEFAULT_LIMIT, check_limit, decode, encode
from streams.store.timefmt import InvalidQuery, bound
from streams.store.writer import Store

POLARITIES = ("support", "oppose", "neutral")
MAP_MAX_LIMIT = 2000
# The entity page's edge lists (supports, opposes, ...): the busiest this many of each.
EDGE_LIMIT = 100

Page = dict[str, Any]


@contextmanager
def _reading(store: Store) -> Iterator[Connection]:
    # One snapshot per query function: SQLite's BEGIN (streams/store/writer.py) gives it; PostgreSQL's
    # default READ COMMITTED would let article()'s several SELECTs straddle a consumer commit.
    with store.engine.connect() as conn:
        if store.dialect == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        yield conn


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _window(column: Any, since: str | None, until: str | None) -> list[ColumnElement[bool]]:
    conditions = []
    low, high = bound(since, "since"), bound(until, "until")
    if low is not None:
        conditions.append(column >= low)
    if high is not None:
        conditions.append(column < high)
    return conditions


def _paged(
    conn: Connection,
    query: Select[Any],
    key: Sequence[Any],
    cursor: str | None,
    limit: int,
) -> tuple[list[Row[Any]], str | None]:
    """Rows of one page, newest first by ``key`` (descending), and the cursor of the next page."""
    limit = check_limit(limit)
    after = decode(cursor, len(key))
    if after is not None:
        query = query.where(tuple_(*key) < tuple_(*after))
    query = query.order_by(*(column.desc() for column in key)).limit(limit + 1)
    rows = list(conn.execute(query))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]._mapping
    return rows, encode(*(last[column.name] for column in key))


# --- stances -------------------------------------------------------------------------------------------


def _stance(row: Any, *, with_title: bool = True) -> dict[str, Any]:
    item: dict[str, Any] = {"id": row.id, "article_id": row.article_id}
    if with_title:
        item["article_title"] = row.title
    item.update(
        {
            "at": row.at,
            "holder": row.holder,
            "holder_name": row.holder_name,
            "target": row.target,
            "target_name": row.target_name,
            "target_kind": row.target_kind,
            "polarity": row.polarity,
            "sentiment": row.sentiment,
            "confidence": row.confidence,
            "cue": row.cue,
            "evidence": {"start": row.evidence_start, "end": row.evidence_end, "text": row.evidence_text},
        }
    )
    return item


def stances(
    store: Store,
    holder: str | None = None,
    target: str | None = None,
    topic: str | None = None,
    polarity: str | None = None,
    since: str | None = None,
    until: str | None = None,
    article_id: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page:
    """Stances by holder / target (entity ids, exact), topic (a topic id, or a case-insensitive part
    of a topic's name), polarity, time window and article."""
    s, a = schema.stances, schema.articles
    query = select(s, a.c.title).select_from(s.outerjoin(a, a.c.article_id == s.c.article_id))
    if holder:
        query = query.where(s.c.holder == holder)
    if target:
        query = query.where(s.c.target == target)
    if topic:
        query = query.where(
            s.c.target_kind == "topic",
            or_(s.c.target == topic, s.c.target_name_lc.contains(topic.lower(), autoescape=True)),
        )
    if polarity:
        if polarity not in POLARITIES:
            raise InvalidQuery(f"polarity must be one of {', '.join(POLARITIES)}, not {polarity!r}")
        query = query.where(s.c.polarity == polarity)
    if article_id:
        query = query.where(s.c.article_id == article_id)
    query = query.where(*_window(s.c.at, since, until))
    with _reading(store) as conn:
        rows, next_cursor = _paged(conn, query, (s.c.at, s.c.id), cursor, limit)
    return {"items": [_stance(row) for row in rows], "next": next_cursor}


def stance_map(
    store: Store, since: str | None = None, until: str | None = None, limit: int = 200
) -> dict[str, Any]:
    """Holder → target edges of a time window with their counts by polarity, the ``limit`` busiest,
    and the nodes they join (type "TOPIC" for topics)."""
    limit = check_limit(limit, MAP_MAX_LIMIT)
    s, e = schema.stances, schema.entities
    count = func.count().label("n")
    query = (
        select(
            s.c.holder,
            s.c.target,
            func.sum(case((s.c.polarity == "support", 1), else_=0)).label("support"),
            func.sum(case((s.c.polarity == "oppose", 1), else_=0)).label("oppose"),
            func.sum(case((s.c.polarity == "neutral", 1), else_=0)).label("neutral"),
            count,
            func.avg(s.c.sentiment).label("mean_sentiment"),
            func.max(s.c.holder_name).label("holder_name"),
            func.max(s.c.target_name).label("target_name"),
        )
        .where(*_window(s.c.at, since, until))
        .group_by(s.c.holder, s.c.target)
        .order_by(count.desc(), s.c.holder, s.c.target)
        .limit(limit)
    )
    with _reading(store) as conn:
        edges = list(conn.execute(query))
        ids = sorted({row.holder for row in edges} | {row.target for row in edges})
        known = {
            row.id: row
            for chunk in _chunks(ids)
            for row in conn.execute(select(e.c.id, e.c.name, e.c.type).where(e.c.id.in_(chunk)))
        }
    names: dict[str, str | None] = {}
    for row in edges:
        names.setdefault(row.holder, row.holder_name)
        names.setdefault(row.target, row.target_name)
    nodes = []
    for node_id in ids:
        entity = known.get(node_id)
        if entity is not None:
            nodes.append({"id": node_id, "name": entity.name, "type": entity.type})
        else:
            kind = "TOPIC" if node_id.startswith("topic:") else "UNKNOWN"
            nodes.append({"id": node_id, "name": names.get(node_id) or node_id, "type": kind})
    return {
        "nodes": nodes,
        "edges": [
            {
                "holder": row.holder,
                "target": row.target,
                "support": int(row.support),
                "oppose": int(row.oppose),
                "neutral": int(row.neutral),
                "count": int(row.n),
                "mean_sentiment": _round(row.mean_sentiment),
            }
            for row in edges
        ],
    }


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- entities ------------------------------------------------------------------------------------------


def _entity_totals() -> Any:
    ae = schema.article_entities
    return (
        select(
            ae.c.entity_id,
            func.sum(ae.c.mentions).label("mentions"),
            func.count().label("articles"),
            func.max(ae.c.at).label("last_seen"),
        )
        .group_by(ae.c.entity_id)
        .subquery("totals")
    )


def search_entities(
    store: Store, q: str | None = None, limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> Page:
    """Entities whose name or any mention text contains ``q`` (case-insensitive), last seen first."""
    e, m = schema.entities, schema.mentions
    totals = _entity_totals()
    query = select(e, totals.c.mentions, totals.c.articles, totals.c.last_seen).join(
        totals, totals.c.entity_id == e.c.id
    )
    if q:
        needle = q.lower()
        query = query.where(
            or_(
                e.c.name_lc.contains(needle, autoescape=True),
                exists().where(m.c.entity_id == e.c.id, m.c.text_lc.contains(needle, autoescape=True)),
            )
        )
    with _reading(store) as conn:
        rows, next_cursor = _paged(conn, query, (totals.c.last_seen, e.c.id), cursor, limit)
    return {
        "items": [
            {
                "id": row.id,
                "name": row.name,
                "type": row.type,
                "wikidata": row.wikidata,
                "mentions": int(row.mentions),
                "articles": int(row.articles),
                "last_seen": row.last_seen,
            }
            for row in rows
        ],
        "next": next_cursor,
    }


def _edges(conn: Connection, side: str, entity_id: str, polarity: str) -> list[dict[str, Any]]:
    """Stances of ``polarity`` with the entity as ``side`` ("holder" or "target"), by the other end."""
    s, e = schema.stances, schema.entities
    other = s.c.target if side == "holder" else s.c.holder
    other_name = s.c.target_name if side == "holder" else s.c.holder_name
    count = func.count().label("n")
    last_at = func.max(s.c.at).label("last_at")
    query = (
        select(
            other.label("id"),
            func.coalesce(func.max(e.c.name), func.max(other_name), other).label("name"),
            count,
            func.avg(s.c.sentiment).label("mean_sentiment"),
            last_at,
        )
        .select_from(s.outerjoin(e, e.c.id == other))
        .where(s.c[side] == entity_id, s.c.polarity == polarity)
        .group_by(other)
        .order_by(count.desc(), last_at.desc(), other)
        .limit(EDGE_LIMIT)
    )
    return [
        {
            "id": row.id,
            "name": row.name,
            "count": int(row.n),
            "mean_sentiment": _round(row.mean_sentiment),
            "last_at": row.last_at,
        }
        for row in conn.execute(query)
    ]


def entity(store: Store, entity_id: str) -> dict[str, Any] | None:
    """One entity: its names, counts and who it supports / opposes and is supported / opposed by."""
    e, ae, m = schema.entities, schema.article_entities, schema.mentions
    with _reading(store) as conn:
        row = conn.execute(select(e).where(e.c.id == entity_id)).first()
        if row is None:
            return None
        totals = conn.execute(
            select(func.coalesce(func.sum(ae.c.mentions), 0), func.count()).where(ae.c.entity_id == entity_id)
        ).one()
        seen = func.count().label("seen")
        aliases = [
            alias
            for alias, _ in conn.execute(
                select(m.c.text, seen)
                .where(m.c.entity_id == entity_id)
                .group_by(m.c.text)
                .order_by(seen.desc(), m.c.text)
            )
        ]
        return {
            "id": row.id,
            "name": row.name,
            "type": row.type,
            "wikidata": row.wikidata,
            "aliases": aliases,
            "mentions": int(totals[0]),
            "articles": int(totals[1]),
            "supports": _edges(conn, "holder", entity_id, "support"),
            "opposes": _edges(conn, "holder", entity_id, "oppose"),
            "supported_by": _edges(conn, "target", entity_id, "support"),
            "opposed_by": _edges(conn, "target", entity_id, "oppose"),
        }


def entity_timeline(
    store: Store, entity_id: str, since: str | None = None, until: str | None = None
) -> list[dict[str, Any]]:
    """Per day (of the articles' time), oldest first: mentions, articles and the mean of the entity's
    per-article sentiment where the article has one."""
    ae = schema.article_entities
    query = (
        select(
            ae.c.day,
            func.sum(ae.c.mentions).label("mentions"),
            func.count().label("articles"),
            func.avg(ae.c.sentiment).label("mean_sentiment"),
        )
        .where(ae.c.entity_id == entity_id, *_window(ae.c.at, since, until))
        .group_by(ae.c.day)
        .order_by(ae.c.day)
    )
    with _reading(store) as conn:
        return [
            {
                "day": row.day,
                "mentions": int(row.mentions),
                "articles": int(row.articles),
                "mean_sentiment": _round(row.mean_sentiment),
            }
            for row in conn.execute(query)
        ]


# --- quotes, alerts, articles --------------------------------------------------------------------------


def _quote(row: Any, *, with_title: bool = True) -> dict[str, Any]:
    item: dict[str, Any] = {"id": row.id, "article_id": row.article_id}
    if with_title:
        item["article_title"] = row.title
    item.update(
        {
            "at": row.at,
            "text": row.text,
            "start": row.start,
            "end": row.end,
            "speaker": row.speaker,
            "speaker_name": row.speaker_name,
            "kind": row.kind,
            "cue": row.cue,
            "found_by": row.found_by,
            "confidence": row.confidence,
        }
    )
    return item


def quotes(
    store: Store,
    speaker: str | None = None,
    article_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page:
    """Quotes by speaker (entity id, exact), article and time window."""
    qt, a = schema.quotes, schema.articles
    query = select(qt, a.c.title).select_from(qt.outerjoin(a, a.c.article_id == qt.c.article_id))
    if speaker:
        query = query.where(qt.c.speaker == speaker)
    if article_id:
        query = query.where(qt.c.article_id == article_id)
    query = query.where(*_window(qt.c.at, since, until))
    with _reading(store) as conn:
        rows, next_cursor = _paged(conn, query, (qt.c.at, qt.c.id), cursor, limit)
    return {"items": [_quote(row) for row in rows], "next": next_cursor}


def _alert(row: Any) -> dict[str, Any]:
    event = row.event
    return {
        "fingerprint": row.fingerprint,
        "kind": row.kind,
        "subscription_id": row.subscription_id,
        "subscription_name": row.subscription_name,
        "article_id": row.article_id,
        "article_title": row.article_title,
        "created_at": row.created_at,
        "matches": event.get("matches", []),
        "evidence": event.get("evidence", []),
        "scores": event.get("scores", {}),
    }


def alerts(
    store: Store,
    subscription_id: str | None = None,
    since: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page:
    """Alerts, newest first (by created_at), of one subscription or all."""
    al = schema.alerts
    query = select(al)
    if subscription_id:
        query = query.where(al.c.subscription_id == subscription_id)
    query = query.where(*_window(al.c.created_at, since, None))
    with _reading(store) as conn:
        rows, next_cursor = _paged(conn, query, (al.c.created_at, al.c.fingerprint), cursor, limit)
    return {"items": [_alert(row) for row in rows], "next": next_cursor}


def article(store: Store, article_id: str) -> dict[str, Any] | None:
    """One article with its whole extraction; offsets are into ``body``."""
    a, ae, m = schema.articles, schema.article_entities, schema.mentions
    s, qt, al = schema.stances, schema.quotes, schema.alerts
    with _reading(store) as conn:
        row = conn.execute(select(a).where(a.c.article_id == article_id)).first()
        if row is None:
            return None
        spans: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for mention in conn.execute(
            select(m.c.entity_id, m.c.start, m.c.end, m.c.text)
            .where(m.c.article_id == article_id)
            .order_by(m.c.start, m.c.end)
        ):
            spans[mention.entity_id].append(
                {"start": mention.start, "end": mention.end, "text": mention.text}
            )
        entities = [
            {
                "id": entity_row.entity_id,
                "name": entity_row.name,
                "type": entity_row.type,
                "sentiment": entity_row.sentiment,
                "mentions": spans.get(entity_row.entity_id, []),
            }
            for entity_row in conn.execute(select(ae).where(ae.c.article_id == article_id))
        ]
        # In body order, by first mention, as a reader meets them.
        entities.sort(key=lambda item: (item["mentions"][0]["start"] if item["mentions"] else -1, item["id"]))
        quote_rows = conn.execute(
            select(qt).where(qt.c.article_id == article_id).order_by(qt.c.start, qt.c.end)
        )
        stance_rows = conn.execute(
            select(s).where(s.c.article_id == article_id).order_by(s.c.evidence_start, s.c.holder, s.c.target)
        )
        alert_rows = conn.execute(
            select(al.c.fingerprint, al.c.kind, al.c.subscription_id, al.c.subscription_name, al.c.created_at)
            .where(al.c.article_id == article_id)
            .order_by(al.c.created_at.desc(), al.c.fingerprint.desc())
        )
        return {
            "article_id": row.article_id,
            "title": row.title,
            "url": row.url,
            "source": row.source,
            "at": row.at,
            "published": row.published,
            "authors": list(row.authors or []),
            "body": row.body,
            "entities": entities,
            "quotes": [_quote(q, with_title=False) for q in quote_rows],
            "stances": [_stance(st, with_title=False) for st in stance_rows],
            "alerts": [{str(k): v for k, v in alert._mapping.items()} for alert in alert_rows],
        }


__all__ = [
    "MAP_MAX_LIMIT",
    "InvalidQuery",
    "alerts",
    "article",
    "entity",
    "entity_timeline",
    "quotes",
    "search_entities",
    "stance_map",
    "stances",
]
