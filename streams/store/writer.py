"""The store: an engine (SQLite file by default, PostgreSQL by URL) and ``Store.apply``, its only writer.

``apply`` takes a batch of ``(kind, event)`` and writes it in ONE transaction:

* articles and alerts are upserted on their keys (article_id, fingerprint): a second copy overwrites
  the first with the same values;
* an article's children (entities per article, mentions, quotes, stances) are deleted and inserted
  again from the event: a re-enriched article replaces them all, atomically, and a replayed one
  writes the same rows back;
* entities are upserted on their id (latest name, type and Wikidata id).

So applying an event any number of times, in any overlapping batches, leaves the rows one application
leaves; with offsets committed only after the transaction (streams/store/consumer.py) every event is
applied at least once, hence each row exists exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url

from streams.settings import Settings, get_settings
from streams.store import schema
from streams.store.rows import ArticleRows, alert_row, article_rows

log = logging.getLogger(__name__)

KINDS = ("enriched", "alert")
# How long an SQLite writer waits for another (the worker's consumer and `stancewire store run`
# may share one file) before giving up with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Rows per INSERT statement: SQLite allows 32,766 bound parameters in one statement; the widest table
# has 16 columns.
CHUNK = 1000


def store_url(settings: Settings) -> str:
    """The database URL the settings name: ``store_url``, else the SQLite file ``<data_dir>/store.db``."""
    if settings.store_url is not None:
        return settings.store_url.get_secret_value()
    return f"sqlite:///{(Path(settings.data_dir) / 'store.db').resolve()}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit transactions are off; SQLAlchemy's "begin" event below issues BEGIN,
    # so reads see one snapshot and every write batch is one transaction.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL: the API's readers never wait for the consumer's writer, nor the writer for them.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # FULL: a transaction is on disk when commit returns. The consumer commits its Kafka offsets right
    # after; with NORMAL a power loss could drop a batch whose offsets the broker already holds.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # pool_pre_ping: a shared PostgreSQL restarts under a long-running worker; a dead pooled connection
    # is replaced instead of failing the next batch.
    return create_engine(url, pool_pre_ping=True)


@dataclass(frozen=True, slots=True)
class Applied:
    articles: int = 0
    alerts: int = 0


class Store:
    """A database holding what the pipeline extracted; ``apply`` writes, streams/store/queries.py reads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @property
    def url(self) -> str:
        """The URL without its password (safe to log)."""
        return self.engine.url.render_as_string(hide_password=True)

    def create(self) -> None:
        """Create the tables and indexes that do not exist yet (harmless on an existing store), and
        add the nullable columns a store made by an earlier release lacks."""
        schema.metadata.create_all(self.engine)
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        # create_all makes missing tables, never missing columns. Columns are only ever added, and
        # nullable, so an older store takes them with a plain ADD COLUMN (old rows read null); any
        # other change would need a real migration and is refused here.
        inspector = inspect(self.engine)
        quote = self.engine.dialect.identifier_preparer.quote
        # Two workers opening one PostgreSQL store at once may both find the column missing.
        guard = "IF NOT EXISTS " if self.dialect == "postgresql" else ""
        with self.engine.begin() as conn:
            for table in schema.metadata.sorted_tables:
                present = {column["name"] for column in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name in present:
                        continue
                    if not column.nullable:
                        raise RuntimeError(
                            f"store table {table.name} lacks the required column {column.name}"
                        )
                    kind = column.type.compile(dialect=self.engine.dialect)
                    conn.execute(
                        text(f"ALTER TABLE {quote(table.name)} ADD COLUMN {guard}{quote(column.name)} {kind}")
                    )
                    log.info("store: added column %s.%s (%s)", table.name, column.name, kind)

    def close(self) -> None:
        self.engine.dispose()

    def apply(self, events: Sequence[tuple[str, Mapping[str, Any]]]) -> Applied:
        """Write a batch of ``("enriched", article.enriched.v1)`` / ``("alert", alert.v1)`` events in one
        transaction; idempotent (see the module's docstring). Raises ValueError for an unknown kind
        before writing anything."""
        # The last copy of an article or alert in the batch wins, as it would in separate batches.
        enriched: dict[str, ArticleRows] = {}
        alerts: dict[str, dict[str, Any]] = {}
        for kind, value in events:
            if kind == "enriched":
                rows = article_rows(value)
                enriched.pop(rows.article["article_id"], None)
                enriched[rows.article["article_id"]] = rows
            elif kind == "alert":
                row = alert_row(value)
                alerts[row["fingerprint"]] = row
            else:
                raise ValueError(f"unknown event kind {kind!r}; known: {', '.join(KINDS)}")
        with self.engine.begin() as conn:
            if enriched:
                self._write_articles(conn, list(enriched.values()))
            if alerts:
                self._upsert(conn, schema.alerts, list(alerts.values()), ["fingerprint"])
        return Applied(articles=len(enriched), alerts=len(alerts))

    def _write_articles(self, conn: Connection, batch: list[ArticleRows]) -> None:
        # The articles first: their upsert locks each article's row until this transaction ends, so a
        # second PostgreSQL writer of the same article (two consumers overlapping in a rebalance) waits,
        # then deletes the children this one inserted, instead of inserting beside them.
        self._upsert(conn, schema.articles, [rows.article for rows in batch], ["article_id"])
        ids = sorted(rows.article["article_id"] for rows in batch)
        for table in schema.ARTICLE_CHILDREN:
            for chunk in _chunks(ids):
                conn.execute(delete(table).where(table.c.article_id.in_(chunk)))
        entities: dict[str, dict[str, Any]] = {}
        for rows in batch:
            entities.update((entity["id"], entity) for entity in rows.entities)
        self._upsert(conn, schema.entities, list(entities.values()), ["id"])
        for table, attribute in (
            (schema.article_entities, "article_entities"),
            (schema.mentions, "mentions"),
            (schema.quotes, "quotes"),
            (schema.stances, "stances"),
        ):
            children = [row for rows in batch for row in getattr(rows, attribute)]
            for chunk in _chunks(children):
                conn.execute(insert(table), chunk)

    def _upsert(self, conn: Connection, table: Table, rows: list[dict[str, Any]], key: list[str]) -> None:
        if not rows:
            return
        # Sorted by key: two PostgreSQL writers (consumers on different partitions) then lock shared
        # rows, like an entity both mention, in the same order and cannot deadlock.
        rows = sorted(rows, key=lambda row: tuple(row[k] for k in key))
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        elif self.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
        else:
            raise RuntimeError(f"the store supports SQLite and PostgreSQL, not {self.dialect}")
        for chunk in _chunks(rows):
            statement = dialect_insert(table).values(chunk)
            columns = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in key}
            conn.execute(statement.on_conflict_do_update(index_elements=key, set_=columns))

    def counts(self) -> dict[str, int]:
        """Rows per table (tests, `stancewire store stats`)."""
        with self.engine.connect() as conn:
            return {
                str(table.name): int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                for table in schema.metadata.sorted_tables
            }


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def open_store(url_or_settings: str | Settings | None = None, *, create: bool = True) -> Store:
    """The store at a URL, or the one the settings name (default: ``get_settings()``); its tables are
    created when missing."""
    if isinstance(url_or_settings, str):
        url = url_or_settings
    else:
        url = store_url(url_or_settings or get_settings())
    store = Store(make_engine(url))
    if create:
        store.create()
    return store
