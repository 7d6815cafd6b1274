"""The gateway's `ready` and `subscribe` (kasocki-api.md, "On connection", "subscribe") through
python-socketio against `kasocki serve` and the real broker: topic lists, assignments at the end,
at offsets and at timestamps, resets, and every error of a subscribe."""

from __future__ import annotations

import time

import pytest

from conftest import FIXTURE_TOPICS, fixture_events

pytest.register_assert_rewrite("gateway_fixture")
from gateway_fixture import assert_error_shape, positions

pytest_plugins = ["gateway_fixture"]

ONE = "kasocki_test_one"  # 10 messages, offsets 0-9
MULTI = "kasocki_test_multi"  # 3 partitions, 4 messages each


def strip_kafka(message: dict) -> dict:
    return {k: v for k, v in message.items() if k != "_kafka"}


# ---- ready ----


def test_ready_lists_every_topic_sorted_without_internal_ones(gateway, connect):
    client = connect(gateway)
    topics = client.topics
    assert topics == sorted(topics)
    assert set(FIXTURE_TOPICS) <= set(topics)
    assert not [t for t in topics if t.startswith("__")]  # __consumer_offsets exists
    assert client.named("ready") == [[topics]]  # exactly one ready, one argument


def test_ready_with_allowed_topics_lists_only_existing_allowed_ones(kasocki_server, connect):
    server = kasocki_server("--allowed-topics", f"{MULTI},{ONE},no_such_topic,__consumer_offsets")
    client = connect(server)
    assert client.topics == [MULTI, ONE]


def test_disallowed_topic_is_not_available(kasocki_server, connect):
    server = kasocki_server("--allowed-topics", ONE, "--allowed-topics", "kasocki_test_two")
    client = connect(server)
    error = client.fails("subscribe", MULTI, name="TopicNotAvailableError")
    assert error["availableTopics"] == [ONE, "kasocki_test_two"]
    assert client.ok("subscribe", ONE) == [{"topic": ONE, "partition": 0, "offset": 10}]


# ---- subscribe: the end, several topics, errors ----


def test_subscribe_to_one_topic_starts_at_the_end(gateway, connect):
    client = connect(gateway)
    assert client.ok("subscribe", ONE) == [{"topic": ONE, "partition": 0, "offset": 10}]


def test_subscribe_to_several_topics_assigns_every_partition(gateway, connect):
    client = connect(gateway)
    result = client.ok("subscribe", [ONE, {"topic": MULTI}])
    assert result == [{"topic": ONE, "partition": 0, "offset": 10}] + [
        {"topic": MULTI, "partition": p, "offset": 4} for p in range(3)]


def fixed_topics(topics: list[str]) -> list[str]:
    return [t for t in topics if not t.startswith("kasocki_test_tmp_")]


def test_missing_topic_is_not_available_and_lists_the_topics(gateway, connect):
    client = connect(gateway)
    error = client.fails("subscribe", "kasocki_no_such_topic", name="TopicNotAvailableError")
    assert "kasocki_no_such_topic" in error["message"]
    # Other tests' temporary topics may come and go between `ready` and now.
    assert fixed_topics(error["availableTopics"]) == fixed_topics(client.topics)
    # The same error came as an `err` event too.
    client.wait_for(lambda _: client.errors(), "the err event")
    assert client.errors() == [error]


def test_nonexistent_partition_is_an_invalid_assignment(gateway, connect):
    client = connect(gateway)
    client.fails("subscribe", [{"topic": ONE, "partition": 1, "offset": 0}],
                 name="InvalidAssignmentError")
    client.fails("subscribe", [{"topic": MULTI, "partition": 3, "timestamp": 0}],
                 name="InvalidAssignmentError")


MALFORMED = [
    pytest.param([], id="empty-array"),
    pytest.param(None, id="null"),
    pytest.param(12, id="number"),
    pytest.param(True, id="boolean"),
    pytest.param({"topic": ONE, "extra": 1}, id="object-not-in-array-with-unknown-key"),
    pytest.param([12], id="number-item"),
    pytest.param([[ONE]], id="nested-array"),
    pytest.param([""], id="empty-topic"),
    pytest.param([{"topic": 5}], id="topic-not-string"),
    pytest.param([{"partition": 0, "offset": 0}], id="no-topic"),
    pytest.param([{"topic": ONE, "partition": "0", "offset": 0}], id="partition-string"),
    pytest.param([{"topic": ONE, "partition": 0, "offset": "0"}], id="offset-string"),
    pytest.param([{"topic": ONE, "partition": -1, "offset": 0}], id="negative-partition"),
    pytest.param([{"topic": ONE, "partition": 0, "offset": 1.5}], id="float-offset"),
    pytest.param([{"topic": ONE, "partition": 0.5, "offset": 1}], id="float-partition"),
    pytest.param([{"topic": ONE, "partition": 0, "offset": 0, "timestamp": 0}],
                 id="offset-and-timestamp"),
    pytest.param([{"topic": ONE, "partition": 0}], id="partition-without-start"),
    pytest.param([{"topic": ONE, "offset": 0}], id="offset-without-partition"),
    pytest.param([{"topic": ONE, "partition": 0, "offset": 0, "from": 3}], id="unknown-key"),
    pytest.param([{"topic": ONE, "timestamp": -1}], id="negative-timestamp"),
    pytest.param([{"topic": ONE, "partition": 0, "offset": None}], id="null-offset"),
    pytest.param([ONE, {"topic": ONE, "partition": 0, "offset": 0}], id="overlap"),
    pytest.param([{"topic": ONE, "partition": 0, "offset": 2**63}], id="offset-over-int64"),
]


@pytest.mark.parametrize("spec", MALFORMED)
def test_malformed_spec_is_rejected_and_leaves_the_client_unsubscribed(gateway, connect, spec):
    client = connect(gateway)
    error = client.fails("subscribe", spec, name="InvalidAssignmentError")
    assert error["message"]
    client.fails("consume", name="NotSubscribedError")  # still unsubscribed
    assert client.ok("subscribe", ONE) == [{"topic": ONE, "partition": 0, "offset": 10}]


def test_subscribe_without_argument_is_rejected(gateway, connect):
    client = connect(gateway)
    client.fails("subscribe", name="InvalidAssignmentError")


def test_subscribing_twice_is_refused(gateway, connect):
    client = connect(gateway)
    client.ok("subscribe", ONE)
    error = client.fails("subscribe", MULTI, name="AlreadySubscribedError")
    assert_error_shape(error, "subscribe")
    # The first subscription is unchanged: consuming still reads ONE.
    client.fails("subscribe", ONE, name="AlreadySubscribedError")


# ---- offsets ----


def test_subscribe_at_an_offset_starts_there(gateway, connect):
    client = connect(gateway)
    assert client.ok("subscribe", [{"topic": ONE, "partition": 0, "offset": 3}]) == [
        {"topic": ONE, "partition": 0, "offset": 3}]
    messages = [client.ok("consume") for _ in range(7)]
    assert positions(messages) == [(ONE, 0, o) for o in range(3, 10)]
    assert [strip_kafka(m) for m in messages] == fixture_events(ONE)[3:]


def test_subscribe_at_offsets_of_several_partitions(gateway, connect):
    client = connect(gateway)
    spec = [{"topic": MULTI, "partition": 2, "offset": 3}, {"topic": MULTI, "partition": 0, "offset": 1},
            {"topic": ONE, "partition": 0, "offset": 9}]
    assert client.ok("subscribe", spec) == spec
    messages = [client.ok("consume") for _ in range(5)]
    got = positions(messages)
    assert sorted(got) == sorted([(ONE, 0, 9), (MULTI, 0, 1), (MULTI, 0, 2), (MULTI, 0, 3),
                                  (MULTI, 2, 3)])
    assert [p for p in got if p[:2] == (MULTI, 0)] == [(MULTI, 0, o) for o in (1, 2, 3)]
    # Partition 1 was not assigned; the fixture's partitions hold the lines whose
    # fixture_partition says so.
    for m in messages:
        if m["_kafka"]["topic"] == MULTI:
            assert m["fixture_partition"] == m["_kafka"]["partition"]


def test_offset_past_the_end_resets_to_the_end(gateway, connect, fresh_topic, produce):
    topic = fresh_topic()
    produce(topic, [{"n": 0}, {"n": 1}])
    client = connect(gateway)
    assert client.ok("subscribe", [{"topic": topic, "partition": 0, "offset": 100}]) == [
        {"topic": topic, "partition": 0, "offset": 2, "reset": True}]
    pending = client.call_async("consume")
    produce(topic, [{"n": 2}])
    message = pending.message()
    assert message["n"] == 2 and message["_kafka"]["offset"] == 2


def test_offset_at_the_end_is_not_a_reset(gateway, connect):
    client = connect(gateway)
    assert client.ok("subscribe", [{"topic": ONE, "partition": 0, "offset": 10}]) == [
        {"topic": ONE, "partition": 0, "offset": 10}]


def test_out_of_range_offsets_start_at_the_beginning_with_earliest(kasocki_server, connect,
                                                                   fresh_topic, produce):
    server = kasocki_server("-X", "auto.offset.reset=earliest")
    topic = fresh_topic()
    produce(topic, [{"n": i} for i in range(3)])
    client = connect(server)
    assert client.ok("subscribe", [{"topic": topic, "partition": 0, "offset": 1000}]) == [
        {"topic": topic, "partition": 0, "offset": 0, "reset": True}]
    assert [client.ok("consume")["n"] for _ in range(3)] == [0, 1, 2]
    other = connect(server)
    assert other.ok("subscribe", [{"topic": topic, "partition": 0, "offset": -5}]) == [
        {"topic": topic, "partition": 0, "offset": 0, "reset": True}]
    # A whole topic still starts at its end: earliest only applies to out-of-range offsets.
    third = connect(server)
    assert third.ok("subscribe", topic) == [{"topic": topic, "partition": 0, "offset": 3}]


# ---- timestamps ----


def test_subscribe_at_a_timestamp_per_partition(gateway, connect, fresh_topic, produce):
    topic = fresh_topic()
    base = int(time.time() * 1000) - 60_000
    produce(topic, [{"n": i, "late": False} for i in range(3)], timestamp=[base, base + 1, base + 2])
    produce(topic, [{"n": i, "late": True} for i in range(3, 6)],
            timestamp=[base + 1000, base + 1001, base + 1002])
    client = connect(gateway)
    assert client.ok("subscribe", [{"topic": topic, "partition": 0, "timestamp": base + 500}]) == [
        {"topic": topic, "partition": 0, "offset": 3}]
    messages = [client.ok("consume") for _ in range(3)]
    assert [m["n"] for m in messages] == [3, 4, 5]
    assert [m["_kafka"]["timestamp"] for m in messages] == [base + 1000, base + 1001, base + 1002]
    # Exactly at a message's timestamp: that message is the first.
    exact = connect(gateway)
    assert exact.ok("subscribe", [{"topic": topic, "partition": 0, "timestamp": base + 1}]) == [
        {"topic": topic, "partition": 0, "offset": 1}]


def test_subscribe_at_a_timestamp_per_topic(gateway, connect, fresh_topic, produce):
    topic = fresh_topic(3)
    base = int(time.time() * 1000) - 60_000
    for p in range(3):
        produce(topic, [{"p": p, "late": False}] * 2, partition=p, timestamp=[base, base + 1])
        produce(topic, [{"p": p, "late": True, "i": i} for i in range(p + 1)], partition=p,
                timestamp=[base + 1000 + i for i in range(p + 1)])
    client = connect(gateway)
    assert client.ok("subscribe", [{"topic": topic, "timestamp": base + 500}]) == [
        {"topic": topic, "partition": p, "offset": 2} for p in range(3)]
    client.ok("start")
    messages = client.messages(6)
    assert all(m["late"] for m in messages)
    assert sorted((m["p"], m["i"]) for m in messages) == [(0, 0), (1, 0), (1, 1), (2, 0), (2, 1),
                                                         (2, 2)]


def test_timestamp_after_every_message_starts_at_the_end(gateway, connect, fresh_topic, produce):
    topic = fresh_topic()
    base = int(time.time() * 1000) - 60_000
    produce(topic, [{"n": 0}], timestamp=base)
    client = connect(gateway)
    assert client.ok("subscribe", [{"topic": topic, "partition": 0, "timestamp": base + 30_000}]) == [
        {"topic": topic, "partition": 0, "offset": 1}]
    pending = client.call_async("consume")
    produce(topic, [{"n": 1}])
    assert pending.message()["n"] == 1
