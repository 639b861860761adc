"""Create and list the pipeline's topics from settings (names, partitions, replication, configs)."""

from __future__ import annotations

from dataclasses import dataclass

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from streams.settings import Settings

# Every topic the pipeline owns, by settings name. Alerts and stances exist from the start so that
# subscribers can attach before the first event.
PIPELINE_TOPICS = (
    "raw",
    "enriched",
    "mentions",
    "stances",
    "alerts",
    "deadletter",
    "subscriptions",
    "alerts_deadletter",
    "stories",
    "alerts_input",
)
# Alerting's subscriptions: a compacted table of record (key = subscription id), one partition because
# every worker reads all of it as a Faust GlobalTable.
COMPACTED_TOPICS = ("subscriptions",)
# alerts.input: the matching stage's input, one partition so that shift / spike state is whole.
SINGLE_PARTITION_TOPICS = ("subscriptions", "alerts_input")


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    replication: int
    config: dict[str, str]


def topic_specs(settings: Settings) -> list[TopicSpec]:
    big_messages = {"max.message.bytes": str(settings.max_message_bytes)}
    specs = []
    for key in PIPELINE_TOPICS:
        config = dict(big_messages) if key in ("raw", "enriched", "deadletter", "alerts_input") else {}
        if key in COMPACTED_TOPICS:
            config["cleanup.policy"] = "compact"
        partitions = 1 if key in SINGLE_PARTITION_TOPICS else settings.topic_partitions
        specs.append(TopicSpec(settings.topic(key), partitions, settings.topic_replication, config))
    return specs


def admin_client(settings: Settings) -> KafkaAdminClient:
    return KafkaAdminClient(client_id=f"{settings.app_id}-admin", **settings.kafka_python_config())


def ensure_topics(settings: Settings) -> dict[str, str]:
    """Create the topics that do not exist yet. Returns ``{topic: "created" | "exists"}``."""
    admin = admin_client(settings)
    try:
        existing = set(admin.list_topics())
        outcome: dict[str, str] = {}
        missing = []
        for spec in topic_specs(settings):
            if spec.name in existing:
                outcome[spec.name] = "exists"
            else:
                missing.append(
                    NewTopic(spec.name, spec.partitions, spec.replication, topic_configs=spec.config or None)
                )
        for topic in missing:
            try:
                admin.create_topics([topic])
                outcome[topic.name] = "created"
            except TopicAlreadyExistsError:  # another worker won the race: same result
                outcome[topic.name] = "exists"
        return outcome
    finally:
        admin.close()


def list_topics(settings: Settings) -> dict[str, int]:
    """All topics on the cluster with their partition counts."""
    admin = admin_client(settings)
    try:
        described = admin.describe_topics()
        return {t["topic"]: len(t["partitions"]) for t in described if not t["topic"].startswith("__")}
    finally:
        admin.close()
