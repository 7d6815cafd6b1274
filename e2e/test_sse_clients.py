"""SSE clients we did not write, against `kasocki serve` and the real broker: a browser's
EventSource (headless Chromium via Playwright) that the server cuts off mid-stream
(--sse-max-duration) and that reconnects by itself with Last-Event-ID, losing and repeating
nothing; the PyPI client sseclient-py, resuming from its last id; and `kasocki client --transport
sse`, whose output matches the socket.io transport's.
Does I/O: child processes (kasocki, node, chromium), Kafka produce, HTTP.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import threading
import time

import pytest
import requests
import sseclient

from conftest import REPO
from sse_helpers import DEADLINE_S, produce_numbered, stream_url

pytest_plugins = ["gateway_fixture"]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def test_browser_eventsource_reconnects_with_last_event_id(kasocki_server, fresh_topic, produce):
    if not pathlib.Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing (scripts/setup.sh installs Debian's chromium)")
    topic = fresh_topic(1)
    # Every stream is ended by the server after 1 s, while messages keep coming.
    server = kasocki_server("--sse-max-duration", "1")
    total = 60
    produce_numbered(produce, topic, 0, 10)
    stop = threading.Event()

    def keep_producing():
        # Batches at least 0.25 s apart, for at least 2.25 s after the stream opened: longer than
        # the stream may last, so the later ones reach the browser only through its reconnects.
        for start in range(10, total, 5):
            if stop.wait(0.25):
                return
            produce_numbered(produce, topic, start, 5)

    node = subprocess.Popen(
        ["node", "sse_eventsource.js", server.url + "/healthz", stream_url(server, [topic], since=0),
         str(total)], cwd=REPO / "e2e" / "js", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    producer = threading.Thread(target=keep_producing, daemon=True)
    try:
        first = node.stdout.readline()
        assert first == "OPEN\n", node.stderr.read() if node.poll() is not None else first
        producer.start()
        out, err = node.communicate(timeout=150)
    finally:
        stop.set()
        if producer.is_alive():
            producer.join()
        if node.poll() is None:
            node.kill()
            node.wait()
    assert node.returncode == 0, err
    result = json.loads(out)
    assert result["numbers"] == list(range(total))  # nothing lost, nothing repeated, in order
    assert result["opens"] >= 2, result  # it was cut off and came back by itself
    assert result["errors"] == []
    last = json.loads(result["ids"][-1])
    assert last == [{"topic": topic, "partition": 0, "offset": total}]


def test_sseclient_py_reads_and_resumes(gateway, fresh_topic, produce):
    topic = fresh_topic(2)
    produce_numbered(produce, topic, 0, 5, partition=0)
    produce_numbered(produce, topic, 100, 5, partition=1)
    response = requests.get(stream_url(gateway, [topic], since=0), stream=True,
                            timeout=DEADLINE_S, headers={"Accept": "text/event-stream"})
    client = sseclient.SSEClient(response)
    first = []
    try:
        for event in client.events():
            assert event.event == "message"
            first.append((json.loads(event.data)["n"], event.id))
            if len(first) == 6:
                break
    finally:
        client.close()
    last_id = first[-1][1]
    response = requests.get(stream_url(gateway, [topic]), stream=True, timeout=DEADLINE_S,
                            headers={"Last-Event-ID": last_id})
    client = sseclient.SSEClient(response)
    rest = []
    try:
        for event in client.events():
            rest.append(json.loads(event.data)["n"])
            if len(rest) == 4:
                break
    finally:
        client.close()
    got = [n for n, _ in first] + rest
    assert sorted(got) == list(range(5)) + list(range(100, 105))


def run_client(kasocki_bin, *args) -> list[dict]:
    out = subprocess.run([str(kasocki_bin), "client", *args], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_kasocki_client_over_sse_prints_what_socketio_prints(gateway, kasocki_bin, fresh_topic,
                                                             produce):
    topic = fresh_topic(2)
    produce_numbered(produce, topic, 0, 4, partition=0)
    produce_numbered(produce, topic, 10, 4, partition=1)
    common = ["start", "--url", gateway.url, "--topic", topic, "--since", "0", "-n", "8",
              ]
    via_sse = run_client(kasocki_bin, *common, "--transport", "sse")
    via_ws = run_client(kasocki_bin, *common, "--transport", "websocket")
    key = lambda m: (m["_kafka"]["partition"], m["_kafka"]["offset"])  # noqa: E731
    assert sorted(via_sse, key=key) == sorted(via_ws, key=key)
    assert len(via_sse) == 8


def test_live_page_reads_through_eventsource(kasocki_server, fresh_topic, produce):
    """The page's transport switch on SSE: the same topics and filters through EventSource."""
    if not pathlib.Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing (scripts/setup.sh installs Debian's chromium)")
    topic = fresh_topic(1)
    server = kasocki_server("--allowed-topics", topic)
    node = subprocess.Popen(
        ["node", "sse_live_page.js", server.url + "/", topic, json.dumps({"n": [1, 3]}), "2"],
        cwd=REPO / "e2e" / "js", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = node.stdout.readline()
        assert first == "STARTED\n", node.stderr.read() if node.poll() is not None else first
        produce_numbered(produce, topic, 0, 5)
        out, err = node.communicate(timeout=120)
    finally:
        if node.poll() is None:
            node.kill()
            node.wait()
    assert node.returncode == 0, err
    result = json.loads(out)
    assert result["bodies"] == [{"n": 1}, {"n": 3}]  # filtered on the server, _kafka in the head
    assert "sse" in result["state"]


def test_kasocki_client_over_sse_reports_refusals(gateway, kasocki_bin, fresh_topic):
    topic = fresh_topic(1)
    out = subprocess.run([str(kasocki_bin), "client", "start", "--url", gateway.url, "--topic",
                          "kasocki_no_such_topic_cli", "--transport", "sse"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    error = json.loads(out.stderr.strip().splitlines()[-1])
    assert error["name"] == "TopicNotAvailableError"
    assert topic in error["availableTopics"]
    out = subprocess.run([str(kasocki_bin), "client", "start", "--url", gateway.url, "--topic",
                          topic, "--transport", "sse", "--filter", "a.=1"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert json.loads(out.stderr.strip().splitlines()[-1])["name"] == "InvalidFilterError"
