"""The store: what the pipeline extracted, kept for the API (docs/store.md).

Pure core: ``rows`` (events → rows), ``timefmt``, ``cursor``, ``queries`` (plain functions over a
``Store``); ``writer`` (``Store.apply``, the only writer) and ``schema`` (SQLAlchemy Core tables) are
the database edge; ``consumer`` the Kafka edge (``stancewire store run``, ``register_store``).
SQLite by default (``<data_dir>/store.db``), PostgreSQL through ``STANCEWIRE_STORE_URL``.
"""

from __future__ import annotations

from streams.store.consumer import StoreConsumer, register_store
from streams.store.queries import (
    alerts,
    article,
    entity,
    entity_timeline,
    quotes,
    search_entities,
    stance_map,
    stances,
)
from streams.store.timefmt import InvalidQuery
from streams.store.writer import Applied, Store, open_store, store_url

__all__ = [
    "Applied",
    "InvalidQuery",
    "Store",
    "StoreConsumer",
    "alerts",
    "article",
    "entity",
    "entity_timeline",
    "open_store",
    "quotes",
    "register_store",
    "search_entities",
    "stance_map",
    "stances",
    "store_url",
]
