"""The bound on events a client sends before `ready` or while its subscribe is answered
(`--max-pending-events`): they wait and are handled afterwards in order, up to the limit; a client
that floods the server meanwhile gets TooManyPendingEventsError (in the ack of the event that
overflowed and as an `err` event) and is disconnected, the events it sent are dropped unanswered,
and the server goes on serving others. Raw Engine.IO v4 clients (polling and websocket) send
thousands of events in one request or one TCP write, so they arrive before the server can answer.
Does I/O: a `kasocki serve` child process, HTTP, websockets; reads the fixture topic only."""

from __future__ import annotations

import json

import pytest
import requests
import websocket

pytest.register_assert_rewrite("gateway_fixture")
from gateway_fixture import DEADLINE_S, assert_error_shape  # noqa: E402

pytest_plugins = ["gateway_fixture"]

ONE = "kasocki_test_one"  # 10 messages
FLOOD = 5000
LIMIT = "max-pending-events"
SEPARATOR = "\x1e"  # between the packets of an Engine.IO v4 polling payload


class Polling:
    """An Engine.IO v4 polling session spoken by hand: exact packets in, exact packets out."""

    def __init__(self, server):
        self.base = f"{server.url}/socket.io/?EIO=4&transport=polling"
        opening = requests.get(self.base, timeout=DEADLINE_S)
        assert opening.status_code == 200 and opening.text.startswith("0{"), opening.text
        self.url = f"{self.base}&sid={json.loads(opening.text[1:])['sid']}"

    def send(self, packets: list[str]) -> None:
        """Socket.IO packets, each an Engine.IO message, all in one request."""
        self.post(["4" + p for p in packets])

    def post(self, packets: list[str]) -> None:
        """Engine.IO packets in one request."""
        response = requests.post(self.url, data=SEPARATOR.join(packets).encode(),
                                 timeout=DEADLINE_S)
        assert response.status_code == 200, (response.status_code, response.text)

    def receive_until_closed(self, max_polls: int = 100) -> list[str]:
        """Every socket.io packet (the text after `4`) until the server closes the session."""
        packets = []
        for _ in range(max_polls):
            response = requests.get(self.url, timeout=DEADLINE_S)
            if response.status_code != 200:  # the session is gone
                return packets
            for packet in response.text.split(SEPARATOR):
                if packet == "1":
                    return packets
                if packet == "2":
                    self.post(["3"])
                elif packet.startswith("4"):
                    packets.append(packet[1:])
        raise AssertionError(f"the session was not closed; got {packets[:20]!r}")

    def receive_until(self, predicate, max_polls: int = 100) -> list[str]:
        packets = []
        for _ in range(max_polls):
            response = requests.get(self.url, timeout=DEADLINE_S)
            assert response.status_code == 200, (response.status_code, response.text)
            for packet in response.text.split(SEPARATOR):
                if packet == "2":
                    self.post(["3"])
                elif packet.startswith("4"):
                    packets.append(packet[1:])
            if any(predicate(p) for p in packets):
                return packets
        raise AssertionError(f"no matching packet among {packets[:20]!r}")


def consume(ack_id: int) -> str:
    return f'2{ack_id}["consume"]'


def subscribe(ack_id: int, spec) -> str:
    return f'2{ack_id}{json.dumps(["subscribe", spec])}'


def acks(packets: list[str]) -> dict[int, list]:
    """ACK packets (`3<id>[...]`) by id."""
    out = {}
    for p in packets:
        if p.startswith("3"):
            bracket = p.index("[")
            ack_id = int(p[1:bracket])
            assert ack_id not in out, f"ack {ack_id} twice"
            out[ack_id] = json.loads(p[bracket:])
    return out


def err_events(packets: list[str]) -> list[dict]:
    return [json.loads(p[1:])[1] for p in packets if p.startswith('2["err"')]


def assert_refused_flood(packets: list[str], overflowing_id: int, event: str, limit: int) -> None:
    """One answer to the whole flood: the overflowing event's ack and an `err` event with
    TooManyPendingEventsError, then the socket.io DISCONNECT. Nothing else was answered."""
    answered = acks(packets)
    assert list(answered) == [overflowing_id], sorted(answered)[:20]
    error, result = answered[overflowing_id]
    assert result is None
    assert_error_shape(error, event)
    assert error["name"] == "TooManyPendingEventsError", error
    assert error["limit"] == LIMIT and error["max"] == limit, error
    assert LIMIT in error["message"], error
    assert err_events(packets) == [error]
    assert "1" in packets, packets  # DISCONNECT of the namespace


def limit_rejections(server) -> float:
    metrics = requests.get(f"{server.url}/metrics", timeout=DEADLINE_S).text
    for line in metrics.splitlines():
        if line.startswith(f'kasocki_limit_rejections_total{{limit="{LIMIT}"}} '):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def still_serves(server, connect) -> None:
    client = connect(server)
    assert client.ok("subscribe", [{"topic": ONE, "partition": 0, "offset": 3}])
    assert client.ok("consume")["_kafka"]["offset"] == 3


def test_events_up_to_the_limit_before_ready_are_answered_in_order(kasocki_server):
    server = kasocki_server("--max-pending-events", 5)
    client = Polling(server)
    # CONNECT and five events in one request: all five arrive before `ready` can be sent.
    client.send(["0", subscribe(1, [{"topic": ONE, "partition": 0, "offset": 0}])] +
                [consume(i) for i in range(2, 6)])
    packets = client.receive_until(lambda p: p.startswith("35["))
    answered = acks(packets)
    assert sorted(answered) == [1, 2, 3, 4, 5], packets
    assert answered[1][0] is None and answered[1][1][0]["offset"] == 0, answered[1]
    assert [answered[i][1]["_kafka"]["offset"] for i in range(2, 6)] == [0, 1, 2, 3]
    # In order: the subscribe's answer before the consumes', each after `ready`.
    order = [p for p in packets if p.startswith("3") or p.startswith('2["ready"')]
    assert order[0].startswith('2["ready"') and order[1].startswith("31["), order[:3]
    assert limit_rejections(server) == 0


def test_a_flood_before_ready_is_refused(kasocki_server, connect):
    server = kasocki_server("--max-pending-events", 5)
    client = Polling(server)
    # The sixth event held before `ready` overflows: ids 1..5 wait, id 6 is refused.
    client.send(["0"] + [consume(i) for i in range(1, FLOOD + 1)])
    packets = client.receive_until_closed()
    assert packets[0].startswith("0{"), packets[:3]  # CONNECT answered
    assert_refused_flood(packets, 6, "consume", 5)
    assert limit_rejections(server) == 1
    still_serves(server, connect)


def test_a_flood_during_a_subscribe_over_polling_is_refused(kasocki_server, connect):
    server = kasocki_server()  # the default limit: 100 events
    client = Polling(server)
    client.send(["0"])
    client.receive_until(lambda p: p.startswith('2["ready"'))
    # The subscribe is answered after Kafka was asked for its offsets; everything after it in
    # the same request waits for that answer: ids 2..101 wait, id 102 overflows.
    client.send([subscribe(1, [{"topic": ONE, "partition": 0, "offset": 0}])] +
                [consume(i) for i in range(2, FLOOD + 2)])
    packets = client.receive_until_closed()
    assert_refused_flood(packets, 102, "consume", 100)
    assert limit_rejections(server) == 1
    still_serves(server, connect)


def websocket_frames(packets: list[str]) -> bytes:
    """Masked text frames of socket.io packets (Engine.IO message `4` + packet), one buffer."""
    return b"".join(websocket.ABNF.create_frame("4" + p, websocket.ABNF.OPCODE_TEXT).format()
                    for p in packets)


def receive_until_closed(ws: websocket.WebSocket, max_frames: int = 1000) -> list[str]:
    """Every socket.io packet until the server closes the connection; pings are answered."""
    packets = []
    for _ in range(max_frames):
        try:
            opcode, data = ws.recv_data()
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            return packets
        if opcode == websocket.ABNF.OPCODE_CLOSE or data == b"1":
            return packets
        text = data.decode()
        if text == "2":
            ws.send("3")
            continue
        assert text.startswith("4"), text
        packets.append(text[1:])
    raise AssertionError(f"the connection was not closed; got {packets[:20]!r}")


def test_a_flood_during_a_subscribe_over_websocket_is_refused(kasocki_server, connect,
                                                              raw_connect):
    server = kasocki_server("--max-pending-events", 50)
    client = raw_connect(server)
    client.send("40")
    client.recv_until(lambda p: p.startswith('2["ready"'))
    # A topic the metadata does not know makes the subscribe wait for a fresh metadata fetch
    # (at least the cache's minimum refresh gap, 1 s): the flood, written at once, is read
    # meanwhile. Ids 2..51 wait, id 52 overflows.
    client.ws.sock.sendall(websocket_frames(
        [subscribe(1, ["kasocki_test_no_such_topic"])] +
        [consume(i) for i in range(2, FLOOD + 2)]))
    packets = receive_until_closed(client.ws)
    assert_refused_flood(packets, 52, "consume", 50)
    assert limit_rejections(server) == 1
    still_serves(server, connect)
