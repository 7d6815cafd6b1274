"""Every limit of `kasocki serve` against the real binary and broker: sessions in total and per
client address (also behind a trusted proxy), the new-session rate, maxPayload, header size,
assignments per subscribe, outstanding consumes, filter size and idle sessions; open sockets per
address and the request-header deadline. Each refusal must name its limit (the option that sets
it), and the server must go on serving the others."""

from __future__ import annotations

import json
import socket
import time

import pytest
import requests
import websocket

pytest.register_assert_rewrite("gateway_fixture")
from gateway_fixture import (DEADLINE_S, assert_error_shape, metric_samples,  # noqa: E402
                             poll_until)

pytest_plugins = ["gateway_fixture"]

ONE = "kasocki_test_one"  # 10 messages


def handshake(server, headers=None) -> requests.Response:
    """A new Engine.IO polling session (it stays open until its ping timeout)."""
    return requests.get(f"{server.url}/socket.io/?EIO=4&transport=polling", headers=headers or {},
                        timeout=DEADLINE_S)


def refused_by(response: requests.Response, limit: str) -> dict:
    assert response.status_code == 429, (response.status_code, response.text)
    body = response.json()
    assert body["limit"] == limit, body
    assert limit in body["message"], body
    return body


def admitted(response: requests.Response) -> None:
    assert response.status_code == 200, (response.status_code, response.text)
    assert response.text.startswith("0{"), response.text


def open_sessions(server) -> float:
    """The sum of kasocki_connections over its transports and versions, from /metrics."""
    text = requests.get(f"{server.url}/metrics", timeout=DEADLINE_S).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("kasocki_connections{"))


def close_polling(server, response: requests.Response) -> None:
    sid = response.text[response.text.index('"sid":"') + 7:].split('"')[0]
    requests.post(f"{server.url}/socket.io/?EIO=4&transport=polling&sid={sid}", data="1",
                  timeout=DEADLINE_S)


def test_connections_per_ip(kasocki_server, connect):
    server = kasocki_server("--max-connections-per-ip", 2)
    first = connect(server)
    connect(server, transports=("polling",))
    body = refused_by(handshake(server), "max-connections-per-ip")
    assert body["max"] == 2
    # The websocket handshake is refused the same way, before the upgrade.
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket",
            timeout=DEADLINE_S)
    assert refused.value.status_code == 429
    first.close()
    # The place is given back when the server has ended the session (awaited on the gauge).
    poll_until(lambda: open_sessions(server), lambda n: n == 1, "the closed session to end")
    admitted(handshake(server))


def test_connections_in_total(kasocki_server, connect):
    server = kasocki_server("--max-connections", 1, "--max-connections-per-ip", 0)
    client = connect(server)
    refused_by(handshake(server), "max-connections")
    assert client.ok("subscribe", [{"topic": ONE, "partition": 0, "offset": 0}])
    assert client.ok("consume")["_kafka"]["offset"] == 0


def test_new_sessions_per_ip_per_second(kasocki_server):
    server = kasocki_server("--new-sessions-per-ip-per-second", 0.5, "--new-sessions-burst", 3,
                            "--max-connections-per-ip", 0)
    for _ in range(3):
        admitted(handshake(server))
    body = refused_by(handshake(server), "new-sessions-per-ip-per-second")
    assert body["max"] == 0.5


def test_x_forwarded_for_only_from_a_trusted_proxy(kasocki_server):
    behind = kasocki_server("--trusted-proxy", "10.0.0.0/8,127.0.0.1", "--max-connections-per-ip", 1)
    admitted(handshake(behind, {"X-Forwarded-For": "192.0.2.1"}))
    # Another client behind the same proxy is another address.
    admitted(handshake(behind, {"X-Forwarded-For": "192.0.2.2, 10.1.1.1"}))
    # A client cannot pose as someone else by writing the header itself: the rightmost
    # untrusted hop counts.
    refused_by(handshake(behind, {"X-Forwarded-For": "198.51.100.7, 192.0.2.1"}),
               "max-connections-per-ip")
    direct = kasocki_server("--max-connections-per-ip", 1)
    admitted(handshake(direct, {"X-Forwarded-For": "192.0.2.1"}))
    refused_by(handshake(direct, {"X-Forwarded-For": "192.0.2.2"}), "max-connections-per-ip")


def test_max_payload(kasocki_server, connect):
    server = kasocki_server("--max-payload", 1000)
    opening = handshake(server)
    admitted(opening)
    assert '"maxPayload":1000' in opening.text
    sid = opening.text[opening.text.index('"sid":"') + 7:].split('"')[0]
    too_big = requests.post(f"{server.url}/socket.io/?EIO=4&transport=polling&sid={sid}",
                            data="4" + "x" * 2000, timeout=DEADLINE_S)
    assert too_big.status_code == 413, too_big.text
    assert too_big.json() == {"error": "request body too large", "limit": "max-payload",
                              "max": 1000}
    # That session is over; others are not affected.
    gone = requests.get(f"{server.url}/socket.io/?EIO=4&transport=polling&sid={sid}",
                        timeout=DEADLINE_S)
    assert gone.status_code == 400, gone.text
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket", timeout=DEADLINE_S)
    assert ws.recv().startswith("0{")
    ws.send("4" + "x" * 2000)
    # The server closes the websocket (code 1009, message too big) instead of reading it.
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        for _ in range(10):
            ws.recv()
    client = connect(server)
    assert client.ok("filter", {"a": 1}) == {"a": 1}
    # Both refusals (the 413 and the websocket close) are counted.
    metrics = requests.get(f"{server.url}/metrics", timeout=DEADLINE_S).text
    assert 'kasocki_limit_rejections_total{limit="max-payload"} 2' in metrics.splitlines(), \
        [line for line in metrics.splitlines() if "rejections" in line]


def test_http_header_size(kasocki_server):
    server = kasocki_server("--max-http-header-bytes", 2048)
    response = handshake(server, {"X-Padding": "p" * 4000})
    assert response.status_code == 431, response.text
    assert response.json()["limit"] == "max-http-header-bytes"
    assert response.json()["max"] == 2048
    admitted(handshake(server, {"X-Padding": "p" * 1000}))


def test_assignments_per_subscribe(kasocki_server, connect):
    server = kasocki_server("--max-subscribe-items", 2)
    client = connect(server)
    spec = [{"topic": "kasocki_test_multi", "partition": p, "offset": 0} for p in range(3)]
    error = client.fails("subscribe", spec, name="InvalidAssignmentError")
    assert error["limit"] == "max-subscribe-items" and error["max"] == 2, error
    assert "max-subscribe-items" in error["message"]
    assert len(client.ok("subscribe", spec[:2])) == 2


def test_outstanding_consumes(kasocki_server, connect, fresh_topic, produce):
    server = kasocki_server("--max-outstanding-consumes", 2)
    topic = fresh_topic()
    client = connect(server)
    client.ok("subscribe", topic)
    waiting = [client.call_async("consume") for _ in range(2)]
    error = client.fails("consume", name="InvalidRequestError")
    assert error["limit"] == "max-outstanding-consumes" and error["max"] == 2, error
    assert "max-outstanding-consumes" in error["message"]
    produce(topic, [{"n": 0}, {"n": 1}])
    assert [p.message()["n"] for p in waiting] == [0, 1]


@pytest.mark.parametrize("option,value,filters,limit", [
    ("--max-filter-keys", 2, {"a": 1, "b": 2, "c": 3}, "max-filter-keys"),
    ("--max-filter-depth", 3, {"a.b.c.d": 1}, "max-filter-depth"),
    ("--max-filter-pattern", 10, {"a": "/" + "x" * 11 + "/"}, "max-filter-pattern"),
])
def test_filter_size(kasocki_server, connect, option, value, filters, limit):
    server = kasocki_server(option, value)
    client = connect(server)
    error = client.fails("filter", filters, name="InvalidFilterError")
    assert error["limit"] == limit and error["max"] == value, error
    assert limit in error["message"]
    assert error["filters"] == filters


def test_idle_sessions_are_disconnected(kasocki_server, connect):
    server = kasocki_server("--idle-timeout", 1)
    never_subscribes = connect(server)
    subscribed_only = connect(server)
    subscribed_only.ok("subscribe", [{"topic": ONE, "partition": 0, "offset": 0}])
    started = connect(server)
    started.ok("subscribe", [{"topic": "kasocki_test_empty", "partition": 0, "offset": 0}])
    started.ok("start")
    waiting = connect(server)
    waiting.ok("subscribe", [{"topic": "kasocki_test_empty", "partition": 0, "offset": 0}])
    pending = waiting.call_async("consume")
    last_activity = time.monotonic()
    for client in (never_subscribes, subscribed_only):
        assert client.disconnected.wait(DEADLINE_S), client.events
        (error,) = client.errors()
        assert_error_shape(error, "idle")
        assert error["name"] == "IdleTimeoutError"
        assert error["limit"] == "idle-timeout" and error["max"] == 1, error
    # Waiting on the server is not idleness: both are still connected after twice the timeout.
    # The wait is the thing under test (time passing without activity), not synchronisation:
    # there is no event for "the server did not disconnect".
    started.disconnected.wait(max(0.0, last_activity + 2.5 - time.monotonic()))
    assert not started.disconnected.is_set() and not waiting.disconnected.is_set()
    assert not pending.done.is_set()
    assert started.ok("stop") is None


def test_idle_timeout_counts_from_the_last_activity(kasocki_server, connect):
    server = kasocki_server("--idle-timeout", 2)
    client = connect(server)
    client.ok("subscribe", [{"topic": ONE, "partition": 0, "offset": 0}])
    began = time.monotonic()
    for offset in range(3):  # one consume every 0.8 s keeps it alive past the 2 s timeout
        assert client.ok("consume")["_kafka"]["offset"] == offset
        # The pause is the thing under test (activity spaced below the timeout), not
        # synchronisation; it ends early if the server disconnects, which then fails.
        client.disconnected.wait(0.8)
        assert not client.disconnected.is_set()
    assert time.monotonic() - began > 2
    assert client.disconnected.wait(DEADLINE_S)
    assert client.errors()[-1]["name"] == "IdleTimeoutError"


def test_refusals_are_counted_in_metrics(kasocki_server, connect):
    server = kasocki_server("--max-connections-per-ip", 1, "--max-subscribe-items", 1,
                            "--max-payload", 100)
    client = connect(server)
    refused_by(handshake(server), "max-connections-per-ip")
    client.fails("subscribe", [ONE, "kasocki_test_two"], name="InvalidAssignmentError")
    assert requests.post(f"{server.url}/socket.io/?EIO=4&transport=polling&sid=x",
                         data="4" * 200, timeout=DEADLINE_S).status_code == 413
    metrics = requests.get(f"{server.url}/metrics", timeout=DEADLINE_S)
    assert metrics.status_code == 200
    counts = {}
    for line in metrics.text.splitlines():
        if line.startswith("kasocki_limit_rejections_total{"):
            labels, value = line.rsplit(" ", 1)
            counts[labels] = float(value)
    for limit in ("max-connections-per-ip", "max-subscribe-items", "max-payload"):
        assert counts.get(f'kasocki_limit_rejections_total{{limit="{limit}"}}') == 1, counts


def test_a_flood_of_tcp_connections_does_not_stop_the_server(kasocki_server, connect):
    server = kasocki_server("--max-sockets-per-ip", 0)  # the flood itself, not its refusal
    idle = []
    for _ in range(300):  # connected, never sending a request
        idle.append(socket.create_connection(("127.0.0.1", server.port), timeout=DEADLINE_S))
    client = connect(server)
    assert client.ok("filter", None) is None
    for s in idle:
        s.close()


def half_sent(port: int, source: str = "127.0.0.1") -> socket.socket:
    """A connection from `source` (any 127.x address reaches the loopback) that sent half a
    request line and nothing more."""
    s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE_S,
                                 source_address=(source, 0))
    s.sendall(b"GET /healthz HT")
    return s


def read_to_end(s: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    return data


def status_and_body(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body)


def get_healthz(port: int, source: str) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE_S,
                                  source_address=(source, 0)) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        # The status line only: /healthz keeps the connection open whatever the request says.
        head = b""
        while b"\r\n" not in head and (chunk := s.recv(65536)):
            head += chunk
        return int(head.split(b" ")[1])


def get_from(port: int, path: str, source: str) -> str:
    """The body of GET `path` over a connection from `source`."""
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE_S,
                                  source_address=(source, 0)) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")))
        while len(body) < length:
            body += s.recv(65536)
        return body.decode()


def test_sockets_per_ip_count_half_sent_requests(kasocki_server):
    # The header deadline far away: the held sockets stay open for the whole test.
    server = kasocki_server("--max-sockets-per-ip", 20, "--http-header-timeout", 600)
    held = [half_sent(server.port) for _ in range(20)]
    refused = [half_sent(server.port) for _ in range(10)]
    try:
        for s in refused:
            status, body = status_and_body(read_to_end(s))
            assert status == 429, body
            assert body["limit"] == "max-sockets-per-ip" and body["max"] == 20, body
            assert "max-sockets-per-ip" in body["message"], body
        # Another address is served meanwhile; the held ones are still open (nothing came).
        assert get_healthz(server.port, "127.0.0.2") == 200
        for s in held:
            s.setblocking(False)
            with pytest.raises(BlockingIOError):
                s.recv(1)
            s.setblocking(True)
        # /metrics from the other address too: 127.0.0.1 has no place left.
        metrics = get_from(server.port, "/metrics", "127.0.0.2")
        assert 'kasocki_limit_rejections_total{limit="max-sockets-per-ip"} 10' in \
            metrics.splitlines(), metrics
        # A socket closed gives its place back (when the server has seen the close, which has
        # no event: polled).
        held.pop().close()
        poll_until(lambda: get_healthz(server.port, "127.0.0.1"), lambda status: status == 200,
                   "a place for 127.0.0.1 again")
    finally:
        for s in held + refused:
            s.close()


def test_request_headers_have_their_own_deadline(kasocki_server):
    server = kasocki_server("--http-header-timeout", 1)
    # Half a request line: a 408 naming the limit, then the close.
    with half_sent(server.port) as s:
        status, body = status_and_body(read_to_end(s))
    assert status == 408, body
    assert body["limit"] == "http-header-timeout" and body["max"] == 1, body
    # A connection that sent nothing is closed without an answer.
    with socket.create_connection(("127.0.0.1", server.port), timeout=DEADLINE_S) as s:
        assert read_to_end(s) == b""
    # Between requests, a keep-alive connection waits under --http-idle-timeout (60 s), not the
    # header deadline: it is still served after more than a header deadline of silence.
    with socket.create_connection(("127.0.0.1", server.port), timeout=DEADLINE_S) as s:
        request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        s.sendall(request)
        assert s.recv(65536).startswith(b"HTTP/1.1 200")
        time.sleep(2.5)  # the condition under test: longer than the header deadline
        s.sendall(request)
        assert s.recv(65536).startswith(b"HTTP/1.1 200")
    counts = metric_samples(server)
    assert counts.get('kasocki_limit_rejections_total{limit="http-header-timeout"}') == 1, counts

