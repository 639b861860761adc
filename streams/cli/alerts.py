"""``stancewire subscribe``, ``stancewire subscriptions`` and ``stancewire alerts tail``.

Subscriptions go through the worker's REST API (one path for validation, whoever writes); alerts
are read from the alerts topic like ``stancewire tail``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import httpx
import orjson
import typer
from rich.console import Console
from rich.table import Table

from streams.settings import Settings, get_settings

subscriptions_app = typer.Typer(
    help="List (the default), show or delete subscriptions on the worker's API.", invoke_without_command=True
)
alerts_app = typer.Typer(help="Read alerts.", no_args_is_help=True)

err = Console(stderr=True)

ApiOption = Annotated[
    str | None, typer.Option("--api", help="Worker URL (default: http://<STANCEWIRE_WEB_HOST>:<WEB_PORT>).")
]
TokenOption = Annotated[
    str | None,
    typer.Option("--token", help="API bearer token (default: STANCEWIRE_API_TOKEN).", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON instead of a table.")]


def describe_rule(rule: Any) -> str:
    """A rule on one line: ``all(entity=Ukraine, not(stance holder=Q7747 polarity=oppose))``."""
    if not isinstance(rule, Mapping):
        return str(rule)
    kind = rule.get("kind")
    if kind in ("all", "any"):
        return f"{kind}({', '.join(describe_rule(r) for r in rule.get('rules') or [])})"
    if kind == "not":
        return f"not({describe_rule(rule.get('rule'))})"
    if kind == "entity":
        return f"entity={rule.get('entity')}"
    fields = " ".join(f"{k}={v}" for k, v in rule.items() if k != "kind")
    return f"{kind} {fields}".strip()


def alert_line(alert: Mapping[str, Any]) -> str:
    """One alert on one line: when, subscription, article, what matched, the first evidence."""
    article = alert.get("article") or {}
    matched = ", ".join(
        f"{m.get('kind')}:{(m.get('target') or {}).get('name') or (m.get('target') or {}).get('id')}"
        for m in alert.get("matches") or []
    )
    evidence = next(iter(alert.get("evidence") or []), None)
    quote = ""
    if evidence:
        text = ((evidence.get("context") or {}).get("text") or evidence.get("text") or "").replace("\n", " ")
        quote = f" “{text[:100]}{'…' if len(text) > 100 else ''}”"
    digest = alert.get("digest") or {}
    extra = f" (+{digest['count'] - 1} in digest)" if digest.get("count", 0) > 1 else ""
    title = article.get("title") or alert.get("article_id")
    return f"{alert.get('created_at')} [{alert.get('subscription_id')}] {title}: {matched}{extra}{quote}"


def _api(settings: Settings, api: str | None) -> str:
    if api:
        return api.rstrip("/")
    host = "127.0.0.1" if settings.web_host in ("0.0.0.0", "::", "") else settings.web_host
    return f"http://{host}:{settings.web_port}"


def _client(api: str | None, token: str | None) -> httpx.Client:
    settings = get_settings()
    token = token or (settings.api_token.get_secret_value() if settings.api_token else None)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=_api(settings, api), headers=headers, timeout=10)


def _call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    try:
        response = client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        err.print(f"[red]cannot reach the worker at {client.base_url}: {exc}[/]")
        raise typer.Exit(2) from None
    body = response.json() if response.content else {}
    if response.status_code >= 400:
        message = body.get("message") if isinstance(body, dict) else response.text
        err.print(f"[red]{response.status_code}[/] {message}")
        raise typer.Exit(1)
    return body


def _load(text: str) -> Any:
    """JSON given inline, as @file, or '-' for stdin."""
    if text == "-":
        return orjson.loads(sys.stdin.buffer.read())
    if text.startswith("@"):
        return orjson.loads(Path(text[1:]).read_bytes())
    return orjson.loads(text)


def subscribe(
    subscription_id: Annotated[str | None, typer.Argument(help="Id (default: generated).")] = None,
    entity: Annotated[
        list[str] | None,
        typer.Option("--entity", "-e", help="Alert when an article mentions it (repeatable)."),
    ] = None,
    rule: Annotated[
        list[str] | None,
        typer.Option("--rule", "-r", help="A rule as JSON, @file or '-' (repeatable); see docs/alerting.md."),
    ] = None,
    combine: Annotated[
        str, typer.Option("--match", help="Several conditions: 'any' or 'all' must hold.")
    ] = "any",
    from_file: Annotated[
        str | None, typer.Option("--file", "-f", help="A whole subscription document (JSON, @file or '-').")
    ] = None,
    name: Annotated[str | None, typer.Option(help="A name for people.")] = None,
    webhook: Annotated[str | None, typer.Option(help="POST each alert here (signed).")] = None,
    secret: Annotated[
        str | None, typer.Option(help="Webhook signing secret (default: generated, shown once).")
    ] = None,
    digest: Annotated[
        float | None, typer.Option(help="At most one alert per this many minutes, the rest carried along.")
    ] = None,
    mute_until: Annotated[str | None, typer.Option(help="No alerts until this ISO-8601 date-time.")] = None,
    per: Annotated[
        str | None,
        typer.Option(help="'story': one alert per story, later articles as updates (docs/stories.md)."),
    ] = None,
    api: ApiOption = None,
    token: TokenOption = None,
    json_out: JsonOption = False,
) -> None:
    """Create or replace a subscription (through the worker's REST API)."""
    try:
        doc: dict[str, Any] = dict(_load(from_file)) if from_file else {}
        conditions = [{"kind": "entity", "entity": e} for e in entity or []] + [_load(r) for r in rule or []]
    except (orjson.JSONDecodeError, OSError, TypeError, ValueError) as exc:
        err.print(f"[red]not JSON: {exc}[/]")
        raise typer.Exit(2) from None
    if combine not in ("any", "all"):
        err.print("[red]--match is 'any' or 'all'[/]")
        raise typer.Exit(2)
    if conditions:
        doc["rule"] = conditions[0] if len(conditions) == 1 else {"kind": combine, "rules": conditions}
    if "rule" not in doc:
        err.print("[red]say what to alert on: --entity, --rule or --file[/]")
        raise typer.Exit(2)
    for key, value in (("id", subscription_id), ("name", name), ("muted_until", mute_until), ("per", per)):
        if value is not None:
            doc[key] = value
    if webhook:
        doc["webhook"] = {"url": webhook, **({"secret": secret} if secret else {})}
    if digest is not None:
        doc["frequency"] = {"mode": "digest", "minutes": digest}
    with _client(api, token) as client:
        stored = _call(client, "POST", "/subscriptions", content=orjson.dumps(doc))
    if json_out:
        sys.stdout.write(orjson.dumps(stored).decode() + "\n")
        return
    err.print(f"[green]subscription {stored['id']}[/]: {describe_rule(stored['rule'])}")
    hook = stored.get("webhook") or {}
    if hook.get("secret") and hook["secret"] != "***":  # "***": the secret is the one you sent
        err.print(f"webhook {hook['url']}, signing secret (shown once): {hook['secret']}")


def _table(docs: list[dict[str, Any]]) -> Table:
    table = Table("id", "name", "rule", "delivery", "frequency", "muted until")
    for doc in docs:
        frequency = doc.get("frequency") or {}
        table.add_row(
            doc["id"],
            doc.get("name") or "",
            describe_rule(doc.get("rule")),
            (doc.get("webhook") or {}).get("url") or "topic / SSE",
            frequency.get("mode", "instant")
            + (f" {frequency['minutes']:g} min" if frequency.get("mode") == "digest" else ""),
            doc.get("muted_until") or "",
        )
    return table


@subscriptions_app.callback()
def subscriptions(
    ctx: typer.Context, api: ApiOption = None, token: TokenOption = None, json_out: JsonOption = False
) -> None:
    """List the subscriptions (webhook secrets hidden)."""
    if ctx.invoked_subcommand is not None:
        return
    with _client(api, token) as client:
        docs = _call(client, "GET", "/subscriptions")["subscriptions"]
    if json_out:
        for doc in docs:
            sys.stdout.write(orjson.dumps(doc).decode() + "\n")
    else:
        Console().print(_table(docs))


@subscriptions_app.command("show")
def subscriptions_show(subscription_id: str, api: ApiOption = None, token: TokenOption = None) -> None:
    """One subscription as JSON."""
    with _client(api, token) as client:
        doc = _call(client, "GET", f"/subscriptions/{subscription_id}")
    sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")


@subscriptions_app.command("delete")
def subscriptions_delete(subscription_id: str, api: ApiOption = None, token: TokenOption = None) -> None:
    """Delete a subscription (a tombstone on the subscriptions topic)."""
    with _client(api, token) as client:
        _call(client, "DELETE", f"/subscriptions/{subscription_id}")
    err.print(f"deleted {subscription_id}")


@alerts_app.command("tail")
def alerts_tail(
    subscription: Annotated[
        list[str] | None, typer.Option("--subscription", "-s", help="Only these subscriptions (repeatable).")
    ] = None,
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Start at the oldest alert.")
    ] = False,
    limit: Annotated[int, typer.Option("--max", help="Stop after this many alerts (0: never).")] = 0,
    timeout: Annotated[float, typer.Option(help="Stop after this many idle seconds (0: never).")] = 0.0,
    json_out: Annotated[bool, typer.Option("--json", help="One alert.v1 JSON document per line.")] = False,
) -> None:
    """Print alerts as they arrive on the alerts topic."""
    from streams.kafka.consumer import tail_topic

    settings = get_settings()
    wanted = set(subscription or [])
    shown = 0
    out = Console(highlight=False, markup=False)
    for record in tail_topic(
        settings, settings.topic("alerts"), from_beginning=from_beginning, idle_timeout=timeout
    ):
        if wanted and record.key not in wanted:
            continue
        if not isinstance(record.value, dict):
            continue
        if json_out:
            sys.stdout.write(orjson.dumps(record.value).decode() + "\n")
            sys.stdout.flush()
        else:
            out.print(alert_line(record.value), soft_wrap=True)
        shown += 1
        if limit and shown >= limit:
            return
