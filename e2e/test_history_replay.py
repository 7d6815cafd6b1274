"""Replaying history into the live end: clients subscribed at old offsets (each its own, several
at the same) read, pushed (`start`) or pulled (`consume`), while a producer keeps writing, so each
crosses from history into the live end; the same with consume/start/stop interleaved while it
crosses. Each client gets exactly the partition's log from its position on: in order, nothing
skipped or repeated, the right bodies (kasocki-api.md, "Delivery guarantee"). Runs on the default
server and on one whose stores of old messages are tiny (see history_fixture.small_history).
Real broker, python-socketio clients. Does I/O."""

from __future__ import annotations

import pytest

from gateway_fixture import GatewayClient, Pending
from history_fixture import (ConsumeLoop, assert_delivered, consume_async, delivered,
                             expected_after, wait_delivered)

pytest_plugins = ["gateway_fixture", "history_fixture"]

PAD = "p" * 700  # 1,500 of these messages outgrow the small stores (see small_history)


def values(first: int, count: int) -> list[dict]:
    return [{"n": first + i, "pad": PAD} for i in range(count)]


def spread(count: int, partitions: int) -> list[int]:
    return [i % partitions for i in range(count)]


@pytest.fixture(params=["default", "small"])
def history_server(request, kasocki_server, small_history):
    """A server with its defaults, and one whose window/store hold only a few messages."""
    return kasocki_server(*(small_history if request.param == "small" else []))


def test_clients_replay_from_history_into_the_live_end_while_a_producer_writes(
        history_server, connect, fresh_topic, produce, kafka_log, background_producer):
    server = history_server
    topic = fresh_topic(2)
    produce(topic, values(0, 1600), partition=spread(1600, 2))  # 800 a partition
    # Pushed clients at their own positions and at the same ones, from the first offset to the
    # end; one pulling.
    positions = {"first": 0, "first-again": 0, "middle": 300, "middle-again": 300, "late": 780}
    clients: dict[str, tuple[GatewayClient, dict[int, int]]] = {}
    for name, offset in positions.items():
        client = connect(server)
        client.ok("subscribe", [{"topic": topic, "partition": p, "offset": offset}
                                for p in range(2)])
        client.ok("start")
        clients[name] = (client, {0: offset, 1: offset})
    at_end = connect(server)
    assignment = at_end.ok("subscribe", topic)
    assert sorted((a["partition"], a["offset"]) for a in assignment) == [(0, 800), (1, 800)]
    at_end.ok("start")
    clients["end"] = (at_end, {a["partition"]: a["offset"] for a in assignment})
    puller = connect(server)
    puller.ok("subscribe", [{"topic": topic, "partition": p, "offset": 100} for p in range(2)])
    pulling = ConsumeLoop(puller, 2 * 700)
    clients["pulling"] = (puller, {0: 100, 1: 100})

    writer = background_producer(topic, lambda b: values(1600 + 50 * b, 50), 20,
                                 partition=spread(50, 2))
    writer.join()
    pulling.finish(2 * 700 + 1000)
    log = kafka_log(topic)
    for name, (client, starts) in clients.items():
        expected = expected_after(log, starts)
        count = sum(len(records) for records in expected.values())
        got = wait_delivered(client, count, name)
        assert_delivered(got, topic, expected, name)
    pulling.join()
    for name, (client, _) in clients.items():
        assert client.errors() == [], name


def call_recorded(client: GatewayClient, event: str) -> list:
    """An event whose ack is recorded in the client's event list as "ack:<event>", in wire order
    with the `message` events."""
    pending = Pending(event)

    def on_ack(*reply):
        with client.cond:
            client.events.append((f"ack:{event}", list(reply)))
            client.cond.notify_all()
        pending.set(*reply)

    client.sio.emit(event, (), callback=on_ack)
    reply = pending.result()
    assert reply == [None, None], f"{event}: {reply}"
    return reply


def assert_nothing_pushed_while_stopped(client: GatewayClient) -> None:
    """After the ack of `stop`, no `message` event until the ack of the next `start`."""
    stopped = False
    for index, (event, _) in enumerate(client.events):
        if event == "ack:stop":
            stopped = True
        elif event == "ack:start":
            stopped = False
        elif event == "message":
            assert not stopped, f"a message event at {index}, after a stop's ack"


def test_consume_start_stop_interleaved_while_crossing_into_the_live_end(
        history_server, connect, fresh_topic, produce, kafka_log):
    server = history_server
    topic = fresh_topic(2)
    client = connect(server)
    client.ok("subscribe", [{"topic": topic, "partition": p, "offset": 0} for p in range(2)])
    # Rounds of: while stopped, the log grows far past the client (out of the small stores); a
    # few pulls from there; push while 50 more are produced at the live end, with pulls
    # outstanding meanwhile (their answers take messages out of the pushed stream); stop once
    # the client has everything. Each round crosses from old messages into the live end.
    produced = 0
    for round_ in range(3):
        produce(topic, values(produced, 1500), partition=spread(1500, 2))
        produced += 1500
        pulls = [consume_async(client) for _ in range(20)]
        for pending in pulls:
            assert pending.result()[0] is None
        call_recorded(client, "start")
        during = [consume_async(client) for _ in range(3)]
        # Handled in order: once this is answered, the consumes wait at the server, before the
        # 50 they may need are produced (else the pushed stream could take those 50 first).
        assert client.ok("filter", None) is None
        produce(topic, values(produced, 50), partition=spread(50, 2))
        produced += 50
        wait_delivered(client, produced, f"in round {round_}")
        for pending in during:
            assert pending.result()[0] is None
        call_recorded(client, "stop")
    got = delivered(client)
    assert_delivered(got, topic, expected_after(kafka_log(topic), {0: 0, 1: 0}))
    assert_nothing_pushed_while_stopped(client)
    assert client.errors() == []
