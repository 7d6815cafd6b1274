"""Engine.IO v4 conformance of `kasocki testserver`, over raw HTTP and raw websocket.

A port of the checks of the official engine.io-protocol test suite (handshake, message,
heartbeat, close, upgrade), plus the HTTP error bodies, CORS, maxPayload and unknown-sid
behaviour of the reference server (socketio-wire.md). The Engine.IO-level checks run on both
the raw echo endpoint `/engine.io/` and the Socket.IO endpoint `/socket.io/`, as the two official
suites do. The last section checks Engine.IO v3 (EIO=3, socket.io 2.x clients): length-prefixed
polling framing counted in UTF-16 units, XHR2 binary framing, and client-initiated ping.
Does I/O: HTTP and websocket connections to a testserver child process.
"""

import json
import time

import pytest
import requests
import websocket

pytest.register_assert_rewrite("testserver_fixture")  # before the import below
from testserver_fixture import (  # noqa: E402
    DEADLINE_S,
    PendingGet,
    MAX_PAYLOAD,
    PING_INTERVAL_MS,
    PING_TIMEOUT_MS,
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

ECHO = "/engine.io/"
HANDSHAKE_KEYS = {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
ERRORS = {
    0: "Transport unknown",
    1: "Session ID unknown",
    2: "Bad handshake method",
    3: "Bad request",
    5: "Unsupported protocol version",
}

@pytest.fixture(params=["/engine.io/", "/socket.io/"], ids=["engine.io", "socket.io"])
def path(request):
    return request.param


def assert_error(response, code=None):
    """A 400 with the reference JSON error body; any of the known codes when code is None."""
    assert response.status_code == 400, (response.status_code, response.text)
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    body = response.json()
    assert list(body) == ["code", "message"], body
    if code is None:
        assert ERRORS.get(body["code"]) == body["message"], body
    else:
        assert body == {"code": code, "message": ERRORS[code]}


def assert_handshake(value, upgrades):
    assert set(value) == HANDSHAKE_KEYS
    assert isinstance(value["sid"], str) and value["sid"]
    assert value["upgrades"] == upgrades
    assert value["pingInterval"] == PING_INTERVAL_MS
    assert value["pingTimeout"] == PING_TIMEOUT_MS
    assert value["maxPayload"] == MAX_PAYLOAD


# ---- handshake ----


def test_polling_handshake(server, path):
    response = http_get(eio_url(server, path))
    assert response.status_code == 200
    assert response.headers["Content-Type"].lower() == "text/plain; charset=utf-8"
    body = response.text
    assert body.startswith("0") and "\x1e" not in body, body  # only the open packet
    assert_handshake(json.loads(body[1:]), ["websocket"])


def test_websocket_handshake(server, path):
    ws = ws_connect(server, path)
    data = ws_recv(ws)
    assert data.startswith("0"), data
    assert_handshake(json.loads(data[1:]), [])
    ws.close()


@pytest.mark.parametrize("query", ["transport=polling", "EIO=abc&transport=polling",
                                   "EIO=&transport=polling"])
def test_polling_invalid_eio(server, path, query):
    assert_error(http_get(f"{server.http}{path}?{query}"))


def test_unsupported_protocol_version(server, path):
    assert_error(http_get(f"{server.http}{path}?EIO=5&transport=polling"), 5)


@pytest.mark.parametrize("query", ["EIO=4", "EIO=4&transport=abc", "EIO=4&transport=__proto__"])
def test_polling_invalid_transport(server, path, query):
    assert_error(http_get(f"{server.http}{path}?{query}"), 0)


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_polling_invalid_handshake_method(server, path, method):
    response = requests.request(method, eio_url(server, path), data=b"40", timeout=DEADLINE_S)
    assert_error(response, 2)


@pytest.mark.parametrize("query", ["transport=websocket", "EIO=abc&transport=websocket", "EIO=4",
                                   "EIO=4&transport=abc"])
def test_websocket_invalid_query_refused(server, path, query):
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(f"{server.ws}{path}?{query}", timeout=DEADLINE_S)
    assert refused.value.status_code == 400


def test_websocket_transport_without_upgrade_is_bad_request(server, path):
    assert_error(http_get(eio_url(server, path, transport="websocket")), 3)
    sid = open_polling_session(server, path)
    assert_error(http_get(eio_url(server, path, transport="websocket", sid=sid)), 3)


def test_unknown_sid(server, path):
    assert_error(http_get(eio_url(server, path, sid="unknown-sid")), 1)
    assert_error(http_post(eio_url(server, path, sid="unknown-sid"), "4hello"), 1)


def test_cors_preflight(server, path):
    headers = {"Origin": "http://example.com", "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "content-type"}
    response = requests.options(eio_url(server, path), headers=headers, timeout=DEADLINE_S)
    assert response.status_code == 204, response.text
    assert_origin_allowed(response, "http://example.com")


def test_cors_header_on_handshake(server, path):
    response = http_get(eio_url(server, path), headers={"Origin": "http://example.com"})
    assert response.status_code == 200
    assert_origin_allowed(response, "http://example.com")


def assert_origin_allowed(response, origin):
    """CORS `*`: the reference answers `*`; echoing the origin lets a browser read it as well,
    but then caches must be told that the answer depends on the Origin header."""
    allowed = response.headers.get("Access-Control-Allow-Origin")
    assert allowed in ("*", origin), response.headers
    if allowed == origin:
        assert "origin" in response.headers.get("Vary", "").lower(), response.headers


# ---- message (echo server) ----


@pytest.mark.parametrize(
    "payload",
    ["4hello", "bAQIDBA==", "4test1\x1e4test2\x1ebAQIDBA==", "4h\u00e9llo \u2603 \U0001f600"],
    ids=["text", "binary", "several-mixed", "utf8"],
)
def test_polling_echo(server, payload):
    sid = open_polling_session(server, ECHO)
    pushed = http_post(eio_url(server, ECHO, sid=sid), payload)
    assert (pushed.status_code, pushed.text) == (200, "ok")
    polled = http_get(eio_url(server, ECHO, sid=sid))
    assert polled.status_code == 200
    assert polled.headers["Content-Type"].lower() == "text/plain; charset=utf-8"
    assert polled.content == payload.encode()


def test_polling_large_payload_under_limit_echoed(server):
    sid = open_polling_session(server, ECHO)
    payload = "4" + "x" * 500_000
    assert http_post(eio_url(server, ECHO, sid=sid), payload).status_code == 200
    assert http_get(eio_url(server, ECHO, sid=sid)).text == payload


def test_polling_max_payload_exceeded(server):
    sid = open_polling_session(server, ECHO)
    pushed = http_post(eio_url(server, ECHO, sid=sid), "4" + "x" * MAX_PAYLOAD)
    assert pushed.status_code == 413, pushed.text
    assert_error(http_get(eio_url(server, ECHO, sid=sid)), 1)  # and the session is closed


def test_polling_invalid_post_closes_session(server, path):
    sid = open_polling_session(server, path)
    pushed = http_post(eio_url(server, path, sid=sid), "abc")
    assert pushed.status_code == 400, pushed.text
    assert_error(http_get(eio_url(server, path, sid=sid)), 1)


def test_polling_duplicate_get_closes_session(server, path):
    sid = open_polling_session(server, path)
    url = eio_url(server, path, sid=sid)
    first = PendingGet(server, url)
    # The second GET is refused; the one pending is answered with a close packet.
    second = http_get(url)
    assert second.status_code == 400, second.text
    assert first.result() == (200, "1")
    assert_error(http_get(url), 1)


def test_websocket_echo_text(server):
    ws = ws_connect(server, ECHO)
    ws_recv(ws)  # handshake
    ws.send("4hello")
    assert ws_recv(ws) == "4hello"
    ws.send("4h\u00e9llo \U0001f600")
    assert ws_recv(ws) == "4h\u00e9llo \U0001f600"
    ws.close()


def test_websocket_echo_binary(server):
    ws = ws_connect(server, ECHO)
    ws_recv(ws)  # handshake
    ws.send_binary(bytes([1, 2, 3, 4]))
    assert ws_recv(ws) == bytes([1, 2, 3, 4])
    ws.send_binary(b"")
    assert ws_recv(ws) == b""
    ws.close()


def test_websocket_invalid_packet_closes(server, path):
    ws = ws_connect(server, path)
    ws_recv(ws)  # handshake
    ws.send("abc")
    ws_wait_closed(ws)


def test_websocket_max_payload_exceeded_closes(server):
    ws = ws_connect(server, ECHO)
    ws_recv(ws)  # handshake
    try:
        ws.send("4" + "x" * MAX_PAYLOAD)
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        return  # closed while we were still sending: that is the close
    code, received = ws_wait_closed(ws)
    assert not any(isinstance(r, str) and r.startswith("4xxx") for r in received)
    assert code in (None, 1009), code  # reference: 1009 "message too big"


# ---- heartbeat ----


def test_polling_ping_pong(server, path):
    sid = open_polling_session(server, path)
    url = eio_url(server, path, sid=sid)
    # 2 rounds on /socket.io/: the session has no namespace, so the connect timeout (1 s) ends it.
    for _ in range(3 if path == ECHO else 2):
        polled = http_get(url)
        assert (polled.status_code, polled.text) == (200, "2")
        assert (http_post(url, "3").status_code) == 200


def test_polling_missed_pong_closes_pending_get(server, path):
    sid = open_polling_session(server, path)
    url = eio_url(server, path, sid=sid)
    assert http_get(url).text == "2"
    # No pong: the server ends the session at the pong deadline, answering the pending GET.
    assert (lambda r: (r.status_code, r.text))(http_get(url)) == (200, "1")
    assert_error(http_get(url), 1)


def test_polling_late_get_after_missed_pong(server, path):
    sid = open_polling_session(server, path)
    # The sleep is the thing under test (a client that stops polling for longer than the ping
    # interval and timeout), not synchronisation: such a client gets no signal to await.
    time.sleep((PING_INTERVAL_MS + PING_TIMEOUT_MS) / 1000 + 0.3)
    assert_error(http_get(eio_url(server, path, sid=sid)), 1)


def test_websocket_ping_pong(server, path):
    ws = ws_connect(server, path)
    ws_recv(ws)  # handshake
    for _ in range(3 if path == ECHO else 2):
        assert ws_recv(ws) == "2"
        ws.send("3")
    ws.close()


def test_websocket_missed_pong_closes(server, path):
    ws = ws_connect(server, path)
    ws_recv(ws)  # handshake
    assert ws_recv(ws) == "2"
    ws_wait_closed(ws)


# ---- close ----


def test_polling_forced_close(server, path):
    sid = open_polling_session(server, path)
    url = eio_url(server, path, sid=sid)
    poll = PendingGet(server, url)
    pushed = http_post(url, "1")
    assert (pushed.status_code, pushed.text) == (200, "ok")
    assert poll.result() == (200, "6")
    assert_error(http_get(url), 1)


def test_websocket_forced_close(server, path):
    ws = ws_connect(server, path)
    ws_recv(ws)  # handshake
    ws.send("1")
    ws_wait_closed(ws)


# ---- upgrade ----


def test_upgrade(server, path):
    sid = open_polling_session(server, path)
    poll = PendingGet(server, eio_url(server, path, sid=sid))
    ws = ws_connect(server, path, sid=sid)
    ws.send("2probe")
    assert ws_recv(ws) == "3probe"
    assert poll.result() == (200, "6")
    ws.send("5")
    if path == ECHO:
        ws.send("4upgraded")
        assert ws_recv(ws) == "4upgraded"
    else:
        ws.send("40")
        assert ws_recv(ws).startswith("40{")
    ws.close()


def test_http_request_after_upgrade_refused(server, path):
    sid = open_polling_session(server, path)
    ws = ws_connect(server, path, sid=sid)
    ws.send("2probe")
    assert ws_recv(ws) == "3probe"
    ws.send("5")
    # Frames and HTTP requests travel on different connections; a ping arriving on the websocket
    # shows the upgrade is done (pings go to the polling transport until then).
    assert ws_recv(ws) == "2"
    assert http_get(eio_url(server, path, sid=sid)).status_code == 400
    assert http_post(eio_url(server, path, sid=sid), "4late").status_code == 400
    ws.close()


def test_second_websocket_after_upgrade_closed(server, path):
    sid = open_polling_session(server, path)
    ws = ws_connect(server, path, sid=sid)
    ws.send("2probe")
    assert ws_recv(ws) == "3probe"
    ws.send("5")
    second = ws_connect(server, path, sid=sid)  # accepted (101), then closed
    ws_wait_closed(second)
    ws.close()


# The probe..upgrade exchange must end within server_options::upgrade_timeout (10 s, the
# reference's default). The waits below are the thing under test, not synchronisation.
UPGRADE_TIMEOUT_S = 10


def test_unfinished_upgrade_closed_at_its_deadline(server):
    sid = open_polling_session(server, ECHO)
    ws = ws_connect(server, ECHO, sid=sid)
    connected = time.monotonic()
    _, frames = ws_wait_closed(ws, deadline_s=UPGRADE_TIMEOUT_S + DEADLINE_S)
    assert frames == []
    # Not closed for another reason before it (the server's deadline started before the 101
    # reached the client, hence the margin).
    assert time.monotonic() - connected > UPGRADE_TIMEOUT_S - 1


def test_finished_upgrade_outlives_the_upgrade_deadline(server):
    sid = open_polling_session(server, ECHO)
    ws = ws_connect(server, ECHO, sid=sid)
    ws.send("2probe")
    assert ws_recv(ws) == "3probe"
    ws.send("5")
    end = time.monotonic() + UPGRADE_TIMEOUT_S + 1
    while time.monotonic() < end:
        if ws_recv(ws) == "2":  # fails if the connection closes
            ws.send("3")
    ws.send("4still here")
    while (frame := ws_recv(ws)) == "2":
        ws.send("3")
    assert frame == "4still here"
    ws.close()


# ---- Engine.IO v3 ----


def v3_open(server, path, extra=""):
    response = http_get(eio_url(server, path, eio=3, extra=extra))
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].lower() == "text/plain; charset=utf-8"
    packets = v3_decode(response.text)
    assert packets[0].startswith("0"), packets
    return json.loads(packets[0][1:]), packets[1:]


def v3_poll_until(url, wanted):
    """GETs until the packet `wanted` arrives; returns the packets before it."""
    before, end = [], time.monotonic() + DEADLINE_S
    while time.monotonic() < end:
        response = http_get(url)
        assert response.status_code == 200, (response.status_code, response.text, before)
        for packet in v3_decode(response.text):
            if packet == wanted:
                return before
            before.append(packet)
    raise AssertionError(f"no {wanted!r} packet; got {before!r}")


def test_v3_polling_handshake(server, path):
    handshake, rest = v3_open(server, path)
    assert isinstance(handshake["sid"], str) and handshake["sid"]
    assert handshake["upgrades"] == ["websocket"]
    assert handshake["pingInterval"] == PING_INTERVAL_MS
    assert handshake["pingTimeout"] == PING_TIMEOUT_MS
    assert rest in ([], ["40"]), rest  # Socket.IO may send its `/` connect along


def test_v3_client_ping_server_pong(server, path):
    handshake, _ = v3_open(server, path)
    url = eio_url(server, path, eio=3, sid=handshake["sid"])
    for _ in range(2):
        assert http_post(url, "1:2").text == "ok"
        assert "2" not in v3_poll_until(url, "3")  # the server answers; it never pings itself


def test_v3_no_client_ping_closes_session(server, path):
    handshake, _ = v3_open(server, path)
    url = eio_url(server, path, eio=3, sid=handshake["sid"])
    # No ping within pingInterval + pingTimeout: the server closes, answering the pending GET.
    v3_poll_until(url, "1")
    assert_error(http_get(url), 1)


def test_v3_polling_echo_utf16_lengths(server):
    handshake, _ = v3_open(server, ECHO)
    url = eio_url(server, ECHO, eio=3, sid=handshake["sid"])
    payload = "6:4h\u00e9llo3:4\U0001f6006:4plain"
    assert payload == v3_encode(["4h\u00e9llo", "4\U0001f600", "4plain"])
    assert http_post(url, payload).text == "ok"
    response = http_get(url)
    assert response.headers["Content-Type"].lower() == "text/plain; charset=utf-8"
    assert response.content == payload.encode()


def test_v3_polling_binary_base64(server):
    handshake, _ = v3_open(server, ECHO, extra="&b64=1")
    url = eio_url(server, ECHO, eio=3, sid=handshake["sid"], extra="&b64=1")
    assert http_post(url, "10:b4AQIDBA==").text == "ok"
    assert http_get(url).text == "10:b4AQIDBA=="


def test_v3_polling_binary_xhr2(server):
    handshake, _ = v3_open(server, ECHO)
    url = eio_url(server, ECHO, eio=3, sid=handshake["sid"])
    binary = bytes([1, 5, 255, 4, 1, 2, 3, 4])  # binary packet, length 5: type byte 4 + data
    octet = {"Content-Type": "application/octet-stream"}
    assert http_post(url, "6:4hello").text == "ok"
    assert http_post(url, binary, headers=octet).text == "ok"
    response = http_get(url)
    assert response.headers["Content-Type"] == "application/octet-stream"
    # A payload holding binary is framed as binary throughout: the text packet gets a 0 marker.
    assert response.content == bytes([0, 6, 255]) + b"4hello" + binary


def test_v3_websocket(server):
    ws = ws_connect(server, ECHO, eio=3)
    handshake = ws_recv(ws)
    assert handshake.startswith("0") and json.loads(handshake[1:])["upgrades"] == []
    ws.send("2")
    assert ws_recv(ws) == "3"
    ws.send("4h\u00e9llo")
    assert ws_recv(ws) == "4h\u00e9llo"
    ws.send_binary(bytes([4, 1, 2, 3]))
    assert ws_recv(ws) == bytes([4, 1, 2, 3])
    ws.close()


def test_v3_websocket_no_client_ping_closes(server):
    ws = ws_connect(server, ECHO, eio=3)
    ws_recv(ws)  # handshake
    _, received = ws_wait_closed(ws)
    assert "2" not in received


def test_v3_upgrade(server):
    handshake, _ = v3_open(server, ECHO)
    poll = PendingGet(server, eio_url(server, ECHO, eio=3, sid=handshake["sid"]))
    ws = ws_connect(server, ECHO, eio=3, sid=handshake["sid"])
    ws.send("2probe")
    assert ws_recv(ws) == "3probe"
    assert poll.result() == (200, "1:6")
    ws.send("5")
    ws.send("4upgraded")
    assert ws_recv(ws) == "4upgraded"
    ws.close()
