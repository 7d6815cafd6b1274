"""The server's websocket connection at the frame level, over a raw socket to `kasocki testserver`.

One writer per websocket: a client's ping is answered by a pong while a large batch is being
written, and the answer never splits a frame of the batch; a client's close during a batch is
answered and ends the connection. Protocol errors close with the RFC 6455 code (1002 for an
unmasked frame, 1007 for text that is not UTF-8, 1009 for a message over maxPayload), and a bad
upgrade request gets an HTTP 400 with the JSON error body of the other Engine.IO errors.
Does I/O: TCP connections to a testserver child process.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import threading

import pytest

pytest.register_assert_rewrite("testserver_fixture")  # before the import below
from testserver_fixture import DEADLINE_S, MAX_PAYLOAD  # noqa: E402

pytest_plugins = ["testserver_fixture"]  # the `testserver` and `server` fixtures

ECHO = "/engine.io/"
KEY = "dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455 1.3's answer to KEY
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def client_frame(opcode: int, payload: bytes, fin: bool = True, masked: bool = True,
                 length: int | None = None) -> bytes:
    """A frame as a client sends it (masked unless told otherwise)."""
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | opcode])
    bit = 0x80 if masked else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 1 << 16:
        head += bytes([bit | 126]) + struct.pack(">H", n)
    else:
        head += bytes([bit | 127]) + struct.pack(">Q", n)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + mask(payload, key)


def mask(payload: bytes, key: bytes) -> bytes:
    repeated = (key * (len(payload) // 4 + 1))[:len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(payload), "big")


class FrameStream:
    """Reads the server's frames from a raw socket, strictly: any byte out of place (a frame
    interleaved with another, a masked or reserved-bit frame) fails the test."""

    def __init__(self, sock: socket.socket, leftover: bytes = b""):
        self.sock = sock
        self.buffer = bytearray(leftover)
        self.ended = False

    def _fill(self, n: int) -> bool:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                self.ended = True
                return False
            self.buffer += chunk
        return True

    def next(self) -> tuple[int, bool, bytes] | None:
        """(opcode, fin, payload) of the next frame, or None at the end of the stream."""
        if not self._fill(2):
            assert not self.buffer, f"stream ended inside a frame header: {bytes(self.buffer)!r}"
            return None
        b0, b1 = self.buffer[0], self.buffer[1]
        assert b0 & 0x70 == 0, f"reserved bits in {b0:#x}"
        assert b1 & 0x80 == 0, "the server masked a frame"
        opcode, fin, n, header = b0 & 0x0F, bool(b0 & 0x80), b1 & 0x7F, 2
        assert opcode in (OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG), opcode
        if n == 126:
            assert self._fill(4)
            n, header = struct.unpack(">H", self.buffer[2:4])[0], 4
        elif n == 127:
            assert self._fill(10)
            n, header = struct.unpack(">Q", self.buffer[2:10])[0], 10
        assert self._fill(header + n), "stream ended inside a frame"
        payload = bytes(self.buffer[header:header + n])
        del self.buffer[:header + n]
        return opcode, fin, payload

    def until_end(self) -> list[tuple[int, bytes]]:
        frames = []
        while (f := self.next()) is not None:
            frames.append((f[0], f[2]))
        return frames


def upgrade_request(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path}?EIO=4&transport=websocket HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


GOOD_HEADERS = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": KEY}


def http_answer(sock: socket.socket) -> tuple[str, dict[str, str], bytes]:
    """Status line, headers and the bytes after the header block (body or frames)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before an HTTP answer: {data!r}"
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return status, headers, rest


def open_websocket(server, rcvbuf: int | None = None) -> FrameStream:
    """A websocket-only Engine.IO session on the echo endpoint, its open packet read."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(DEADLINE_S)
    sock.connect((server.host, server.port))
    sock.sendall(upgrade_request(ECHO, GOOD_HEADERS))
    status, headers, rest = http_answer(sock)
    assert status.startswith("HTTP/1.1 101"), status
    assert headers["sec-websocket-accept"] == ACCEPT
    assert headers["upgrade"].lower() == "websocket"
    frames = FrameStream(sock, rest)
    opcode, fin, payload = frames.next()
    assert (opcode, fin) == (OP_TEXT, True) and payload.startswith(b"0{"), payload
    return frames


def close_code(frames: list[tuple[int, bytes]]) -> int | None:
    closes = [p for op, p in frames if op == OP_CLOSE]
    assert len(closes) == 1, frames[-3:]
    assert frames[-1][0] == OP_CLOSE, "bytes after the close frame"
    return struct.unpack(">H", closes[0][:2])[0] if len(closes[0]) >= 2 else None


class BigBatch:
    """Sends `count` messages of `size` bytes to the echo and then `then` (a control frame), from
    one thread so that the bytes of two frames never mix, while the test reads the echoes.

    The control frame comes while the server is still writing the echoes: the test reads one
    echo and then nothing until the frame is sent (the server writes into socket buffers that
    hold less than the batch). A server whose send queue is full stops reading the client; then
    the frame may not be sent until the test reads again, and it comes while the server still has
    a full queue of echoes to write."""

    def __init__(self, frames: FrameStream, then: bytes, count: int = 30, size: int = 100_000):
        self.frames = frames
        self.messages = [b"4" + bytes([0x61 + i % 26]) * size for i in range(count)]
        data = b"".join(client_frame(OP_TEXT, m) for m in self.messages) + then
        self.sender = threading.Thread(target=frames.sock.sendall, args=(data,), daemon=True)
        self.sender.start()

    def first_echo(self) -> bytes:
        opcode, fin, payload = self.frames.next()
        assert (opcode, fin) == (OP_TEXT, True)
        self.sender.join(2.0)  # sent, unless the server stopped reading (see above)
        return payload


# 3 MB of echoes: more than the kernel's socket buffers hold (with a small receive buffer).
def test_ping_answered_during_a_large_batch_without_interleaving(server):
    frames = open_websocket(server, rcvbuf=16 << 10)
    batch = BigBatch(frames, client_frame(OP_PING, b"mid-batch"))
    echoes, pong_at = [batch.first_echo()], None
    while len(echoes) < len(batch.messages):
        opcode, fin, payload = frames.next()
        assert fin
        if opcode == OP_PONG:
            assert payload == b"mid-batch"
            pong_at = len(echoes)
        elif payload != b"2":  # not the Engine.IO heartbeat
            assert opcode == OP_TEXT
            echoes.append(payload)
    assert echoes == batch.messages
    # The pong went out between two slices of the batch, not after it.
    assert pong_at is not None and pong_at < len(batch.messages), pong_at
    batch.sender.join(DEADLINE_S)
    frames.sock.close()


def test_client_close_during_a_batch_is_answered(server):
    frames = open_websocket(server, rcvbuf=16 << 10)
    batch = BigBatch(frames, client_frame(OP_CLOSE, struct.pack(">H", 1000) + b"bye"))
    first = batch.first_echo()
    rest = frames.until_end()  # every frame whole, the close answer last, then the TCP end
    assert close_code(rest) == 1000
    echoed = [first] + [p for op, p in rest if op == OP_TEXT and p != b"2"]
    assert echoed == batch.messages[:len(echoed)]
    assert len(echoed) < len(batch.messages)  # the close cut the batch short
    batch.sender.join(DEADLINE_S)
    frames.sock.close()


def test_client_ping_and_close_answered(server):
    frames = open_websocket(server)
    frames.sock.sendall(client_frame(OP_PING, b"hello") + client_frame(OP_TEXT, b"4x"))
    assert frames.next() == (OP_PONG, True, b"hello")
    assert frames.next() == (OP_TEXT, True, b"4x")
    frames.sock.sendall(client_frame(OP_CLOSE, struct.pack(">H", 4001)))
    assert close_code(frames.until_end()) == 4001
    frames.sock.close()


def test_fragmented_message_with_ping_between(server):
    frames = open_websocket(server)
    frames.sock.sendall(client_frame(OP_TEXT, b"4fr", fin=False) + client_frame(OP_PING, b"p")
                        + client_frame(OP_CONT, "ag \u00e9".encode()))
    assert frames.next() == (OP_PONG, True, b"p")
    assert frames.next() == (OP_TEXT, True, "4frag \u00e9".encode())
    frames.sock.close()


@pytest.mark.parametrize("data, code", [
    (client_frame(OP_TEXT, b"4unmasked", masked=False), 1002),
    (client_frame(OP_TEXT, b"4\xff\xfe"), 1007),
    (client_frame(OP_TEXT, b"4\xc3"), 1007),
    (client_frame(OP_PING, b"p" * 126), 1002),
    (client_frame(0x3, b"xx"), 1002),
    (client_frame(OP_CONT, b"x"), 1002),
    (client_frame(OP_TEXT, b"4", length=MAX_PAYLOAD + 1), 1009),
], ids=["unmasked", "bad-utf8", "truncated-utf8", "long-control", "reserved-opcode",
        "lone-continuation", "over-max-payload"])
def test_protocol_errors_close_with_their_code(server, data, code):
    frames = open_websocket(server)
    frames.sock.sendall(data)
    assert close_code(frames.until_end()) == code
    frames.sock.close()


@pytest.mark.parametrize("change", [
    {"Sec-WebSocket-Key": None},
    {"Sec-WebSocket-Key": base64.b64encode(b"x" * 15).decode()},
    {"Sec-WebSocket-Key": "not base64!"},
    {"Sec-WebSocket-Version": "8"},
    {"Connection": "keep-alive"},
], ids=["no-key", "short-key", "bad-key", "version-8", "no-connection-upgrade"])
def test_bad_upgrade_request_is_400_with_json(server, change):
    headers = {**GOOD_HEADERS, **change}
    headers = {k: v for k, v in headers.items() if v is not None}
    with socket.create_connection((server.host, server.port), timeout=DEADLINE_S) as sock:
        sock.sendall(upgrade_request(ECHO, headers))
        status, answer_headers, body = http_answer(sock)
        length = int(answer_headers["content-length"])
        while len(body) < length:
            body += sock.recv(65536)
    assert status.startswith("HTTP/1.1 400"), status
    assert answer_headers["content-type"] == "application/json"
    assert json.loads(body) == {"code": 3, "message": "Bad request"}
