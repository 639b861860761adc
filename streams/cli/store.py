"""``stancewire store run|stats``: the store's consumer as a process of its own, and its row counts.

Thin: the loop is ``streams.store.consumer.StoreConsumer``; here are only settings, logging and signals.
Run it when the workers run with ``STANCEWIRE_STORE_CONSUMER_ENABLED=false`` (one consumer group,
``<app_id>-store``, whichever process its members live in).
"""

from __future__ import annotations

import logging

import orjson
import typer
from rich.console import Console

from streams.cli.ingest import stop_on_signals
from streams.settings import get_settings

store_app = typer.Typer(help="The store of articles, entities, quotes, stances and alerts (docs/store.md).")
err = Console(stderr=True)


@store_app.command("run")
def run_command() -> None:
    """Read the enriched and alerts topics into the store (STANCEWIRE_STORE_URL) until SIGTERM / Ctrl-C."""
    from streams.store import StoreConsumer, open_store
    from streams.store.consumer import group_id

    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    store = open_store(settings)
    err.print(f"store {store.url}, consumer group {group_id(settings)}")
    try:
        with stop_on_signals() as stop:
            StoreConsumer(settings, store).run(stop)
    finally:
        store.close()


@store_app.command("stats")
def stats_command() -> None:
    """Rows per table of the store, as one JSON object on stdout."""
    from streams.store import open_store

    store = open_store(get_settings())
    try:
        typer.echo(orjson.dumps(store.counts()).decode())
    finally:
        store.close()
