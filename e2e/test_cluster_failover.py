"""Failover with nothing lost and nothing repeated, on the 3-node Kafka cluster of
`scripts/kafka.sh --nodes 3` (started once per session by the kafka_cluster fixture) with two
gateways behind HAProxy (deploy/haproxy.cfg), while a producer writes about 100 messages/s to a
topic of replication factor 3 and min.insync.replicas 2:

- the partition leader's broker SIGKILLed, then restarted: clients keep their sessions and read on;
- a gateway SIGKILLed: its clients reconnect through the balancer to the other gateway and resume
  (socket.io resubscribing at the offset after the last message seen, SSE with Last-Event-ID);
- a rolling restart, SIGTERM one gateway at a time.

Every reader must end with every message written, each once, in order.
"""

from __future__ import annotations

import time
import uuid

import pytest

from failover_clients import NumberedProducer, SocketIoReader, SseResumingReader
from gateway_fixture import metric_samples

pytest_plugins = ["gateway_fixture", "lb_fixture"]

# Messages every reader must get between two steps of a test: proof that they read on.
PROGRESS = 100


def cluster_topic(cluster) -> str:
    name = f"kasocki_test_cluster_{uuid.uuid4().hex}"
    cluster.create_topic(name)
    return name


def progress(readers, step: int = PROGRESS) -> None:
    """Until every reader has `step` more messages than now."""
    targets = [(r, r.count() + step) for r in readers]
    for reader, target in targets:
        reader.wait_count(target)


def finish(producer, readers) -> None:
    total = producer.finish()
    for reader in readers:
        reader.wait_count(total)
    for reader in readers:
        reader.stop()
    for reader in readers:
        reader.check_exact(total)
        assert not reader.failures, (reader.name, reader.failures)


def sessions(gateway) -> dict[str, int]:
    samples = metric_samples(gateway.server)
    return {t: int(sum(v for k, v in samples.items()
                       if k.startswith("kasocki_connections{") and f'transport="{t}"' in k))
            for t in ("websocket", "polling", "sse")}


@pytest.fixture
def readers():
    started = []
    yield started
    for reader in started:
        reader.stop()


def test_partition_leader_killed_and_restarted(kafka_cluster, balanced, readers):
    topic = cluster_topic(kafka_cluster)
    stack = balanced(kafka_cluster.bootstrap)
    producer = NumberedProducer(kafka_cluster.bootstrap, topic)
    readers += [SocketIoReader(stack.url, topic, ["websocket"], "start").start(),
                SocketIoReader(stack.url, topic, ["polling"], "start").start(),
                SocketIoReader(stack.url, topic, ["websocket"], "consume").start(),
                SseResumingReader(stack, topic).start()]
    progress(readers)

    leader = kafka_cluster.leader(topic)
    kafka_cluster.kill_node(leader)
    deadline = time.monotonic() + 60
    while kafka_cluster.leader(topic) in (leader, -1):
        assert time.monotonic() < deadline, "no new leader elected within 60 s"
        time.sleep(0.1)
    progress(readers)  # read on from the new leader, with one replica of three gone

    kafka_cluster.start()
    kafka_cluster.wait_in_sync(topic)
    progress(readers)
    finish(producer, readers)
    # The socket.io sessions lived through the broker's loss. An SSE stream may end with an
    # `event: error` KafkaUnavailableError (naming no broker) when its reader sees the killed
    # broker's connection refused (every error after the 200 ends a stream); it resumed exactly
    # with its Last-Event-ID.
    assert [r.connections for r in readers[:3]] == [1, 1, 1]
    sse = readers[3]
    assert all('"name":"KafkaUnavailableError"' in ending and "1909" not in ending
               for ending in sse.endings), sse.endings
    assert sse.connections == len(sse.endings) + 1, sse.endings
    assert all(g.server.alive() for g in stack.gateways)


def test_gateway_killed_clients_resume_on_the_other(kafka_cluster, balanced, readers):
    topic = cluster_topic(kafka_cluster)
    stack = balanced(kafka_cluster.bootstrap, 2, "--sse-keepalive", "2")
    producer = NumberedProducer(kafka_cluster.bootstrap, topic)
    # The least-connections balance puts one SSE stream and one websocket session on each
    # gateway; the polling session goes where this host's address hashes to.
    readers += [SseResumingReader(stack, topic).start()]
    readers[0].wait_count(1)
    readers += [SseResumingReader(stack, topic).start()]
    readers[1].wait_count(1)
    readers += [SocketIoReader(stack.url, topic, ["websocket"], "start").start()]
    readers[2].wait_count(1)
    readers += [SocketIoReader(stack.url, topic, ["websocket"], "consume").start(),
                SocketIoReader(stack.url, topic, ["polling"], "start").start(),
                SocketIoReader(stack.url, topic, ["polling", "websocket"], "consume").start()]
    progress(readers)

    # The gateway with the polling sessions: every kind of client loses its gateway.
    victim = max(stack.gateways, key=lambda g: sessions(g)["polling"] + sessions(g)["websocket"])
    before = sessions(victim)
    assert before["sse"] >= 1 and before["websocket"] >= 1, before
    victim.kill()
    progress(readers)  # all read on, those of the killed gateway through the other one

    reconnected_sse = sum(r.connections - 1 for r in readers[:2])
    reconnected_sio = sum(r.connections - 1 for r in readers[2:])
    assert reconnected_sse >= before["sse"], [r.connections for r in readers]
    assert reconnected_sio >= 1, [r.connections for r in readers]

    victim.start()
    stack.wait_state(victim.name, "UP")
    progress(readers)
    finish(producer, readers)


def test_rolling_restart_under_load(kafka_cluster, balanced, readers):
    topic = cluster_topic(kafka_cluster)
    stack = balanced(kafka_cluster.bootstrap, 2, "--sse-keepalive", "2")
    producer = NumberedProducer(kafka_cluster.bootstrap, topic)
    readers += [SocketIoReader(stack.url, topic, ["websocket"], "start").start(),
                SocketIoReader(stack.url, topic, ["websocket"], "consume").start(),
                SocketIoReader(stack.url, topic, ["polling", "websocket"], "start").start(),
                SocketIoReader(stack.url, topic, ["polling"], "consume").start(),
                SseResumingReader(stack, topic).start(),
                SseResumingReader(stack, topic).start()]
    progress(readers)
    for gateway in stack.gateways:
        assert gateway.terminate() == 0, gateway.server.stderr()[-2000:]
        progress(readers)  # on the other gateway
        gateway.start()
        stack.wait_state(gateway.name, "UP")
        progress(readers)
    finish(producer, readers)
    # Each gateway went away once: every client lost its session at least once.
    assert all(r.connections >= 2 for r in readers), [(r.name, r.connections) for r in readers]
