"""The ``stancewire`` command. Thin: every subcommand parses options and calls the core or Kafka I/O."""

from __future__ import annotations

import faulthandler
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from streams.cli.alerts import alerts_app, subscribe, subscriptions_app
from streams.cli.eval import eval_app
from streams.cli.ingest import ingest_app
from streams.cli.quotes import train_quotes_command
from streams.cli.sentiment import eval_sentiment_command, sentiment_command
from streams.cli.stances import eval_stances_command, train_stances_command
from streams.cli.store import store_app
from streams.ingest.raw import RawArticleDecoder
from streams.models import RawArticle
from streams.settings import get_settings

app = typer.Typer(
    name="stancewire",
    help="Turn a news wire into entities, quotes and stances, as a stream on Kafka.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(eval_app, name="eval")
train_app = typer.Typer(
    help="Train the learned models (needs the \\[train] extras: `make train-stances`, `make train-quotes`)."
)
app.add_typer(train_app, name="train")
app.command("sentiment")(sentiment_command)
eval_app.command("sentiment")(eval_sentiment_command)
train_app.command("stances")(train_stances_command)
train_app.command("quotes")(train_quotes_command)
eval_app.command("stances")(eval_stances_command)
topics_app = typer.Typer(help="Create or list the pipeline's Kafka topics.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")
app.command("subscribe")(subscribe)
app.add_typer(subscriptions_app, name="subscriptions")
app.add_typer(alerts_app, name="alerts")
app.add_typer(ingest_app, name="ingest")
app.add_typer(store_app, name="store")

err = Console(stderr=True)

PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(help="Files or folders (seed format, .json, .jsonl). None or '-': JSON lines on stdin."),
]


def _decoder() -> RawArticleDecoder:
    return RawArticleDecoder.from_settings(get_settings())


@app.command()
def worker(
    loglevel: Annotated[str, typer.Option("--loglevel", "-l", help="debug, info, warn, error, crit")] = "",
    web_port: Annotated[int | None, typer.Option(help="Port of /healthz and /metrics.")] = None,
) -> None:
    """Run the enrichment worker (a Faust worker): articles.raw → enriched, mentions, dead letters."""
    from streams.kafka.admin import ensure_topics

    settings = get_settings()
    created = ensure_topics(settings)
    err.print(f"topics: {', '.join(f'{name} ({state})' for name, state in created.items())}")
    from streams.app import create_app

    faust_app = create_app(settings)
    # A worker that dies of a fatal signal (a crash in native code) leaves the Python traceback of
    # every thread in its log instead of nothing.
    faulthandler.enable()
    argv = ["stancewire", "worker", "--loglevel", loglevel or settings.log_level]
    argv += ["--web-port", str(web_port or settings.web_port), "--web-host", settings.web_host]
    sys.argv = argv
    faust_app.main()


@app.command()
def replay(
    paths: PathsArg = None,
    rate: Annotated[float, typer.Option(help="Articles per second at most (0: as fast as possible).")] = 0.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Send articles to the raw topic (acks=all), keyed by article_id, with a closing summary."""
    import time

    from streams.ingest.files import InputProblem, read_inputs
    from streams.kafka.producer import ArticleProducer

    settings = get_settings()
    sent = skipped = failed = 0
    problems: list[InputProblem] = []
    with (
        ArticleProducer(settings) as producer,
        Progress(
            SpinnerColumn(),
            TextColumn("[bold]replay[/] {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=quiet,
        ) as progress,
    ):
        task = progress.add_task(settings.topic("raw"), total=None)
        for item in read_inputs(paths or [], _decoder(), stdin=sys.stdin, source="replay"):
            if isinstance(item, InputProblem):
                problems.append(item)
                if item.reason in ("body_too_large", "empty_body", "missing_body", "not_english"):
                    skipped += 1
                else:
                    failed += 1
                continue
            try:
                producer.send(item)
                sent += 1
            except Exception as exc:  # a refused message is reported, the replay goes on
                problems.append(InputProblem(item.article_id, "send_failed", str(exc)))
                failed += 1
            progress.advance(task)
            if rate > 0:
                time.sleep(1.0 / rate)
        failed += producer.flush_failures()
        sent -= producer.failures
    for problem in problems:
        err.print(f"[yellow]skipped[/] {problem}")
    table = Table(title="replay summary", show_header=True)
    for column in ("topic", "sent", "skipped", "failed"):
        table.add_column(column)
    table.add_row(settings.topic("raw"), str(sent), str(skipped), str(failed))
    err.print(table)
    if failed:
        raise typer.Exit(1)


@app.command()
def analyze(paths: PathsArg = None) -> None:
    """Enrich articles without Kafka and print article.enriched JSON lines on stdout."""
    from streams.enrich.pipeline import Enricher
    from streams.ingest.files import InputProblem, read_inputs

    settings = get_settings()
    enricher = Enricher.from_settings(settings)
    problems = 0

    def articles() -> Iterator[RawArticle]:
        nonlocal problems
        for item in read_inputs(paths or [], _decoder(), stdin=sys.stdin, source="analyze"):
            if isinstance(item, InputProblem):
                problems += 1
                err.print(f"[yellow]skipped[/] {item}")
            else:
                yield item

    out = sys.stdout.buffer
    for enriched in enricher.enrich_stream(articles()):
        out.write(orjson.dumps(enriched) + b"\n")
        out.flush()
    if problems:
        err.print(f"{problems} input(s) skipped")


@topics_app.command("create")
def topics_create() -> None:
    """Create the pipeline's topics that do not exist yet (names, partitions, replication from settings)."""
    from streams.kafka.admin import ensure_topics

    table = Table("topic", "state")
    for name, state in ensure_topics(get_settings()).items():
        table.add_row(name, state)
    err.print(table)


@topics_app.command("list")
def topics_list() -> None:
    """List the topics on the cluster with their partition counts."""
    from streams.kafka.admin import list_topics

    table = Table("topic", "partitions")
    for name, partitions in sorted(list_topics(get_settings()).items()):
        table.add_row(name, str(partitions))
    Console().print(table)


@app.command()
def tail(
    topic: Annotated[
        str,
        typer.Argument(
            help="Topic name, or a short name: raw, enriched, mentions, stances, alerts, deadletter."
        ),
    ],
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Start at the oldest event.")
    ] = False,
    limit: Annotated[int, typer.Option("--max", help="Stop after this many events (0: never).")] = 0,
    timeout: Annotated[float, typer.Option(help="Stop after this many idle seconds (0: never).")] = 0.0,
    raw_json: Annotated[bool, typer.Option("--json", help="One JSON document per line, no colours.")] = False,
    summary: Annotated[
        bool, typer.Option("--summary", help="Tables of entities, quotes and stances.")
    ] = False,
) -> None:
    """Print events of a topic as they arrive."""
    from streams.cli.render import show
    from streams.kafka.consumer import tail_topic

    settings = get_settings()
    short = {"raw", "enriched", "mentions", "stances", "alerts", "deadletter"}
    name = settings.topic(topic) if topic in short else topic
    console = Console()
    for record in tail_topic(
        settings, name, from_beginning=from_beginning, limit=limit, idle_timeout=timeout
    ):
        if raw_json:
            sys.stdout.write(orjson.dumps(record.value).decode() + "\n")
            sys.stdout.flush()
        else:
            console.rule(f"{record.topic}[{record.partition}]@{record.offset} key={record.key}")
            show(console, record.topic, record.value, summary=summary)


def main() -> None:
    app()
