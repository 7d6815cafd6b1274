"""Hostile and heavy use of the SSE endpoint against the real broker: malformed and oversized
Last-Event-ID headers, `since` far in the future or past, filters over their limits, admission
limits, many idle streams at once, a client that never reads, and the endpoint over TLS. Each
gets a clear 4xx or a bounded cost, and the server keeps serving.
Does I/O: child processes (kasocki, openssl), Kafka produce, HTTP, raw sockets.
"""

from __future__ import annotations

import json
import socket
import subprocess

import pytest
import requests

from gateway_fixture import metric_samples, poll_until
from sse_helpers import DEADLINE_S, SseReader, message_numbers, produce_numbered, stream_url

pytest_plugins = ["gateway_fixture"]


def entries(topic: str, count: int) -> str:
    return json.dumps([{"topic": topic, "partition": i, "offset": 0} for i in range(count)],
                      separators=(",", ":"))


def test_oversized_last_event_id_is_431_and_too_many_entries_400(kasocki_server, fresh_topic):
    topic = fresh_topic(1)
    server = kasocki_server()
    r = requests.get(stream_url(server, [topic]), headers={"Last-Event-ID": entries(topic, 10_000)},
                     timeout=DEADLINE_S)
    assert r.status_code == 431
    assert r.json()["limit"] == "max-http-header-bytes"
    # A header limit above what one header field may hold stops at 65535 bytes.
    big = kasocki_server("--max-http-header-bytes", "2000000")
    r = requests.get(stream_url(big, [topic]), headers={"Last-Event-ID": entries(topic, 10_000)},
                     timeout=DEADLINE_S)
    assert r.status_code == 431
    assert r.json()["max"] == 65535
    # Within the header limit, the entry limit (max-subscribe-items, 1000) refuses it.
    r = requests.get(stream_url(big, [topic]), headers={"Last-Event-ID": entries("t", 1001)},
                     timeout=DEADLINE_S)
    assert r.status_code == 400
    assert r.json()["name"] == "InvalidAssignmentError"
    deep = "[" * 30_000 + "]" * 30_000
    r = requests.get(stream_url(big, [topic]), headers={"Last-Event-ID": deep}, timeout=DEADLINE_S)
    assert r.status_code == 400 and r.json()["name"] == "InvalidAssignmentError"
    # A partition the topic does not have.
    r = requests.get(stream_url(big, [topic]), headers={"Last-Event-ID": entries(topic, 2)},
                     timeout=DEADLINE_S)
    assert r.status_code == 400 and r.json()["name"] == "InvalidAssignmentError"
    assert server.healthz().status_code == 200 and big.healthz().status_code == 200


def test_since_far_future_starts_at_the_end_and_far_past_at_the_start(gateway, fresh_topic,
                                                                      produce):
    topic = fresh_topic(1)
    produce_numbered(produce, topic, 0, 2)
    past = SseReader(stream_url(gateway, [topic], since="1970-01-01T00:00:00Z"))
    try:
        assert message_numbers(past.events(2)) == [0, 1]
    finally:
        past.close()
    future = SseReader(stream_url(gateway, [topic], since=str(2**62)))
    try:
        assert future.line() == ":ok"
        produce_numbered(produce, topic, 2, 1)
        assert message_numbers(future.events(1)) == [2]
    finally:
        future.close()
    r = requests.get(stream_url(gateway, [topic], since="9" * 30), timeout=DEADLINE_S)
    assert r.status_code == 400 and r.json()["name"] == "InvalidTimestampError"


def test_bytes_that_are_not_utf8_are_answered_not_thrown_on(gateway, fresh_topic):
    topic = fresh_topic(1)
    r = requests.get(gateway.url + "/v2/stream/%FF%FE", timeout=DEADLINE_S)
    assert r.status_code == 404 and r.json()["name"] == "TopicNotAvailableError"
    r = requests.get(f"{gateway.url}/v2/stream/{topic}?filters=%7B%22a%22%3A%22%FF%22%7D",
                     timeout=DEADLINE_S)
    assert r.status_code == 400 and r.json()["name"] == "InvalidFilterError"
    r = requests.get(f"{gateway.url}/v2/stream/{topic}?filters=%7B%22a%22%13%A1%7D",
                     timeout=DEADLINE_S)
    assert r.status_code == 400 and r.json()["name"] == "InvalidFilterError"
    assert gateway.healthz().status_code == 200


def test_filters_over_their_limits_name_the_limit(gateway, fresh_topic):
    topic = fresh_topic(1)
    too_many = {f"k{i}": i for i in range(33)}
    r = requests.get(stream_url(gateway, [topic], filters=json.dumps(too_many)), timeout=DEADLINE_S)
    assert r.status_code == 400
    body = r.json()
    assert body["name"] == "InvalidFilterError" and body["limit"] == "max-filter-keys"
    too_deep = {".".join(["a"] * 17): 1}
    r = requests.get(stream_url(gateway, [topic], filters=json.dumps(too_deep)), timeout=DEADLINE_S)
    assert r.status_code == 400 and r.json()["limit"] == "max-filter-depth"


def test_admission_limits_count_streams(kasocki_server, fresh_topic):
    topic = fresh_topic(1)
    server = kasocki_server("--max-connections-per-ip", "2")
    readers = [SseReader(stream_url(server, [topic])) for _ in range(2)]
    try:
        for reader in readers:
            assert reader.line() == ":ok"
        r = requests.get(stream_url(server, [topic]), timeout=DEADLINE_S)
        assert r.status_code == 429
        assert r.json()["limit"] == "max-connections-per-ip"
    finally:
        for reader in readers:
            reader.close()
    # Places are given back when the streams end.
    poll_until(lambda: requests.get(stream_url(server, [topic]), stream=True, timeout=DEADLINE_S),
               lambda r: r.close() or r.status_code == 200, "a stream admitted again")


def open_raw_stream(port: int, target: str, receive_buffer: int = 0) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(DEADLINE_S)
    if receive_buffer:  # before connecting: the window is agreed on in the handshake
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    s.connect(("127.0.0.1", port))
    s.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return s


def test_a_thousand_idle_streams_and_the_server_still_serves(kasocki_server, fresh_topic, produce):
    topic = fresh_topic(1)
    server = kasocki_server("--max-connections-per-ip", "0", "--new-sessions-per-ip-per-second", "0",
                            "--max-sockets-per-ip", "0")
    target = "/v2/stream/" + topic
    sockets = []
    try:
        for _ in range(1000):
            sockets.append(open_raw_stream(server.port, target))
        poll_until(lambda: metric_samples(server), lambda m: m.get(
            'kasocki_connections{transport="sse"}', 0) == 1000, "1000 open sse streams",
            timeout=60)
        produce_numbered(produce, topic, 0, 1)
        reader = SseReader(stream_url(server, [topic], since=0))
        try:
            assert message_numbers(reader.events(1)) == [0]
        finally:
            reader.close()
    finally:
        for s in sockets:
            s.close()
    poll_until(lambda: metric_samples(server), lambda m: m.get(
        'kasocki_connections{transport="sse"}', -1) == 0, "every stream closed", timeout=60)


def stalled_stream(kasocki_server, fresh_topic, produce, send_queue_kib: int):
    """A server with a 1 s stall timeout and a stream of 16 MB of events (more than the kernel's
    buffers on both sides of the connection and the send queue together) whose client reads
    nothing, once the server refused it for that; returns (server, topic, socket)."""
    topic = fresh_topic(1)
    pad = "x" * 4000
    for start in range(0, 4000, 500):
        produce(topic, [{"n": i, "pad": pad} for i in range(start, start + 500)])
    server = kasocki_server("--send-queue-kib", str(send_queue_kib), "--stall-timeout", "1")
    s = open_raw_stream(server.port, f"/v2/stream/{topic}?since=0", receive_buffer=4096)
    try:
        poll_until(lambda: metric_samples(server), lambda m: m.get(
            'kasocki_limit_rejections_total{limit="stall-timeout"}', 0) >= 1,
            "the stalled stream refused by the stall timeout")
    except BaseException:
        s.close()
        raise
    return server, topic, s


def test_a_client_that_never_reads_is_let_go(kasocki_server, fresh_topic, produce):
    server, _, s = stalled_stream(kasocki_server, fresh_topic, produce, send_queue_kib=16)
    try:
        poll_until(lambda: metric_samples(server), lambda m: m.get(
            'kasocki_connections{transport="sse"}', -1) == 0, "the stalled stream closed")
        assert metric_samples(server)["kasocki_send_queue_bytes"] == 0
    finally:
        s.close()


def read_to_the_end(s: socket.socket) -> bytes:
    """Everything the server sends on `s` until its chunked body ends (or it closes)."""
    data = b""
    while not data.endswith(b"\r\n0\r\n\r\n"):
        try:
            more = s.recv(65536)
        except ConnectionResetError:
            break
        if not more:
            break
        data += more
    return data


def sse_events(response: bytes) -> list[dict]:
    """The events of a raw chunked SSE response: dicts of their fields."""
    head, _, body = response.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head, head
    text = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        text += rest[:size]
        body = rest[size + 2:]
    events = []
    for block in text.decode().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n")
                      if line and not line.startswith(":"))
        if fields:
            events.append(fields)
    return events


def test_a_stalled_stream_ends_with_the_id_of_what_it_got(kasocki_server, fresh_topic, produce):
    # The client reads nothing until the stall timeout refused it (its queued events dropped),
    # then reads what the server still sends: the events written before, the error, the end.
    # A send queue larger than one write slice (64 KiB): the writer has taken some events and
    # more wait behind them when the stall is seen.
    server, topic, s = stalled_stream(kasocki_server, fresh_topic, produce, send_queue_kib=256)
    try:
        events = sse_events(read_to_the_end(s))
    finally:
        s.close()
    messages = [e for e in events if e.get("event") == "message"]
    numbers = [json.loads(e["data"])["n"] for e in messages]
    assert numbers == list(range(len(numbers))) and numbers, numbers[:3]
    error = events[-1]
    assert error.get("event") == "error", events[-3:]
    assert json.loads(error["data"])["name"] == "StalledClientError", error
    # Its id is the position after the last message the client got, not after the dropped ones:
    # resuming from it, the client gets the next message.
    assert json.loads(error["id"]) == json.loads(messages[-1]["id"]), (error["id"],
                                                                       messages[-1]["id"])
    reader = SseReader(stream_url(server, [topic]), headers={"Last-Event-ID": error["id"]})
    try:
        assert message_numbers(reader.events(1)) == [len(numbers)]
    finally:
        reader.close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def test_streams_over_tls(kasocki_server, certificate, fresh_topic, produce):
    cert, key = certificate
    topic = fresh_topic(1)
    server = kasocki_server("--tls-cert", cert, "--tls-key", key, wait_healthy_too=False)
    url = f"https://127.0.0.1:{server.port}"
    poll_until(lambda: requests.get(url + "/healthz", verify=str(cert), timeout=DEADLINE_S),
               lambda r: r.status_code == 200, "/healthz over https")
    produce_numbered(produce, topic, 0, 3)
    r = requests.get(f"{url}/v2/stream/{topic}?since=0", verify=str(cert), stream=True,
                     timeout=DEADLINE_S)
    try:
        assert r.status_code == 200
        data = []
        for line in r.iter_lines():
            if line.startswith(b"data: "):
                data.append(json.loads(line[6:])["n"])
            if len(data) == 3:
                break
    finally:
        r.close()
    assert data == [0, 1, 2]
