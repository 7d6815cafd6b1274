"""Socket.IO v5 conformance of `kasocki testserver` (path /socket.io/), over raw websocket frames.

A port of the Socket.IO checks of the official socket.io-protocol test suite (connect,
disconnect, message, binary, acks, invalid packets), plus the same over long-polling and the
Engine.IO v3 / socket.io 2.x flavour (server-initiated `40`, length-prefixed framing, 0x04-prefixed
binary frames). The Engine.IO-level checks on /socket.io/ are in test_engineio_conformance.py.
Does I/O: HTTP and websocket connections to a testserver child process.
"""

import json
import time

import pytest

pytest.register_assert_rewrite("testserver_fixture")  # before the import below
from testserver_fixture import (  # noqa: E402
    CONNECT_TIMEOUT_MS,
    DEADLINE_S,
    eio_url,
    http_get,
    http_post,
    open_polling_session,
    v3_decode,
    v3_encode,
    ws_connect,
    ws_recv,
    ws_wait_closed,
)

pytest_plugins = ["testserver_fixture"]  # the `testserver` and `server` fixtures

SIO = "/socket.io/"
BINARY_ARGS = '{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}'


def recv(ws):
    """Next packet that is not an Engine.IO ping (pings are answered, so sessions stay up)."""
    while True:
        data = ws_recv(ws)
        if data != "2":
            return data
        ws.send("3")


def open_engineio(server):
    ws = ws_connect(server, SIO)
    handshake = ws_recv(ws)
    assert handshake.startswith("0"), handshake
    return ws, json.loads(handshake[1:])["sid"]


def connect(server):
    """A websocket session connected to `/`, past its `auth` event."""
    ws, _ = open_engineio(server)
    ws.send("40")
    assert recv(ws).startswith("40{")
    assert recv(ws) == '42["auth",{}]'
    return ws


# ---- connect ----


@pytest.mark.parametrize(
    "connect_packet, prefix, auth_packet",
    [
        ("40", "40", '42["auth",{}]'),
        ('40{"token":"123"}', "40", '42["auth",{"token":"123"}]'),
        ("40/custom,", "40/custom,", '42/custom,["auth",{}]'),
        ("40/custom", "40/custom,", '42/custom,["auth",{}]'),
        ('40/custom,{"token":"abc"}', "40/custom,", '42/custom,["auth",{"token":"abc"}]'),
    ],
    ids=["main", "main-auth", "custom", "custom-no-comma", "custom-auth"],
)
def test_connect(server, connect_packet, prefix, auth_packet):
    ws, engine_sid = open_engineio(server)
    ws.send(connect_packet)
    reply = recv(ws)
    assert reply.startswith(prefix + "{"), reply
    handshake = json.loads(reply[len(prefix):])
    assert list(handshake) == ["sid"]
    assert isinstance(handshake["sid"], str) and handshake["sid"]
    assert handshake["sid"] != engine_sid  # the socket id is not the Engine.IO session id
    assert recv(ws) == auth_packet
    ws.close()


def test_connect_unknown_namespace(server):
    ws, _ = open_engineio(server)
    ws.send("40/random")
    assert recv(ws) == '44/random,{"message":"Invalid namespace"}'
    ws.close()


@pytest.mark.parametrize("first_packet", ["4abc", '42["message","too early"]', "41"])
def test_first_packet_not_connect_closes(server, first_packet):
    ws, _ = open_engineio(server)
    ws.send(first_packet)
    ws_wait_closed(ws)


def test_no_connect_within_connect_timeout_closes(server):
    started = time.monotonic()
    ws, _ = open_engineio(server)
    # Pings are answered so that the close can only come from the connect timeout.
    _, received = ws_wait_closed(ws, answer_pings=True)
    assert time.monotonic() - started >= CONNECT_TIMEOUT_MS / 1000 * 0.95
    assert set(received) <= {"2", "1"}, received  # pings, and maybe an Engine.IO close first


# ---- disconnect ----


def test_disconnect_main_namespace_keeps_session(server):
    ws = connect(server)
    ws.send("41")
    assert ws_recv(ws) == "2"  # no reply to the disconnect; the heartbeat goes on
    ws.send("3")
    ws.send("40")  # and the session can connect again
    assert recv(ws).startswith("40{")
    assert recv(ws) == '42["auth",{}]'
    ws.close()


def test_connect_disconnect_custom_then_event_on_main(server):
    ws = connect(server)
    assert ws_recv(ws) == "2"
    # Not answering that ping: all of this must happen within one pong window (200 ms).
    ws.send("40/custom")
    assert ws_recv(ws).startswith("40/custom,{")
    assert ws_recv(ws) == '42/custom,["auth",{}]'
    ws.send("41/custom")
    ws.send('42["message","message to main namespace"]')
    assert ws_recv(ws) == '42["message-back","message to main namespace"]'
    ws.close()


# ---- message ----


def test_plain_event(server):
    ws = connect(server)
    ws.send('42["message",1,"2",{"3":[true]},null,-1.5,"h\u00e9\U0001f600"]')
    assert recv(ws) == '42["message-back",1,"2",{"3":[true]},null,-1.5,"h\u00e9\U0001f600"]'
    ws.close()


def test_binary_event(server):
    ws = connect(server)
    ws.send(f'452-["message",{BINARY_ARGS}]')
    ws.send_binary(bytes([1, 2, 3]))
    ws.send_binary(bytes([4, 5, 6]))
    assert recv(ws) == f'452-["message-back",{BINARY_ARGS}]'
    assert recv(ws) == bytes([1, 2, 3])
    assert recv(ws) == bytes([4, 5, 6])
    ws.close()


def test_plain_ack(server):
    ws = connect(server)
    ws.send('42456["message-with-ack",1,"2",{"3":[false]}]')
    assert recv(ws) == '43456[1,"2",{"3":[false]}]'
    ws.close()


def test_binary_ack(server):
    ws = connect(server)
    ws.send(f'452-789["message-with-ack",{BINARY_ARGS}]')
    ws.send_binary(bytes([1, 2, 3]))
    ws.send_binary(bytes([4, 5, 6]))
    assert recv(ws) == f"462-789[{BINARY_ARGS}]"
    assert recv(ws) == bytes([1, 2, 3])
    assert recv(ws) == bytes([4, 5, 6])
    ws.close()


@pytest.mark.parametrize(
    "packet",
    [
        "4abc",  # unknown packet type
        "42{}",  # payload not an array
        '42abc["message-with-ack",1,"2",{"3":[false]}]',  # invalid ack id
        "42[]",  # no event name
        '42["disconnect"]',  # reserved event name
        '450-["message"]',  # zero attachments
        '4511-["message"]',  # more attachments than the bound (10)
        '42["message",1]x',  # trailing garbage after the JSON
    ],
    ids=["unknown-type", "not-array", "bad-ack-id", "empty-array", "reserved-name", "zero-attachments",
         "too-many-attachments", "trailing-garbage"],
)
def test_invalid_packet_closes(server, packet):
    ws = connect(server)
    ws.send(packet)
    ws_wait_closed(ws, answer_pings=True)


# ---- the same over long-polling ----


def poll_packets(url, count):
    packets, end = [], time.monotonic() + DEADLINE_S
    while len(packets) < count and time.monotonic() < end:
        response = http_get(url)
        assert response.status_code == 200, (response.status_code, response.text, packets)
        for packet in response.text.split("\x1e"):
            if packet == "2":
                assert http_post(url, "3").status_code == 200
            else:
                packets.append(packet)
    assert len(packets) == count, packets
    return packets


def test_polling_connect_event_and_binary(server):
    sid = open_polling_session(server, SIO)
    url = eio_url(server, SIO, sid=sid)
    assert http_post(url, '40{"token":"p"}').text == "ok"
    reply, auth = poll_packets(url, 2)
    assert reply.startswith('40{"sid":"') and auth == '42["auth",{"token":"p"}]'
    body = '451-["message",{"_placeholder":true,"num":0},"x"]\x1ebAQID\x1e42["message",7]'
    assert http_post(url, body).text == "ok"
    assert poll_packets(url, 3) == ['451-["message-back",{"_placeholder":true,"num":0},"x"]', "bAQID",
                                    '42["message-back",7]']
    assert http_post(url, '4212["message-with-ack","ok"]').text == "ok"
    assert poll_packets(url, 1) == ['4312["ok"]']


# ---- Engine.IO v3 (socket.io 2.x clients) ----


def v3_poll_until(url, wanted):
    """GETs until every packet of `wanted` arrived; returns the raw payloads and the packets."""
    raw, packets, end = "", [], time.monotonic() + DEADLINE_S
    while not set(wanted) <= set(packets) and time.monotonic() < end:
        response = http_get(url)
        assert response.status_code == 200, (response.status_code, response.text, packets)
        raw += response.text
        packets += v3_decode(response.text)
    assert set(wanted) <= set(packets), packets
    return raw, packets


def ws_recv_until(ws, wanted):
    """Frames until every frame of `wanted` arrived (in any order); returns them all in order."""
    frames = []
    while not all(w in frames for w in wanted):
        frames.append(ws_recv(ws))  # the websocket's own timeout is the deadline
    return frames


def test_v3_polling(server):
    response = http_get(eio_url(server, SIO, eio=3))
    assert response.status_code == 200
    packets = v3_decode(response.text)
    url = eio_url(server, SIO, eio=3, sid=json.loads(packets[0][1:])["sid"])
    # The server connects `/` by itself, without a sid payload; then the auth event follows.
    _, packets = v3_poll_until(url, ["40", '42["auth",{}]']) if "40" not in packets else (None, packets)
    assert "40" in packets and not any(p.startswith("40{") for p in packets), packets
    body = v3_encode(["2", '42["message","h\u00e9llo"]', '421["message-with-ack",1]'])
    assert http_post(url, body).text == "ok"
    raw, packets = v3_poll_until(url, ["3", '42["message-back","h\u00e9llo"]', "431[1]"])
    # The length counts UTF-16 code units: 26, though the packet is 27 bytes long.
    assert '26:42["message-back","h\u00e9llo"]' in raw, raw


def test_v3_websocket(server):
    ws = ws_connect(server, SIO, eio=3)
    assert ws_recv(ws).startswith("0{")
    assert ws_recv(ws) == "40"
    ws.send("2")
    ws.send('42["message","x",1]')
    ws.send('420["message-with-ack",{"a":[1]}]')
    ws.send('451-["message",{"_placeholder":true,"num":0}]')
    ws.send_binary(bytes([4, 1, 2, 3]))  # v3 binary frames carry the message type byte 0x04
    binary_back = '451-["message-back",{"_placeholder":true,"num":0}]'
    frames = ws_recv_until(ws, ["3", '42["message-back","x",1]', '430[{"a":[1]}]', binary_back])
    if frames[-1] == binary_back:
        frames.append(ws_recv(ws))
    assert frames[frames.index(binary_back) + 1] == bytes([4, 1, 2, 3])
    ws.send("40/random")
    error = ws_recv(ws)
    while not (isinstance(error, str) and error.startswith("44")):  # skip a late `auth` event
        error = ws_recv(ws)
    # v3 may carry the error as a plain string: 44/random,"Invalid namespace"
    assert error.startswith("44/random,") and "Invalid namespace" in error, error
    ws.send('421["message-with-ack","still"]')  # the refusal leaves `/` connected
    assert ws_recv(ws) == '431["still"]'
    ws.close()


def test_v3_namespace_connect_with_query(server):
    # socket.io 2.x clients append their query to the namespace of CONNECT; it is the auth.
    ws = ws_connect(server, SIO, eio=3)
    assert ws_recv(ws).startswith("0{")
    assert ws_recv(ws) == "40"
    ws.send("40/custom?token=v2,")
    frames = ws_recv_until(ws, ["40/custom,", '42/custom,["auth",{"token":"v2"}]'])
    assert frames.index("40/custom,") < frames.index('42/custom,["auth",{"token":"v2"}]')
    ws.send("40/random?token=v2,")
    error = ws_recv(ws)
    assert error.startswith("44/random,") and "Invalid namespace" in error, error
    ws.close()
