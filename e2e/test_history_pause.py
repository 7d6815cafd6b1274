"""Clients that pause until the stores of recent messages have moved far past them, then read
again: a pushed client that stops, a puller that stops pulling, and a client whose socket reads
nothing (its send queue and the socket buffers full) while the producer goes on. Each resumes
from its own position and gets the partition's log from there on: nothing lost, repeated or
reordered (kasocki-api.md, "Delivery guarantee"), while the producer keeps writing as it catches
up with the live end. Real broker, python-socketio and raw websocket clients. Does I/O."""

from __future__ import annotations

import json
import socket

import pytest
import websocket

from gateway_fixture import DEADLINE_S, GatewayServer
from history_fixture import (assert_delivered, delivered, expected_after, pull,
                             wait_delivered)

pytest_plugins = ["gateway_fixture", "history_fixture"]

PAD = "q" * 700


def values(first: int, count: int, pad: str = PAD) -> list[dict]:
    return [{"n": n, "pad": pad} for n in range(first, first + count)]


def spread(count: int, partitions: int = 2) -> list[int]:
    return [i % partitions for i in range(count)]


def expected_count(expected: dict) -> int:
    return sum(len(records) for records in expected.values())


@pytest.mark.parametrize("how", ["stop", "consume"])
def test_a_client_that_pauses_until_the_stores_moved_on_loses_nothing(
        how, kasocki_server, small_history, connect, fresh_topic, produce, kafka_log,
        background_producer):
    server = kasocki_server(*small_history)
    topic = fresh_topic(2)
    client = connect(server)
    starts = {a["partition"]: a["offset"] for a in client.ok("subscribe", topic)}
    # Reading at the live end...
    if how == "stop":
        client.ok("start")
        produce(topic, values(0, 200), partition=spread(200))
        wait_delivered(client, 200)
        client.ok("stop")
    else:
        produce(topic, values(0, 200), partition=spread(200))
        pull(client, 200)
    # ... paused while the log grows by 2 MB, far more than the stores hold...
    produce(topic, values(200, 3000), partition=spread(3000))
    # ... and reading again while the producer goes on.
    writer = background_producer(topic, lambda b: values(3200 + 50 * b, 50), 20,
                                 partition=spread(50))
    if how == "stop":
        client.ok("start")
        writer.join()
    else:
        pull(client, 3000)
        writer.join()
        pull(client, 1000)
    expected = expected_after(kafka_log(topic), starts)
    got = wait_delivered(client, expected_count(expected))
    assert_delivered(got, topic, expected)
    assert client.errors() == []


class StalledClient:
    """A raw Engine.IO websocket with a tiny receive buffer, subscribed to a topic's end and
    started, which reads only when told to."""

    def __init__(self, server: GatewayServer, topic: str):
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket",
            timeout=DEADLINE_S, sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),))
        assert self.ws.recv().startswith("0{")
        self.ws.send("40")
        self.messages: list[dict] = []
        self.others: list[str] = []
        self.until(lambda p: p.startswith('2["ready"'))
        self.ws.send('420["subscribe",' + json.dumps(topic) + "]")
        ack = json.loads(self.until(lambda p: p.startswith("30["))[2:])
        assert ack[0] is None, ack
        self.starts = {a["partition"]: a["offset"] for a in ack[1]}
        self.ws.send('421["start"]')
        self.until(lambda p: p.startswith("31["))

    def until(self, predicate) -> str:
        """Reads up to the first socket.io packet predicate accepts; messages and other
        packets on the way are kept."""
        while True:
            packet = self.next_packet()
            if predicate(packet):
                return packet
            self.keep(packet)

    def next_packet(self) -> str:
        while True:
            frame = self.ws.recv()
            if frame == "2":
                self.ws.send("3")
                continue
            assert frame.startswith("4"), frame
            return frame[1:]

    def keep(self, packet: str) -> None:
        if packet.startswith('2["message",'):
            self.messages.append(json.loads(packet[1:])[1])
        elif not packet.startswith("0{"):  # the CONNECT answer
            self.others.append(packet)

    def read(self, count: int) -> list[dict]:
        while len(self.messages) < count:
            self.keep(self.next_packet())
        return self.messages

    def close(self) -> None:
        self.ws.close()


def test_a_stalled_socket_falls_behind_and_catches_up_with_the_live_end(
        kasocki_server, small_history, fresh_topic, produce, kafka_log, background_producer):
    # A small send queue: what the server holds for the stalled client is that and the socket
    # buffers; the 3 MB produced meanwhile are far more than the window or store hold.
    server = kasocki_server(*small_history, "--send-queue-kib", "64")
    topic = fresh_topic(2)
    stalled = StalledClient(server, topic)
    try:
        produce(topic, values(0, 3000, "s" * 1000), partition=spread(3000))
        writer = background_producer(topic, lambda b: values(3000 + 50 * b, 50), 20,
                                     partition=spread(50))
        stalled.read(3000)  # reading again, while the producer writes
        writer.join()
        expected = expected_after(kafka_log(topic), stalled.starts)
        got = stalled.read(expected_count(expected))
        assert_delivered(got, topic, expected)
        assert stalled.others == []  # no err event
    finally:
        stalled.close()
