"""Eviction while clients read: on a server whose stores of old messages are tiny (a 1 MiB
history store, a 16 KiB window), many clients at spread offsets (some at the same ones) read a
topic several times larger, pushed and pulled at different paces, while a producer writes; and
clients that hop between connections, resuming at their last offsets each time, while the
ranges they left are evicted. Each gets exactly the partition's log from its position on
(kasocki-api.md, "Delivery guarantee"). Real broker, python-socketio clients. Does I/O."""

from __future__ import annotations

import pytest

from gateway_fixture import GatewayClient
from history_fixture import (ConsumeLoop, assert_delivered, delivered, expected_after, pull,
                             store_state_on_failure, wait_delivered)

pytest_plugins = ["gateway_fixture", "history_fixture"]

PARTITIONS = 3
PAD = "e" * 1000  # 3,600 messages: 3.6 MB, several times what the small stores hold
BIG = "E" * 1500


def values(first: int, count: int, pad: str = PAD) -> list[dict]:
    return [{"n": n, "pad": pad} for n in range(first, first + count)]


def spread(count: int) -> list[int]:
    return [i % PARTITIONS for i in range(count)]


def count_of(expected: dict) -> int:
    return sum(len(records) for records in expected.values())


def test_many_clients_at_spread_offsets_while_ranges_are_evicted(
        kasocki_server, small_history, connect, fresh_topic, produce, kafka_log,
        background_producer):
    server = kasocki_server(*small_history)
    topic = fresh_topic(PARTITIONS)
    produce(topic, values(0, 2400, BIG), partition=spread(2400))  # 800 a partition, 3.6 MB
    # Eight clients, two at each of four positions; one of each two pushed, the other pulling
    # a few at a time (slower: the ranges behind it are evicted and fetched again).
    clients: list[tuple[GatewayClient, dict[int, int], ConsumeLoop | None]] = []
    for i in range(8):
        client = connect(server)
        starts = {p: (i // 2) * 200 + 10 * p for p in range(PARTITIONS)}
        client.ok("subscribe", [{"topic": topic, "partition": p, "offset": o}
                                for p, o in starts.items()])
        if i % 2 == 0:
            client.ok("start")
            loop = None
        else:
            loop = ConsumeLoop(client, sum(800 - o for o in starts.values()), depth=10)
        clients.append((client, starts, loop))
    writer = background_producer(topic, lambda b: values(2400 + 60 * b, 60), 10,
                                 partition=spread(60))
    writer.join()
    log = kafka_log(topic)
    for i, (client, starts, loop) in enumerate(clients):
        expected = expected_after(log, starts)
        if loop is not None:
            loop.finish(count_of(expected))
        got = wait_delivered(client, count_of(expected), f"client {i}")
        assert_delivered(got, topic, expected, f"client {i}")
        if loop is not None:
            loop.join()
        assert client.errors() == [], i


def test_clients_hopping_between_connections_resume_where_they_were(
        kasocki_server, small_history, connect, fresh_topic, produce, kafka_log,
        kafka_watermarks):
    server = kasocki_server(*small_history)
    topic = fresh_topic(PARTITIONS)
    produce(topic, values(0, 3599), partition=spread(3599))  # 1,200, 1,200 and 1,199
    # How much is left to read comes from the log's ends as Kafka has them, not from what was
    # produced: the broker may keep fewer messages than it acknowledged (Kafka 4.1, a fresh
    # topic, an idempotent producer: now and then a few acknowledged without an offset are
    # never written), and a reader waiting for one of them would wait forever. The uneven
    # partitions keep the test from counting on 1,200 again.
    ends = {p: kafka_watermarks(topic, p)[1] for p in range(PARTITIONS)}

    def left(position: dict[int, int]) -> int:
        return sum(ends[p] - o for p, o in position.items())

    # Four readers, each connection of theirs reading from where their last one ended and
    # going away after 300 messages: pullers exactly; pushed readers disconnect with messages
    # still coming (what they got is what counts). The others read other ranges meanwhile.
    starts = [{p: 50 + 300 * r for p in range(PARTITIONS)} for r in range(4)]
    positions = [dict(s) for s in starts]
    got: list[list[dict]] = [[] for _ in starts]
    for hop in range(3):
        clients = {}
        for r, position in enumerate(positions):
            if left(position) == 0:
                continue  # read to the end already
            client = connect(server)
            client.ok("subscribe", [{"topic": topic, "partition": p, "offset": o}
                                    for p, o in position.items()])
            if r % 2 == 0:
                client.ok("start")
            clients[r] = client
        for r, client in clients.items():
            target = min(300, left(positions[r]))
            with store_state_on_failure(server):
                if r % 2 == 1:
                    pull(client, target, depth=20)
                else:
                    wait_delivered(client, target, f"reader {r} from {positions[r]}")
            client.close()
            messages = delivered(client)
            got[r] += messages
            for m in messages:
                positions[r][m["_kafka"]["partition"]] = m["_kafka"]["offset"] + 1
    log = kafka_log(topic)
    for r, start in enumerate(starts):
        expected = {p: [rec for rec in records if rec.offset < positions[r][p]]
                    for p, records in expected_after(log, start).items()}
        assert count_of(expected) >= 900 or r == 3, f"reader {r} read {count_of(expected)}"
        assert_delivered(got[r], topic, expected, f"reader {r}")
