"""Hostile input over real sockets against `kasocki serve`: thousands of malformed HTTP requests,
Engine.IO requests and payloads, websocket frames, Socket.IO packets and Kasocki events. Afterwards
a normal client must still be served, and the server's resident memory must not have grown
(beyond a generous bound) between a warm-up round and the rounds after it.

The inputs come from a seeded generator, so a failure is reproducible. The admission limits are
lifted for this server so that the hostile traffic reaches the parsers instead of a 429."""

from __future__ import annotations

import json
import os
import pathlib
import random
import socket
import struct

import pytest
import requests
import websocket

pytest.register_assert_rewrite("gateway_fixture")
from gateway_fixture import DEADLINE_S, poll_until  # noqa: E402

pytest_plugins = ["gateway_fixture"]

ONE = "kasocki_test_one"  # 10 messages
IO_TIMEOUT_S = 2.0
# Resident memory may grow this much from the end of the warm-up round to the end of the last
# round: allocator caches and Kafka buffers settle in the warm-up; a leak of even a few hundred
# bytes per request would exceed it over the rounds.
RSS_GROWTH_LIMIT_KB = 32 * 1024
# Under AddressSanitizer freed memory sits in a quarantine (256 MiB by default) before reuse, so
# RSS says nothing there; LeakSanitizer checks leaks at exit instead. scripts/test.sh sets this.
if os.environ.get("KASOCKI_SANITIZED") == "1":
    RSS_GROWTH_LIMIT_KB = 1024 * 1024


def rss_kb(pid: int) -> int:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc status")


def exchange(port: int, data: bytes, read: bool = True) -> bytes:
    """Sends raw bytes on a new connection; returns what came back before close or timeout."""
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT_S) as s:
        try:
            s.sendall(data)
            if not read:
                return b""
            s.shutdown(socket.SHUT_WR)
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
                if sum(map(len, chunks)) > 1 << 20:
                    break
            return b"".join(chunks)
        except (ConnectionError, socket.timeout, OSError):
            return b""


def junk(rng: random.Random, size: int) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(size))


def bad_http_requests(rng: random.Random) -> list[bytes]:
    path = "/socket.io/?EIO=4&transport=polling"
    return [
        junk(rng, rng.randint(1, 300)),
        b"GET\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET " + b"/" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 2000 + b"\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
        b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"ffffffffffffffff\r\n",
        b"GET /socket.io/?" + b"&" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /socket.io/?EIO=4&transport=polling&sid=" + junk(rng, 30).hex().encode()
        + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /socket.io/?EIO=%ff%fe&transport=%00 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",  # no key
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * 50,  # pipelined
        b"GET / HTTP/1.1\r\nHost: x\r\nX: \x00\x01\x02\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + junk(rng, 100),  # a TLS hello
    ]


def bad_engineio_payloads(rng: random.Random) -> list[str | bytes]:
    return [
        "", "9", "4", "\x1e", "\x1e\x1e\x1e", "b", "bAAA", "b!!!", "2probe\x1e5", "6" * 1000,
        "40" + "\x1e" * 100, "0{}", "1", "4" + "é" * 100, "4\ud800".encode("utf-8", "surrogatepass"),
        junk(rng, rng.randint(1, 200)), "4" + "[" * 5000, "b" + "A" * 10001,
    ]


def bad_socketio_packets(rng: random.Random) -> list[str]:
    return [
        "40{bad", "40/nope,", "42[", "42", "42[]", '42["subscribe"', "45-", "451-[\"a\",{\"_placeholder\":true,\"num\":0}]",
        "459999999999999999999-[]", "43", "4399999999999999999999[]", "46", "47", "4" + "9" * 50,
        "42" + "[" * 3000 + "]" * 3000, '42["' + "x" * 5000 + '"]', "41", "40/," + "x" * 1000,
        "42999999999999999999999999[\"consume\"]", '42[1,2,3]', '42[null]', '42[{"a":1}]',
        "4" + junk(rng, 50).decode("latin-1"),
    ]


def bad_kasocki_events(rng: random.Random) -> list[list]:
    deep = {"a": 1}
    for _ in range(200):
        deep = {"a": deep}
    return [
        ["subscribe", None], ["subscribe", 12], ["subscribe", [None]], ["subscribe", [{}]],
        ["subscribe", [{"topic": ONE, "partition": "0", "offset": 0}]],
        ["subscribe", [{"topic": ONE, "partition": 0, "offset": 1.5}]],
        ["subscribe", [{"topic": ONE, "partition": 0, "offset": 0, "timestamp": 0}]],
        ["subscribe", ["\u0000" * 100]], ["subscribe", [ONE] * 5000],
        ["filter", deep], ["filter", {"a": "/(a+)+$/"}], ["filter", {"a": "/[/"}],
        ["filter", {"": 1}], ["filter", {".": 1}], ["filter", {"a": {"b": 1}}],
        ["filter", {"a" * 5000: [1, [2, [3]]]}], ["filter", [1, 2]],
        ["consume", {"x": 1}], ["start", "now"], ["stop", 1, 2, 3], ["ready"], ["err", {}],
        ["message", "x"], ["x" * 2000], [junk(rng, 20).decode("latin-1")],
    ]


def ws_frame(opcode: int, payload: bytes, fin: bool = True, masked: bool = True,
             length_override: int | None = None) -> bytes:
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload) if length_override is None else length_override
    mask_bit = 0x80 if masked else 0
    if n < 126:
        head += bytes([mask_bit | n])
    elif n < 1 << 16:
        head += bytes([mask_bit | 126]) + struct.pack(">H", n)
    else:
        head += bytes([mask_bit | 127]) + struct.pack(">Q", n)
    if not masked:
        return head + payload
    key = b"\x01\x02\x03\x04"
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def bad_websocket_streams(rng: random.Random) -> list[bytes]:
    upgrade = (b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"
               b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
               b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
    return [upgrade + f for f in (
        ws_frame(0x1, b"40", masked=False),                   # unmasked client frame
        ws_frame(0x3, b"xx"),                                 # reserved opcode
        ws_frame(0x1, b"\xff\xfe"),                           # invalid UTF-8 text
        ws_frame(0x1, b"4", length_override=1 << 62),         # absurd length
        ws_frame(0x1, b"40", fin=False) + ws_frame(0x1, b"x"),  # bad continuation
        ws_frame(0x9, b"p" * 200),                            # control frame too long
        ws_frame(0x2, junk(rng, 100)),                        # binary junk
        ws_frame(0x1, b"40") + ws_frame(0x1, b"42[\"subscribe\"," + b"[" * 2000 + b"]"),
        junk(rng, 64),
    )]


def one_round(server, rng: random.Random) -> int:
    """Sends one round of hostile input; returns how many inputs were sent."""
    port, sent = server.port, 0
    for _ in range(6):
        for data in bad_http_requests(rng):
            exchange(port, data)
            sent += 1
    for data in bad_websocket_streams(rng):
        exchange(port, data)
        sent += 1
    # Engine.IO: polling sessions fed garbage payloads, and requests with wrong sids.
    base = f"{server.url}/socket.io/?EIO=4&transport=polling"
    with requests.Session() as http:
        for payload in bad_engineio_payloads(rng):
            opening = http.get(base, timeout=DEADLINE_S)
            assert opening.status_code == 200, opening.text
            sid = json.loads(opening.text[1:])["sid"]
            http.post(f"{base}&sid={sid}", data=payload, timeout=DEADLINE_S)
            http.get(f"{base}&sid={sid}", timeout=DEADLINE_S)
            sent += 1
        for _ in range(100):
            http.post(f"{base}&sid={junk(rng, 10).hex()}", data="4x", timeout=DEADLINE_S)
            sent += 1
    # Socket.IO packets and Kasocki events over websockets: one connection takes many packets
    # until one of them gets it closed; then the next connection goes on.
    url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
    packets = bad_socketio_packets(rng) * 3
    packets += ["42" + json.dumps(e) for e in bad_kasocki_events(rng) * 20]
    packets += ["42" + str(i) + json.dumps(e) for i, e in enumerate(bad_kasocki_events(rng) * 20)]
    ws = None
    for packet in packets:
        try:
            if ws is None:
                ws = websocket.create_connection(url, timeout=IO_TIMEOUT_S)
                ws.recv()
                ws.send("40")
            ws.send(packet)
            sent += 1
        except (websocket.WebSocketException, ConnectionError, OSError):
            ws = None
    if ws is not None:
        ws.close()
    return sent


def open_sessions(server) -> float:
    """The sum of kasocki_connections over its transports and versions, from /metrics."""
    text = requests.get(f"{server.url}/metrics", timeout=DEADLINE_S).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("kasocki_connections{"))


def wait_no_sessions(server) -> None:
    """Sessions the round abandoned end by ping timeout (0.5 + 0.5 s): awaited on the gauge."""
    poll_until(lambda: open_sessions(server), lambda n: n == 0, "every abandoned session to end")


def test_hostile_input_leaves_the_server_serving_without_growing(kasocki_server, connect):
    server = kasocki_server("--new-sessions-per-ip-per-second", 0, "--max-connections-per-ip", 0,
                            "--max-sockets-per-ip", 0,
                            "--ping-interval", 500, "--ping-timeout", 500)
    rng = random.Random(20240611)
    sent = one_round(server, rng)  # warm-up
    wait_no_sessions(server)
    warm = rss_kb(server.pid)
    for _ in range(3):
        sent += one_round(server, rng)
        assert server.alive(), server.stderr()[-4000:]
    wait_no_sessions(server)
    grown = rss_kb(server.pid) - warm
    print(f"hostile inputs: {sent}, RSS after warm-up {warm} KiB, growth {grown} KiB")
    assert sent > 3000, sent
    assert grown < RSS_GROWTH_LIMIT_KB, f"RSS grew by {grown} KiB over {sent} hostile inputs"

    client = connect(server)
    assert ONE in client.topics
    client.ok("subscribe", [{"topic": ONE, "partition": 0, "offset": 0}])
    assert client.ok("consume")["_kafka"]["offset"] == 0
    assert server.healthz().status_code == 200
