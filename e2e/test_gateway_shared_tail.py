"""The shared reads: one Kafka reader per topic at the live end extending each partition's store
of cached ranges, and the history fetchers that fill what a client behind it needs. A client
behind the window catching up into the live range, stalled and resumed, reconnecting at its last
offsets, many clients with different filters on the same partitions. Every move between history
and the live range keeps each partition in order, without gaps or duplicates. Real broker,
python-socketio and raw websocket clients."""

from __future__ import annotations

import contextlib
import json
import socket

import pytest
import requests
import websocket

from gateway_fixture import DEADLINE_S, GatewayServer, metric_samples, poll_until

pytest_plugins = ["gateway_fixture"]


def wait_metrics(server: GatewayServer, predicate, what: str) -> dict[str, float]:
    """Scrapes until predicate(metrics) holds (the figures have no event to wait on)."""
    return poll_until(lambda: metric_samples(server), predicate, what)


def misses(samples: dict[str, float]) -> float:
    """Reads that had to wait for a history fetch (the offsets were in no cached range)."""
    return samples.get("kasocki_history_misses_total", 0.0)


def numbers(messages: list[dict]) -> list[int]:
    return [m["n"] for m in messages]


def test_a_client_behind_the_window_catches_up_into_the_shared_tail(
        kasocki_server, connect, fresh_topic, produce):
    # A window of 16 KiB holds about 60 of these messages, and no history is cached beyond what
    # the last fetch brought: the client behind reads through the history fetchers.
    server = kasocki_server("--tail-window-kib", "16", "--tail-backfill", "0",
                            "--history-cache-mib", "0")
    topic = fresh_topic()
    tailing = connect(server)
    tailing.ok("subscribe", topic)
    tailing.ok("start")
    produce(topic, [{"n": i, "pad": "x" * 200} for i in range(2000)])
    assert numbers(tailing.messages(2000)) == list(range(2000))

    behind = connect(server)
    behind.ok("subscribe", [{"topic": topic, "partition": 0, "offset": 0}])
    behind.ok("start")
    assert numbers(behind.messages(2000)) == list(range(2000))
    # Now in the window: new messages come from the shared reader.
    produce(topic, [{"n": 2000 + i} for i in range(100)])
    for client in (tailing, behind):
        got = client.messages(2100)
        assert numbers(got) == list(range(2100))
        assert [m["_kafka"]["offset"] for m in got] == list(range(2100))
    samples = wait_metrics(server, lambda s: s.get("kasocki_history_fetchers_busy") == 0,
                           "the history fetch to end")
    assert misses(samples) >= 1 and samples["kasocki_history_fetched_bytes_total"] > 0
    assert samples["kasocki_tail_window_bytes"] <= 16 * 1024
    assert samples["kasocki_tail_topics"] == 1


def test_reconnecting_at_the_last_offset_continues_from_the_window(
        kasocki_server, connect, fresh_topic, produce):
    server = kasocki_server()
    topic = fresh_topic(2)
    first = connect(server)
    first.ok("subscribe", topic)
    produce(topic, [{"n": i} for i in range(40)], partition=[i % 2 for i in range(40)])
    got = [first.ok("consume") for _ in range(15)]
    first.close()
    last = {}
    for m in got:
        last[m["_kafka"]["partition"]] = m["_kafka"]["offset"]
    again = connect(server)
    again.ok("subscribe", [{"topic": topic, "partition": p, "offset": last.get(p, -1) + 1}
                           for p in range(2)])
    again.ok("start")
    rest = again.messages(40 - 15)
    seen = sorted(numbers(got) + numbers(rest))
    assert seen == list(range(40))  # nothing missed, nothing twice
    for p in range(2):
        offsets = [m["_kafka"]["offset"] for m in got + rest if m["_kafka"]["partition"] == p]
        assert offsets == list(range(20))
    samples = metric_samples(server)
    assert misses(samples) == 0  # both connections read from memory


def test_clients_with_different_filters_share_the_partitions(
        kasocki_server, connect, fresh_topic, produce):
    server = kasocki_server()
    topic = fresh_topic(2)
    kinds = ["a", "b1", "b2", "c"]
    filters = {"all": None, "a1": {"kind": "a"}, "a2": {"kind": "a"}, "b": {"kind": "/^b/"},
               "a_or_b2": {"kind": ["a", "b2"]}}
    clients = {}
    for name, f in filters.items():
        client = connect(server)
        client.ok("subscribe", topic)
        if f is not None:
            client.ok("filter", f)
        client.ok("start")
        clients[name] = client
    values = [{"n": i, "kind": kinds[i % 4]} for i in range(400)]
    produce(topic, values, partition=[i % 2 for i in range(400)])
    wanted = {"all": kinds, "a1": ["a"], "a2": ["a"], "b": ["b1", "b2"], "a_or_b2": ["a", "b2"]}
    for name, client in clients.items():
        expected = [v["n"] for v in values if v["kind"] in wanted[name]]
        got = client.messages(len(expected))
        assert sorted(numbers(got)) == expected, name
        assert all(m["kind"] in wanted[name] for m in got), name
        for p in range(2):
            offsets = [m["_kafka"]["offset"] for m in got if m["_kafka"]["partition"] == p]
            assert offsets == sorted(set(offsets)), name  # in order, once


# ---- a client that reads nothing ----

class StalledClient:
    """A raw Engine.IO websocket whose receive buffer is tiny and which stops reading after
    `start`: the server's send queue for it fills while the topic goes on."""

    def __init__(self, server: GatewayServer, topic: str):
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket",
            timeout=DEADLINE_S, sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),))
        assert self.ws.recv().startswith("0{")
        self.ws.send("40")
        self.packets = []
        self.until(lambda p: p.startswith('2["ready"'))
        self.ws.send('420["subscribe",' + json.dumps(topic) + "]")
        self.until(lambda p: p.startswith("30["))
        self.ws.send('421["start"]')
        self.until(lambda p: p.startswith("31["))

    def until(self, predicate) -> str:
        while True:
            frame = self.ws.recv()
            if frame == "2":
                self.ws.send("3")
                continue
            if predicate(frame[1:]):
                return frame[1:]
            self.packets.append(frame[1:])

    def messages(self, count: int) -> list[dict]:
        out = [json.loads(p[1:])[1] for p in self.packets if p.startswith('2["message"')]
        while len(out) < count:
            packet = self.until(lambda p: True)
            if packet.startswith('2["message"'):
                out.append(json.loads(packet[1:])[1])
        return out

    def close(self):
        self.ws.close()


BIG = "x" * 1000  # 12,000 of them outgrow the send queue (1 MiB) and the socket buffers


@pytest.mark.parametrize("queue_kib", ["1024", "64"])
def test_a_stalled_client_resumes_from_its_own_position(kasocki_server, fresh_topic, produce,
                                                        queue_kib):
    # Nothing cached beyond the window: what the stalled client missed comes from Kafka again.
    server = kasocki_server("--tail-window-kib", "64", "--tail-backfill", "0",
                            "--history-cache-mib", "0", "--send-queue-kib", queue_kib)
    topic = fresh_topic()
    stalled = StalledClient(server, topic)
    try:
        produce(topic, [{"n": i, "pad": BIG} for i in range(12000)])
        # The window has moved on far past what the stalled client got; it resumes reading.
        got = stalled.messages(12000)
        assert numbers(got) == list(range(12000))
        assert [m["_kafka"]["offset"] for m in got] == list(range(12000))
        samples = metric_samples(server)
        assert misses(samples) >= 1  # it fell out of the window while stalled
    finally:
        stalled.close()


@contextlib.contextmanager
def let_go_for_stalling(server: GatewayServer, topic: str, produce):
    """A StalledClient on `topic`, once the server has let it go (--stall-timeout)."""
    stalled = StalledClient(server, topic)
    try:
        produce(topic, [{"n": i, "pad": BIG} for i in range(12000)])
        wait_metrics(server,
                     lambda s: s.get('kasocki_limit_rejections_total{limit="stall-timeout"}') == 1,
                     "the stalled client to be let go")
        yield stalled
    finally:
        stalled.close()


def test_a_client_stalled_past_the_timeout_is_disconnected(kasocki_server, fresh_topic, produce):
    # A short heartbeat: the connection itself, whose writes block, goes within one period.
    server = kasocki_server("--stall-timeout", "1", "--ping-interval", "3000",
                            "--ping-timeout", "2000")
    with let_go_for_stalling(server, fresh_topic(), produce):
        wait_metrics(server, lambda s: s.get("kasocki_sessions_subscribed") == 0
                     and s.get('kasocki_connections{eio="4",transport="websocket"}') == 0,
                     "its session and connection to be released")


def test_a_stalled_client_that_reads_again_finds_why_it_was_let_go(kasocki_server, fresh_topic,
                                                                    produce):
    # The default heartbeat (25 s + 20 s) leaves the connection open long enough to read it all.
    server = kasocki_server("--stall-timeout", "1")
    with let_go_for_stalling(server, fresh_topic(), produce) as stalled:
        # Reading again: the messages of the write that was in flight, then at once the reason
        # (the queued messages behind it were dropped), then the socket.io disconnect.
        error = stalled.until(lambda p: p.startswith('2["err"'))
        assert json.loads(error[1:])[1]["name"] == "StalledClientError"
        assert stalled.until(lambda p: True) == "1"  # DISCONNECT of the default namespace
        got = [json.loads(p[1:])[1]["n"] for p in stalled.packets if p.startswith('2["message"')]
        assert got == list(range(len(got))) and 0 < len(got) < 12000
