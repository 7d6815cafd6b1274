"""Filters across history and the live end: filtered clients replay old messages into the live
end while a producer writes, and clients change their filters while they cross. Filters are
evaluated per message (kasocki-api.md, "filter"): a client gets exactly the messages of the log
that match, in order, none of the matching ones skipped or repeated. What a client must get is
computed from the log as a plain Kafka consumer reads it. Runs on the default server and on one
whose stores of old messages are tiny. Real broker, python-socketio clients. Does I/O."""

from __future__ import annotations

import re

import pytest

from gateway_fixture import GatewayClient, Pending
from history_fixture import (assert_delivered, by_partition, consume_async, delivered,
                             expected_after, wait_delivered)

pytest_plugins = ["gateway_fixture", "history_fixture"]

KINDS = ["a", "b1", "b2", "c"]
PAD = "f" * 600


def values(first: int, count: int) -> list[dict]:
    return [{"n": n, "kind": KINDS[n % 4], "meta": {"shard": n % 3, "weight": 25.0},
             "flag": n % 5 == 0, "pad": PAD} for n in range(first, first + count)]


def spread(count: int, partitions: int = 2) -> list[int]:
    return [i % partitions for i in range(count)]


@pytest.fixture(params=["default", "small"])
def history_server(request, kasocki_server, small_history):
    return kasocki_server(*(small_history if request.param == "small" else []))


# Each filter of the tests, with the same rule in Python (kasocki-api.md, "filter").
FILTERS = {
    "equal": ({"kind": "a"}, lambda v: v["kind"] == "a"),
    "regex": ({"kind": "/^B/i"}, lambda v: re.search("^b", v["kind"]) is not None),
    "any-of": ({"kind": ["a", "b2"]}, lambda v: v["kind"] in ("a", "b2")),
    "sparse-and": ({"meta.shard": 1, "flag": True},
                   lambda v: v["meta"]["shard"] == 1 and v["flag"] is True),
    "number": ({"meta.weight": 25, "kind": "c"},
               lambda v: v["meta"]["weight"] == 25 and v["kind"] == "c"),
}


def test_filtered_clients_replay_history_into_the_live_end(
        history_server, connect, fresh_topic, produce, kafka_log, background_producer):
    server = history_server
    topic = fresh_topic(2)
    produce(topic, values(0, 2000), partition=spread(2000))  # 1,000 a partition
    # (filter, first offset, whether the filter is set before subscribing)
    plan = {"equal": ("equal", 0, False), "regex": ("regex", 0, True),
            "any-of": ("any-of", 400, False), "sparse-and": ("sparse-and", 0, False),
            "number-late": ("number", 990, True), "number-early": ("number", 0, False)}
    clients: dict[str, tuple[GatewayClient, int]] = {}
    for name, (which, offset, before) in plan.items():
        client = connect(server)
        if before:
            client.ok("filter", FILTERS[which][0])
        client.ok("subscribe", [{"topic": topic, "partition": p, "offset": offset}
                                for p in range(2)])
        if not before:
            client.ok("filter", FILTERS[which][0])
        client.ok("start")
        clients[name] = (client, offset)
    writer = background_producer(topic, lambda b: values(2000 + 50 * b, 50), 20,
                                 partition=spread(50))
    writer.join()
    log = kafka_log(topic)
    for name, (client, offset) in clients.items():
        keep = FILTERS[plan[name][0]][1]
        expected = expected_after(log, {0: offset, 1: offset}, keep)
        count = sum(len(records) for records in expected.values())
        assert count > 0, name
        got = wait_delivered(client, count, name)
        assert_delivered(got, topic, expected, name)
        assert client.errors() == [], name


def test_a_filtered_puller_gets_the_next_matching_message_each_time(
        history_server, connect, fresh_topic, produce, kafka_log):
    server = history_server
    topic = fresh_topic(2)
    produce(topic, values(0, 3000), partition=spread(3000))
    client = connect(server)
    client.ok("subscribe", [{"topic": topic, "partition": p, "offset": 0} for p in range(2)])
    client.ok("filter", FILTERS["sparse-and"][0])
    expected = expected_after(kafka_log(topic), {0: 0, 1: 0}, FILTERS["sparse-and"][1])
    count = sum(len(records) for records in expected.values())  # 200 of 3,000
    pulls = [consume_async(client) for _ in range(count)]
    # One more, which waits for the next matching message: produced after 60 that do not match.
    last = consume_async(client)
    produce(topic, [v for v in values(3000, 75) if not FILTERS["sparse-and"][1](v)][:60],
            partition=0)
    produce(topic, [v for v in values(3075, 75) if FILTERS["sparse-and"][1](v)][:1], partition=0)
    for pending in pulls + [last]:
        assert pending.result()[0] is None
    expected = expected_after(kafka_log(topic), {0: 0, 1: 0}, FILTERS["sparse-and"][1])
    assert_delivered(delivered(client), topic, expected)


def record_ack(client: GatewayClient, event: str, *args) -> Pending:
    """An acked event whose ack is recorded in the client's event list as "ack:<event>", in
    wire order with the `message` events."""
    pending = Pending(event)

    def on_ack(*reply):
        with client.cond:
            client.events.append((f"ack:{event}", list(reply)))
            client.cond.notify_all()
        pending.set(*reply)

    client.sio.emit(event, tuple(args), callback=on_ack)
    return pending


def split_at_filter_acks(client: GatewayClient) -> list[list[dict]]:
    """The pushed messages, cut where each `filter` ack came."""
    parts: list[list[dict]] = [[]]
    with client.cond:
        for event, args in client.events:
            if event == "message":
                parts[-1].append(args[0])
            elif event == "ack:filter":
                parts.append([])
    return parts


def test_filters_changed_while_crossing_into_the_live_end(
        history_server, connect, fresh_topic, produce, kafka_log):
    server = history_server
    topic = fresh_topic(2)
    produce(topic, values(0, 3000), partition=spread(3000))
    client = connect(server)
    client.ok("subscribe", [{"topic": topic, "partition": p, "offset": 0} for p in range(2)])
    order = ["equal", "sparse-and", "regex", "any-of"]
    client.ok("filter", FILTERS[order[0]][0])
    client.ok("start")
    # The next filter goes once the client has had a message of the current one; 200 new
    # messages before each change hold some that match whichever filter is in force.
    produced = 3000
    for name in order[1:]:
        have = len(delivered(client))
        produce(topic, values(produced, 200), partition=spread(200))
        produced += 200
        client.wait_for(lambda _: len(delivered(client)) > have, f"a message before {name}")
        reply = record_ack(client, "filter", FILTERS[name][0]).result()
        assert reply == [None, FILTERS[name][0]]
    produce(topic, values(produced, 200), partition=spread(200))
    # The last filter is in force until the end of the log: its matching messages come.
    log = kafka_log(topic)
    keeps = [FILTERS[name][1] for name in order]
    last_part_offsets = {p: max([-1] + [m["_kafka"]["offset"] for m in part])
                         for p, part in by_partition(split_at_filter_acks(client)[-2]).items()}
    tail = expected_after(log, {p: last_part_offsets.get(p, -1) + 1 for p in (0, 1)}, keeps[-1])
    client.wait_for(lambda _: all(
        any(m["_kafka"]["offset"] == records[-1].offset
            for m in by_partition(split_at_filter_acks(client)[-1]).get(p, []))
        for p, records in tail.items() if records), "the last matching messages")
    assert_filtered_runs(client, topic, log, keeps)
    assert client.errors() == []


def assert_filtered_runs(client: GatewayClient, topic: str, log: dict, keeps: list) -> None:
    """Each partition's messages, in the order they came, with the filter in force (the i-th
    of `keeps` between the (i-1)-th and the i-th filter ack), are the log's records in order,
    each matching its filter, and every record not delivered in between was filtered out: by
    the filter of the message before it or of the one after it, or of one in between, with one
    cut per filter change (where the change took effect in that partition)."""
    parts = split_at_filter_acks(client)
    assert len(parts) == len(keeps)
    for partition, records in log.items():
        tagged = [(index, m) for index, part in enumerate(parts)
                  for m in part if m["_kafka"]["partition"] == partition]
        at = {r.offset: r for r in records}
        for index, m in tagged:
            record = at.get(m["_kafka"]["offset"])
            assert record is not None, f"not in the log: {m['_kafka']}"
            assert_delivered([m], topic, {partition: [record]}, f"filter #{index}")
            assert keeps[index](record.body()), f"delivered under filter #{index}: {m}"
        # (part, offset) of consecutive deliveries, from before the first to after the last.
        marks = [(0, -1)] + [(i, m["_kafka"]["offset"]) for i, m in tagged] + \
            [(len(keeps) - 1, records[-1].offset + 1 if records else 0)]
        for (old, low), (new, high) in zip(marks, marks[1:]):
            assert low < high, f"partition {partition}: offset {high} after {low}"
            assert old <= new, f"partition {partition}: filter #{new} after #{old}"
            part = old  # the lowest filter each record in between can have been skipped by
            for record in records:
                if low < record.offset < high:
                    while keeps[part](record.body()) and part < new:
                        part += 1
                    assert not keeps[part](record.body()), (
                        f"partition {partition}: offset {record.offset} matches the filter in "
                        f"force (#{old}..#{new}) but was not delivered")
