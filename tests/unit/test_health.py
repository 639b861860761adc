"""What /healthz decides (streams/health.py): the broker's answers and the watched partitions' offsets."""

from __future__ import annotations

from streams.health import Health


def health() -> Health:
    return Health(stall_s=30, broker_timeout_s=10, started_at=0)


def test_ok_while_the_broker_answers_and_partitions_keep_up() -> None:
    h = health()
    h.observe(1, {"raw[0]": 5, "raw[1]": 0}, {"raw[0]": 5, "raw[1]": None})
    report = h.report(2)
    assert report["status"] == "ok" and report["problems"] == []
    assert report["partitions"] == {"raw[0]": {"lag": 0, "idle_s": 1.0}, "raw[1]": {"lag": 0, "idle_s": 1.0}}


def test_a_short_start_is_not_a_broker_outage_but_no_answer_after_the_grace_is() -> None:
    h = health()
    assert h.report(5)["status"] == "ok"
    h.broker_failed("KafkaConnectionError: Unable to bootstrap from [('127.0.0.1', 1)]")
    report = h.report(11)
    assert report["status"] == "degraded" and not report["broker"]["reachable"]
    assert "no answer since the worker started" in report["problems"][0]
    assert "Unable to bootstrap" in report["problems"][0]


def test_degraded_while_the_broker_is_unreachable_and_ok_again_once_it_answers() -> None:
    h = health()
    h.observe(0, {"raw[0]": 3}, {"raw[0]": 3})
    h.broker_failed("TimeoutError")
    assert h.report(9)["status"] == "ok"  # within the timeout: one missed probe is no outage
    report = h.report(12)
    assert report["status"] == "degraded"
    assert report["problems"] == ["broker unreachable: last answer 12s ago (TimeoutError)"]
    h.observe(13, {"raw[0]": 3}, {"raw[0]": 3})
    assert h.report(14)["status"] == "ok"


def test_a_partition_with_waiting_messages_and_no_commit_is_stalled() -> None:
    h = health()
    h.observe(0, {"raw[0]": 10, "raw[1]": 4}, {"raw[0]": 2, "raw[1]": 4})
    h.observe(20, {"raw[0]": 12, "raw[1]": 4}, {"raw[0]": 2, "raw[1]": 4})
    assert h.report(29)["status"] == "ok"
    h.observe(31, {"raw[0]": 12, "raw[1]": 4}, {"raw[0]": 2, "raw[1]": 4})
    report = h.report(31)
    assert report["status"] == "degraded"
    assert report["stalled"] == [{"partition": "raw[0]", "lag": 10, "stalled_s": 31.0}]
    assert report["problems"] == ["partition raw[0] stalled: 10 behind, no progress for 31s"]
    assert report["broker"]["reachable"]


def test_progress_or_losing_the_partition_ends_a_stall() -> None:
    h = health()
    h.observe(0, {"raw[0]": 10}, {"raw[0]": 2})
    h.observe(40, {"raw[0]": 10}, {"raw[0]": 2})
    assert h.report(40)["status"] == "degraded"
    h.observe(41, {"raw[0]": 10}, {"raw[0]": 6})  # committed moved: slow, not stalled
    h.observe(59, {"raw[0]": 10}, {"raw[0]": 6})
    assert h.report(60)["status"] == "ok"
    h.observe(100, {"raw[0]": 10}, {"raw[0]": 6})
    assert h.report(100)["status"] == "degraded"
    h.observe(101, {}, {})  # a rebalance gave it to another worker
    assert h.report(101) == {**h.report(101), "status": "ok", "partitions": {}}


def test_a_never_committed_partition_counts_from_zero() -> None:
    h = health()
    h.observe(0, {"raw[0]": 3}, {"raw[0]": None})
    h.observe(35, {"raw[0]": 3}, {"raw[0]": None})
    assert h.report(35)["stalled"] == [{"partition": "raw[0]", "lag": 3, "stalled_s": 35.0}]


def test_recovery_settings_reach_the_faust_consumer(tmp_path) -> None:
    from streams.app import create_app
    from streams.settings import Settings

    app = create_app(
        Settings(
            app_id="stancewire-settings-test",
            data_dir=tmp_path,
            kafka_session_timeout_s=7,
            kafka_heartbeat_interval_s=0.5,
            kafka_group_instance_id="worker-a",
        )
    )
    assert app.conf.broker_session_timeout == 7 and app.conf.broker_heartbeat_interval == 0.5
    assert app.conf.broker_commit_interval == 1.0 and app.conf.consumer_group_instance_id == "worker-a"
    defaults = create_app(Settings(app_id="stancewire-settings-test-2", data_dir=tmp_path))
    assert defaults.conf.broker_session_timeout == 6 and defaults.conf.consumer_group_instance_id is None


def test_the_partitions_stalled_for_the_rejoin_threshold() -> None:
    h = health()
    h.observe(0, {"raw[0]": 10, "raw[1]": 4, "enriched[0]": 7}, {"raw[0]": 2, "raw[1]": 4, "enriched[0]": 1})
    h.observe(20, {"raw[0]": 12, "raw[1]": 4, "enriched[0]": 7}, {"raw[0]": 2, "raw[1]": 4, "enriched[0]": 5})
    assert h.stalled(15, after_s=15) == []
    assert h.stalled(16, after_s=15) == ["raw[0]"]  # raw[1] has nothing waiting, enriched[0] moved at 20
    assert h.stalled(36, after_s=15) == ["enriched[0]", "raw[0]"]


def test_a_rejoin_is_requested_on_the_consumer_thread_loop() -> None:
    from types import SimpleNamespace

    from streams.web.health import request_rejoin

    calls: list[object] = []
    coordinator = SimpleNamespace(request_rejoin=lambda: None)
    consumer = SimpleNamespace(_coordinator=coordinator)
    thread = SimpleNamespace(
        _ensure_consumer=lambda: consumer,
        thread_loop=SimpleNamespace(call_soon_threadsafe=calls.append),
    )
    request_rejoin(SimpleNamespace(consumer=SimpleNamespace(_thread=thread)))  # type: ignore[arg-type]
    assert calls == [coordinator.request_rejoin]
