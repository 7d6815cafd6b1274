"""Kafka faults against `kasocki serve`: the broker down at start (unhealthy, KafkaUnavailableError,
recovery without a restart), the broker stopped and restarted mid-stream (an `err` event, then
delivery resumes exactly where it stopped), and a topic deleted while clients read it (an `err`
event, the server stays up).

These tests stop and start a broker, so they use a SECOND broker of their own (scripts/kafka.sh
with KASOCKI_KAFKA_PORT and KASOCKI_KAFKA_WORK), never the shared one other suites read. Does I/O:
a java broker process, a temporary data folder, Kafka admin and produce requests."""

from __future__ import annotations

import pytest
from confluent_kafka.admin import AdminClient

pytest.register_assert_rewrite("gateway_fixture", "fault_fixture")
from gateway_fixture import DEADLINE_S, poll_until  # noqa: E402

from fault_fixture import RECOVERY_S, produce, wait_status  # noqa: E402

pytest_plugins = ["gateway_fixture", "fault_fixture"]


def test_serve_starts_while_kafka_is_down_and_recovers(running, kasocki_server, connect):
    running.stop()
    server = kasocki_server(wait_healthy_too=False, brokers=running.bootstrap)
    wait_status(server, 503, DEADLINE_S)
    body = server.healthz().json()
    assert body["kafka"] == "unreachable", body
    client = connect(server, wait_ready=False)
    assert client.disconnected.wait(DEADLINE_S + 10), client.events
    (error,) = client.errors()
    assert error["name"] == "KafkaUnavailableError", error
    assert not client.named("ready")

    running.start()
    wait_status(server, 200)
    client = connect(server)  # waits for `ready`
    assert isinstance(client.topics, list)


def test_broker_restart_mid_stream_loses_and_repeats_nothing(running, topic, kasocki_server,
                                                              connect):
    server = kasocki_server(brokers=running.bootstrap)
    produce(running.bootstrap, topic, [{"n": i} for i in range(50)])
    pushed = connect(server)
    pushed.ok("subscribe", [{"topic": topic, "partition": 0, "offset": 0}])
    pushed.ok("start")
    pulled = connect(server)
    pulled.ok("subscribe", [{"topic": topic, "partition": 0, "offset": 0}])
    assert [pulled.ok("consume")["n"] for _ in range(50)] == list(range(50))
    pushed.messages(50)

    # A consume waiting through the outage: a client that asks for nothing reads nothing from
    # Kafka (Kafka is the buffer), so it would hear of the outage only when it asks next.
    outage_consume = pulled.call_async("consume")
    running.stop()
    # Both clients hear about the outage from the delivery loop, as `err` events.
    for client in (pushed, pulled):
        client.wait_for(lambda events: any(e == "err" for e, _ in events), "an err event",
                        RECOVERY_S)
        assert all(e["name"] in ("KafkaError", "KafkaUnavailableError") for e in client.errors())
    wait_status(server, 503)

    running.start()
    wait_status(server, 200)
    produce(running.bootstrap, topic, [{"n": i} for i in range(50, 100)])
    offsets = [m["_kafka"]["offset"] for m in pushed.messages(100, timeout=RECOVERY_S)]
    assert offsets == list(range(100))
    assert outage_consume.message(timeout=RECOVERY_S)["n"] == 50
    assert [pulled.ok("consume")["n"] for _ in range(49)] == list(range(51, 100))
    # Nothing is repeated: one more message comes next, at offset 100. A repeat would be read
    # before it (a partition is delivered in order), so it would show among the 101.
    produce(running.bootstrap, topic, [{"n": 100}])
    offsets = [m["_kafka"]["offset"] for m in pushed.messages(101, timeout=RECOVERY_S)]
    assert offsets == list(range(101)) and len(pushed.named("message")) == 101


def test_topic_deleted_while_clients_read_it(running, topic, kasocki_server, connect):
    server = kasocki_server(brokers=running.bootstrap)
    produce(running.bootstrap, topic, [{"n": i} for i in range(5)])
    reader = connect(server)
    reader.ok("subscribe", [{"topic": topic, "partition": 0, "offset": 0}])
    reader.ok("start")
    reader.messages(5)
    waiting = connect(server)
    waiting.ok("subscribe", [{"topic": topic, "partition": 0, "offset": 5}])
    pending = waiting.call_async("consume")

    admin = AdminClient({"bootstrap.servers": running.bootstrap})
    admin.delete_topics([topic], operation_timeout=30)[topic].result(timeout=30)
    for client in (reader, waiting):
        client.wait_for(lambda events: any(e == "err" for e, _ in events), "an err event",
                        RECOVERY_S)
        error = client.errors()[0]
        assert error["name"] == "KafkaError", error
        assert error.get("topic") in (None, topic), error
    assert not pending.done.is_set() or pending.args[0] is not None
    # The server stays up and serves others; the topic is gone from `ready`.
    # The topic leaves `ready` at the next metadata refresh, which has no event: new clients
    # are connected until one no longer sees it.
    def ready_topics() -> list[str]:
        client = connect(server)
        client.close()
        return client.topics

    poll_until(ready_topics, lambda topics: topic not in topics, "the topic to leave `ready`",
               interval=0.5, timeout=RECOVERY_S)
    assert server.alive()
    assert server.healthz().status_code == 200
