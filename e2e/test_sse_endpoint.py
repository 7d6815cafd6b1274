"""The Server-Sent Events endpoint of `kasocki serve` against the real broker (kasocki-api.md,
"Server-Sent Events"): the wire of the answer (headers, `:ok`, event/id/data, ids of both
formats), where a stream starts (end, since, Last-Event-ID), filters, NDJSON, the JSON errors
before the 200, CORS, HEAD and OPTIONS, keep-alive comments, and the `event: error` after the 200.
Does I/O: child processes, Kafka produce, HTTP.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.parse

import pytest
import requests

from conftest import free_port
from sse_helpers import DEADLINE_S, SseReader, message_numbers, produce_numbered, stream_url

pytest_plugins = ["gateway_fixture"]


def test_answer_opens_with_ok_and_carries_each_message_as_an_event(gateway, fresh_topic, produce):
    topic = fresh_topic(1)
    reader = SseReader(stream_url(gateway, [topic]))
    try:
        assert reader.response.status_code == 200
        assert reader.response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
        assert reader.response.headers["Cache-Control"] == "no-cache"
        assert reader.response.headers["Transfer-Encoding"] == "chunked"
        assert reader.line() == ":ok"
        assert reader.line() == ""
        # Produced after :ok came: in the stream.
        produce_numbered(produce, topic, 0, 3)
        lines = [reader.line() for _ in range(8)]
        assert lines[0] == "event: message"
        assert lines[1] == f'id: [{{"topic":"{topic}","partition":0,"offset":1}}]'
        data = json.loads(lines[2].removeprefix("data: "))
        assert data["n"] == 0
        assert data["_kafka"]["topic"] == topic and data["_kafka"]["offset"] == 0
        assert lines[3] == ""
        assert lines[4:7] == ["event: message", f'id: [{{"topic":"{topic}","partition":0,"offset":2}}]',
                              lines[6]]
        assert json.loads(lines[6].removeprefix("data: "))["n"] == 1
    finally:
        reader.close()


def test_id_covers_every_partition_and_resumes_with_last_event_id(gateway, fresh_topic, produce):
    topic = fresh_topic(3)
    for p in range(3):
        produce_numbered(produce, topic, p * 100, 4, partition=p)
    reader = SseReader(stream_url(gateway, [topic], since=0))
    try:
        first = reader.events(6)
    finally:
        reader.close()
    last_id = json.loads(first[-1].id)
    assert sorted((e["partition"]) for e in last_id) == [0, 1, 2]
    for entry in last_id:
        assert entry["topic"] == topic
    # Resume from the id: the rest of the 12, nothing twice.
    resumed = SseReader(stream_url(gateway, ["ignored-by-last-event-id"]),
                        headers={"Last-Event-ID": first[-1].id})
    try:
        rest = resumed.events(6)
    finally:
        resumed.close()
    got = message_numbers(first) + message_numbers(rest)
    assert sorted(got) == sorted(p * 100 + i for p in range(3) for i in range(4))


def test_timestamp_ids_resume_across_formats(gateway, fresh_topic, produce):
    topic = fresh_topic(1)
    produce(topic, [{"n": i} for i in range(4)], timestamp=[1_700_000_000_000 + i for i in range(4)])
    reader = SseReader(stream_url(gateway, [topic], since=0, ids="timestamp"))
    try:
        events = reader.events(2)
    finally:
        reader.close()
    assert json.loads(events[1].id) == [{"topic": topic, "partition": 0,
                                         "timestamp": 1_700_000_000_002}]
    resumed = SseReader(stream_url(gateway, [topic]), headers={"Last-Event-ID": events[1].id})
    try:
        assert message_numbers(resumed.events(2)) == [2, 3]
    finally:
        resumed.close()
    # Both positions given: the offset wins (offset 3 is n=3, timestamp 0 would be n=0).
    both = json.dumps([{"topic": topic, "partition": 0, "offset": 3, "timestamp": 0}])
    resumed = SseReader(stream_url(gateway, [topic]), headers={"Last-Event-ID": both})
    try:
        assert message_numbers(resumed.events(1)) == [3]
    finally:
        resumed.close()


def test_since_iso_8601_and_filters(gateway, fresh_topic, produce):
    topic = fresh_topic(1)
    produce(topic, [{"n": i, "kind": "a b" if i % 2 else "c"} for i in range(6)],
            timestamp=[1_700_000_000_000 + i * 1000 for i in range(6)])
    url = stream_url(gateway, [topic], since="2023-11-14T22:13:22Z",
                     filters=json.dumps({"kind": "a b"}))
    reader = SseReader(url)
    try:
        assert message_numbers(reader.events(2)) == [3, 5]
    finally:
        reader.close()


def test_ndjson_with_accept_application_json(gateway, fresh_topic, produce):
    topic = fresh_topic(1)
    produce_numbered(produce, topic, 0, 2)
    reader = SseReader(stream_url(gateway, [topic], since=0), headers={"Accept": "application/json"})
    try:
        assert reader.response.headers["Content-Type"].startswith("application/json")
        lines = [reader.line(), reader.line()]
    finally:
        reader.close()
    assert [json.loads(line)["n"] for line in lines] == [0, 1]


@pytest.mark.parametrize("query,headers,status,name", [
    ({"since": "yesterday"}, {}, 400, "InvalidTimestampError"),
    ({"filters": "{nope"}, {}, 400, "InvalidFilterError"),
    ({"filters": json.dumps({"a": {}})}, {}, 400, "InvalidFilterError"),
    ({}, {"Last-Event-ID": "[{\"topic\":1}]"}, 400, "InvalidAssignmentError"),
    ({}, {"Last-Event-ID": "[" * 5000}, 400, "InvalidAssignmentError"),
    ({}, {"Last-Event-ID": json.dumps([{"topic": "kasocki_no_such_topic_x", "partition": 0,
                                        "offset": 0}])}, 404, "TopicNotAvailableError"),
])
def test_errors_before_the_200_are_json(gateway, fresh_topic, query, headers, status, name):
    topic = fresh_topic(1)
    r = requests.get(stream_url(gateway, [topic], **query), headers=headers, timeout=DEADLINE_S)
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert body["name"] == name
    assert body["message"]


def test_unknown_topic_is_404_with_available_topics(gateway, fresh_topic):
    known = fresh_topic(1)
    r = requests.get(stream_url(gateway, ["kasocki_no_such_topic_y"]), timeout=DEADLINE_S)
    assert r.status_code == 404
    body = r.json()
    assert body["name"] == "TopicNotAvailableError"
    assert known in body["availableTopics"]
    assert not any(t.startswith("__") for t in body["availableTopics"])
    r = requests.get(gateway.url + "/v2/stream/", timeout=DEADLINE_S)
    assert r.status_code == 404 and r.json()["name"] == "TopicNotAvailableError"


def test_allowed_topics_limit_the_stream(kasocki_server, fresh_topic):
    allowed, other = fresh_topic(1), fresh_topic(1)
    server = kasocki_server("--allowed-topics", allowed)
    r = requests.get(stream_url(server, [other]), timeout=DEADLINE_S)
    assert r.status_code == 404
    assert r.json()["availableTopics"] == [allowed]


def test_cors_head_and_options(gateway, fresh_topic):
    topic = fresh_topic(1)
    url = stream_url(gateway, [topic])
    r = requests.options(url, headers={"Origin": "https://example.org",
                                       "Access-Control-Request-Headers": "last-event-id"},
                         timeout=DEADLINE_S)
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "https://example.org"
    assert "GET" in r.headers["Access-Control-Allow-Methods"]
    assert r.headers["Access-Control-Allow-Headers"] == "last-event-id"
    r = requests.head(url, timeout=DEADLINE_S)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert r.content == b""
    r = requests.head(stream_url(gateway, ["kasocki_no_such_topic_z"]), timeout=DEADLINE_S)
    assert r.status_code == 404
    r = requests.post(url, timeout=DEADLINE_S)
    assert r.status_code == 405
    reader = SseReader(url, headers={"Origin": "https://example.org"})
    try:
        assert reader.response.headers["Access-Control-Allow-Origin"] == "https://example.org"
    finally:
        reader.close()


def test_keepalive_comment_while_nothing_is_sent(kasocki_server, fresh_topic):
    topic = fresh_topic(1)
    server = kasocki_server("--sse-keepalive", "1")
    reader = SseReader(stream_url(server, [topic]))
    try:
        assert reader.line() == ":ok"
        assert reader.line() == ""
        assert reader.line() == ":"  # nothing was produced: the next line is a keep-alive
    finally:
        reader.close()


def test_curl_reads_the_stream(gateway, fresh_topic, produce):
    topic = fresh_topic(1)
    produce_numbered(produce, topic, 0, 3)
    curl = subprocess.Popen(["curl", "-sN", "--max-time", str(int(DEADLINE_S)),
                             stream_url(gateway, [topic], since=0)],
                            stdout=subprocess.PIPE, text=True)
    try:
        data = []
        for line in curl.stdout:
            if line.startswith("data: "):
                data.append(json.loads(line[6:]))
            if len(data) == 3:
                break
    finally:
        curl.kill()
        curl.wait()
    assert [d["n"] for d in data] == [0, 1, 2]


def test_metrics_count_sse_streams(gateway, fresh_topic):
    from gateway_fixture import metric_samples, poll_until
    topic = fresh_topic(1)
    reader = SseReader(stream_url(gateway, [topic]))
    try:
        assert reader.line() == ":ok"
        poll_until(lambda: metric_samples(gateway), lambda m: m.get(
            'kasocki_connections{transport="sse"}', 0) >= 1, "an sse connection in /metrics")
    finally:
        reader.close()


def test_shutdown_ends_streams_with_an_error_event(start_process, kasocki_bin, kafka_bootstrap,
                                                   fresh_topic):
    from gateway_fixture import GatewayServer, wait_healthy
    topic = fresh_topic(1)
    port = free_port()
    server = GatewayServer(start_process([kasocki_bin, "serve", "--listen", f"127.0.0.1:{port}",
                                          "--brokers", kafka_bootstrap], port=port), port)
    wait_healthy(server)
    reader = SseReader(stream_url(server, [topic]))
    try:
        assert reader.line() == ":ok"
        server.process.popen.send_signal(signal.SIGTERM)
        event = reader.next_event()
        assert event is not None and event.event == "error"
        assert event.json()["name"] == "ServerShutdownError"
        assert reader.next_event() is None  # then the end of the response
    finally:
        reader.close()
    assert server.process.popen.wait(timeout=DEADLINE_S) == 0


def test_max_duration_ends_the_stream_and_the_id_resumes_it(kasocki_server, fresh_topic, produce):
    topic = fresh_topic(1)
    server = kasocki_server("--sse-max-duration", "1")
    produce_numbered(produce, topic, 0, 5)
    reader = SseReader(stream_url(server, [topic], since=0))
    try:
        events = []
        while (e := reader.next_event()) is not None:
            events.append(e)
    finally:
        reader.close()
    assert message_numbers(events) == [0, 1, 2, 3, 4]
    produce_numbered(produce, topic, 5, 2)
    resumed = SseReader(stream_url(server, [topic]), headers={"Last-Event-ID": events[-1].id})
    try:
        assert message_numbers(resumed.events(2)) == [5, 6]
    finally:
        resumed.close()


def test_http_1_0_gets_a_close_delimited_stream(gateway, fresh_topic, produce):
    import socket
    topic = fresh_topic(1)
    produce_numbered(produce, topic, 0, 1)
    s = socket.create_connection(("127.0.0.1", gateway.port), timeout=DEADLINE_S)
    try:
        s.sendall(f"GET /v2/stream/{topic}?since=0 HTTP/1.0\r\n\r\n".encode())
        received = b""
        while b"data: " not in received or not received.endswith(b"\n\n"):
            chunk = s.recv(65536)
            assert chunk, f"the stream ended early: {received!r}"
            received += chunk
    finally:
        s.close()
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200")
    assert b"chunked" not in head.lower()
    assert body.startswith(b":ok\n\nevent: message\nid: ")
