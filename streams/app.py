"""The Faust application: broker connection, topics, tables, agents and web views, from settings.

``create_app`` builds a fresh app (tests build their own); ``app`` is the one ``faust -A streams.app``
and ``stancewire worker`` run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faust
from faust.web.base import BlueprintManager

from streams import commit_guard
from streams.netguard import install_log_redaction
from streams.settings import Settings, get_settings


@dataclass(frozen=True, slots=True)
class Topics:
    raw: faust.TopicT
    enriched: faust.TopicT
    mentions: faust.TopicT
    stances: faust.TopicT
    alerts: faust.TopicT
    deadletter: faust.TopicT
    subscriptions: faust.TopicT
    alerts_deadletter: faust.TopicT
    stories: faust.TopicT


def _credentials(settings: Settings) -> Any:
    context = settings.ssl_context()
    if settings.kafka_sasl_mechanism:
        password = settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else ""
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username or "",
            password=password,
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=context,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def create_app(settings: Settings | None = None, **overrides: Any) -> faust.App:
    settings = settings or get_settings()
    install_log_redaction()
    commit_guard.install()  # offsets committed only over processed messages (faust-streaming #606)
    options: dict[str, Any] = {
        "broker": [f"kafka://{server}" for server in settings.kafka_bootstrap.split(",")],
        "broker_credentials": _credentials(settings),
        "store": "memory://",
        "datadir": str(settings.data_dir),
        "topic_partitions": settings.topic_partitions,
        "topic_replication_factor": settings.topic_replication,
        "web_host": settings.web_host,
        "web_port": settings.web_port,
        # Faust's built-in views answer without any authentication: /table/<name>/<key>/ served
        # subscriptions with their webhook secrets in clear, /router/ the cluster layout, / and
        # /graph/ internals. The worker uses none of them (no @table_route), so all are off; the only
        # routes without a token are our /healthz, /metrics and the desk's page and static files, none
        # of which holds data (streams/web; tests/integration/test_locked_doors.py).
        "web_tables_enabled": False,
        "web_router_enabled": False,
        "web_stats_enabled": False,
        "web_graph_enabled": False,
        "web_metrics_enabled": False,
        "producer_max_request_size": settings.max_message_bytes,
        "producer_linger": settings.producer_linger_s,
        "producer_max_batch_size": min(settings.producer_max_batch_bytes, settings.max_message_bytes),
        "consumer_max_fetch_size": settings.max_message_bytes,
        "broker_session_timeout": settings.kafka_session_timeout_s,
        "broker_heartbeat_interval": settings.kafka_heartbeat_interval_s,
        "broker_rebalance_timeout": settings.kafka_rebalance_timeout_s,
        "broker_commit_interval": settings.kafka_commit_interval_s,
        "consumer_group_instance_id": settings.kafka_group_instance_id,
        "value_serializer": "orjson",
        "key_serializer": "raw",
    }
    options.update(overrides)
    app = faust.App(settings.app_id, **options)
    # With its statistics off Faust mounts a "production index" at "/" instead, which has no setting
    # of its own: the worker mounts no built-in blueprint at all.
    app.web.blueprints = BlueprintManager([])
    topics = declare_topics(app, settings)

    # Imported here: the agents and views need the app and its topics, not the other way round.
    from streams.agents import register_enrichment
    from streams.alerts import register_alerting
    from streams.store import register_store
    from streams.web import register_web

    register_enrichment(app, topics, settings)
    alerting = register_alerting(app, topics, settings)
    # The store (streams/store): opened here, set as app.stancewire_store for the API's views, and
    # fed by its consumer in a thread of the worker unless STANCEWIRE_STORE_CONSUMER_ENABLED=false.
    register_store(app, settings)
    register_web(app, topics, settings, alerting=alerting)
    return app


def declare_topics(app: faust.App, settings: Settings) -> Topics:
    def topic(key: str, **kwargs: Any) -> faust.TopicT:
        return app.topic(
            settings.topic(key),
            partitions=settings.topic_partitions,
            replicas=settings.topic_replication,
            key_type=str,
            key_serializer="raw",
            **kwargs,
        )

    return Topics(
        # Raw values stay bytes: decoding is the agent's job, so malformed input can be dead-lettered
        # with its reason instead of crashing Faust's deserializer.
        raw=app.topic(
            settings.topic("raw"),
            partitions=settings.topic_partitions,
            replicas=settings.topic_replication,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
        ),
        enriched=topic("enriched", value_serializer="orjson"),
        mentions=topic("mentions", value_serializer="orjson"),
        stances=topic("stances", value_serializer="orjson"),
        alerts=topic("alerts", value_serializer="orjson"),
        deadletter=topic("deadletter", value_serializer="orjson"),
        # Compacted, key = subscription id, a tombstone deletes; one partition (it backs a GlobalTable).
        subscriptions=app.topic(
            settings.topic("subscriptions"),
            partitions=1,
            replicas=settings.topic_replication,
            key_type=str,
            key_serializer="raw",
            value_serializer="orjson",
            compacting=True,
        ),
        alerts_deadletter=topic("alerts_deadletter", value_serializer="orjson"),
        # story.v1, key = story id: consumers of story events scale with the partitions.
        stories=topic("stories", value_serializer="orjson"),
    )


def __getattr__(name: str) -> Any:
    # `faust -A streams.app worker` and `stancewire worker` look up `app`; build it lazily so that
    # importing this module (tests, tools) loads no model and opens no connection.
    if name == "app":
        instance = create_app()
        globals()["app"] = instance
        return instance
    raise AttributeError(name)
