"""Offsets that do not follow each other: transactions (their commit and abort markers take
offsets, aborted messages are in the log but never read — the server reads read_committed,
librdkafka's default, as does the Kafka consumer the tests compare with) and a compacted topic
(overwritten keys removed by the broker's log cleaner, before or while a client reads it). Clients
at the live end, at offset 0, at an offset of a marker, of an aborted message or of a compacted
hole get exactly what a Kafka consumer reads from there on: in order, nothing skipped or
repeated (kasocki-api.md, "Delivery guarantee"). Runs on the default server and on one whose
stores of old messages are tiny. Real broker, python-socketio clients. Does I/O."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from confluent_kafka import Producer

from conftest import ADMIN_TIMEOUT_S, ORDERED_PRODUCER, create_topic
from gateway_fixture import GatewayClient
from history_fixture import (assert_delivered, delivered, expected_after, pull, read_log,
                             wait_delivered)

pytest_plugins = ["gateway_fixture", "history_fixture"]

# The log cleaner wakes every 15 s (log.cleaner.backoff.ms) when it has nothing to do.
COMPACTION_DEADLINE_S = 60.0


@pytest.fixture(params=["default", "small"])
def history_server(request, kasocki_server, small_history):
    return kasocki_server(*(small_history if request.param == "small" else []))


@pytest.fixture
def transactional_producer(kafka_bootstrap):
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "linger.ms": 0,
                         "transactional.id": f"kasocki-e2e-{uuid.uuid4().hex}"})
    producer.init_transactions(ADMIN_TIMEOUT_S)
    return producer


def transaction(producer: Producer, topic: str, values: list[dict], commit: bool) -> None:
    """One transaction of `values` (all written to the log first, so that an abort leaves them
    there, marked aborted), committed or aborted."""
    producer.begin_transaction()
    for v in values:
        producer.produce(topic, json_bytes(v), partition=0)
    assert producer.flush(ADMIN_TIMEOUT_S) == 0
    if commit:
        producer.commit_transaction(ADMIN_TIMEOUT_S)
    else:
        producer.abort_transaction(ADMIN_TIMEOUT_S)


def json_bytes(value: dict) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def values(first: int, count: int, kind: str) -> list[dict]:
    return [{"n": n, "kind": kind, "pad": "t" * 500} for n in range(first, first + count)]


def subscribe_at(server, connect, topic: str, offset: int, started: bool = True) -> GatewayClient:
    client = connect(server)
    ack = client.ok("subscribe", [{"topic": topic, "partition": 0, "offset": offset}])
    assert ack == [{"topic": topic, "partition": 0, "offset": offset}], ack  # no reset
    if started:
        client.ok("start")
    return client


def test_transaction_markers_and_aborted_messages(
        history_server, connect, fresh_topic, produce, kafka_log, kafka_watermarks,
        transactional_producer):
    server = history_server
    topic = fresh_topic()
    live = connect(server)
    assert live.ok("subscribe", topic)[0]["offset"] == 0
    live.ok("start")
    # 100 committed, 50 aborted, 50 plain, 100 committed, 10 aborted: 250 messages to read,
    # 60 aborted and 4 markers in the log. (Where the plain ones land relative to the abort
    # marker is the broker's business: it writes markers after acknowledging the abort.)
    transaction(transactional_producer, topic, values(0, 100, "committed"), commit=True)
    transaction(transactional_producer, topic, values(1000, 50, "aborted"), commit=False)
    produce(topic, values(100, 50, "plain"), partition=0)
    transaction(transactional_producer, topic, values(150, 100, "committed"), commit=True)
    transaction(transactional_producer, topic, values(2000, 10, "aborted"), commit=False)
    log = kafka_log(topic)
    _, high = kafka_watermarks(topic, 0)
    assert [r.body()["n"] for r in log[0]] == list(range(250))
    assert high == 250 + 60 + 4
    hidden = sorted(set(range(high)) - {r.offset for r in log[0]})
    # From the start, from the first marker, from inside the aborted run, from the last
    # marker (nothing yet: the next message is the first it gets).
    starts = (0, hidden[0], hidden[25], high - 1)
    clients = {start: subscribe_at(server, connect, topic, start) for start in starts}
    for start, client in clients.items():
        expected = expected_after(log, {0: start})
        got = wait_delivered(client, len(expected[0]), f"from {start}")
        assert_delivered(got, topic, expected, f"from {start}")
    produce(topic, values(250, 1, "plain"), partition=0)
    log = kafka_log(topic)
    for start, client in [(0, live), *clients.items()]:
        expected = expected_after(log, {0: start})
        got = wait_delivered(client, len(expected[0]), f"from {start}")
        assert_delivered(got, topic, expected, f"from {start}")
        assert all(m["kind"] != "aborted" for m in got)
        assert client.errors() == []


def test_an_open_transaction_holds_back_what_follows_until_it_ends(
        history_server, connect, fresh_topic, produce, kafka_log, transactional_producer):
    server = history_server
    topic = fresh_topic()
    produce(topic, values(0, 100, "plain"), partition=0)
    live = connect(server)
    live.ok("subscribe", topic)
    live.ok("start")
    puller = subscribe_at(server, connect, topic, 0, started=False)
    pull(puller, 50)
    # A transaction stays open while plain messages are written after it: a read_committed
    # reader stops before the open transaction, and gets both, in offset order, once it ends.
    transactional_producer.begin_transaction()
    for v in values(1000, 20, "in-transaction"):
        transactional_producer.produce(topic, json_bytes(v), partition=0)
    assert transactional_producer.flush(ADMIN_TIMEOUT_S) == 0
    produce(topic, values(100, 30, "plain"), partition=0)
    history = subscribe_at(server, connect, topic, 10)
    transactional_producer.commit_transaction(ADMIN_TIMEOUT_S)
    produce(topic, values(130, 10, "plain"), partition=0)
    log = kafka_log(topic)
    assert len(log[0]) == 100 + 20 + 30 + 10
    pull(puller, len(log[0]) - 50)
    for start, client in [(100, live), (0, puller), (10, history)]:
        expected = expected_after(log, {0: start})
        got = wait_delivered(client, len(expected[0]), f"from {start}")
        assert_delivered(got, topic, expected, f"from {start}")
        assert client.errors() == []


# ---- compaction ----

COMPACTED = {"cleanup.policy": "compact", "segment.ms": "100", "min.cleanable.dirty.ratio": "0.01",
             "min.compaction.lag.ms": "0", "max.compaction.lag.ms": "1000",
             "delete.retention.ms": "0"}


@pytest.fixture(scope="module", autouse=True)
def compacting_topic(kafka_admin, kafka_bootstrap):
    """A compacted topic of five rounds of values over 40 keys (all but the last value of each
    key may be compacted away), written when the module starts: the broker's log cleaner
    (which wakes every 15 s when idle) works on it while the other tests run. Yields the topic
    and its records as first written."""
    name = create_topic(kafka_admin, config=COMPACTED)
    producer = Producer({"bootstrap.servers": kafka_bootstrap, **ORDERED_PRODUCER})
    for r in range(5):
        for k in range(40):
            producer.produce(name, json_bytes({"key": k, "round": r, "pad": "c" * 500}),
                             key=f"k{k}".encode(), partition=0)
        assert producer.flush(ADMIN_TIMEOUT_S) == 0
    written = read_log(kafka_bootstrap, name, 1)[0]
    assert [r.offset for r in written] == list(range(200))
    yield name, written
    kafka_admin.delete_topics([name], operation_timeout=ADMIN_TIMEOUT_S)[name].result(
        ADMIN_TIMEOUT_S)


def test_a_compacted_topic_skips_nothing_still_in_the_log(
        kasocki_server, small_history, connect, compacting_topic, produce, kafka_log):
    topic, written = compacting_topic
    seen = {r.offset: r for r in written}
    # One server with its defaults, one with tiny stores. A reader from offset 0 each, which
    # pulls a few (compaction may not have run yet, or be running) and reads on afterwards.
    servers = [kasocki_server(), kasocki_server(*small_history)]
    readers = [subscribe_at(server, connect, topic, 0, started=False) for server in servers]
    for reader in readers:
        pull(reader, 30)
    # The cleaner only compacts closed segments: a segment closes (segment.ms) at the next
    # write, so keep writing (each under a key of its own, never compacted) until the log has
    # holes.
    deadline = time.monotonic() + COMPACTION_DEADLINE_S
    rolls = 0
    while True:
        after = kafka_log(topic)[0]
        seen.update({r.offset: r for r in after})
        if len(after) < len(seen):
            break
        assert time.monotonic() < deadline, "the broker did not compact the topic"
        produce(topic, [{"roll": rolls}], key=f"roll{rolls}", partition=0)
        rolls += 1
        time.sleep(0.5)  # the cleaner has no event to wait on
    holes = sorted(set(seen) - {r.offset for r in after})
    hole = holes[len(holes) // 2]
    for server, reader in zip(servers, readers):
        reader.ok("start")
        clients = [("reader", reader, 0),
                   ("from 0", subscribe_at(server, connect, topic, 0), 0),
                   (f"from the hole at {hole}", subscribe_at(server, connect, topic, hole), hole)]
        for name, client, start in clients:
            assert_read_through_compaction(client, topic, start, seen, after, name)


def assert_read_through_compaction(client: GatewayClient, topic: str, start: int,
                                   seen: dict, after: list, who: str) -> None:
    """What a client got from `start` while the topic was compacted: every message a record of
    the log at some time (`seen`: before and after compaction), in offset order, none
    repeated, and none of the records still in the log skipped."""
    end = after[-1].offset
    client.wait_for(lambda _: any(m["_kafka"]["offset"] == end for m in delivered(client)),
                    f"offset {end} ({who})")
    got = delivered(client)
    offsets = [m["_kafka"]["offset"] for m in got]
    assert offsets == sorted(set(offsets)), f"{who}: out of order or repeated: {offsets}"
    missing = sorted({r.offset for r in after if r.offset >= start} - set(offsets))
    assert not missing, f"{who}: skipped records still in the log: {missing}"
    assert offsets[0] >= start, who
    for m in got:
        assert_delivered([m], topic, {0: [seen[m["_kafka"]["offset"]]]}, who)
    assert client.errors() == [], who
