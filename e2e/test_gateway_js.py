"""The official JavaScript socket.io-client 4.x (e2e/js/gateway_client.js, run by node) against
`kasocki serve` and the real broker: ready, subscribe, filter, and messages pushed by `start` or
pulled by `consume`, over websocket, polling only, and polling upgraded to websocket."""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess

import pytest

from conftest import fixture_events

pytest_plugins = ["gateway_fixture"]

JS = pathlib.Path(__file__).resolve().parent / "js"
ONE = "kasocki_test_one"
MULTI = "kasocki_test_multi"


def run_node(*args) -> list[dict]:
    node = shutil.which("node")
    assert node, "node is not installed (scripts/setup.sh)"
    assert (JS / "node_modules").is_dir(), f"{JS}/node_modules missing: run scripts/setup.sh"
    done = subprocess.run([node, str(JS / "gateway_client.js"), *map(str, args)],
                          capture_output=True, text=True, timeout=90)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert done.returncode == 0, f"node failed: {lines[-3:]}\n{done.stderr[-2000:]}"
    return lines


def seen(lines: list[dict], key: str) -> list:
    return [line[key] for line in lines if key in line]


@pytest.mark.parametrize("transport", ["websocket", "polling", "upgrade"])
@pytest.mark.parametrize("how", ["start", "consume"])
def test_js_client_reads_a_topic(gateway, transport, how):
    spec = [{"topic": ONE, "partition": 0, "offset": 0}]
    lines = run_node(gateway.url, transport, json.dumps(spec), 10, how)
    [topics] = seen(lines, "ready")
    assert ONE in topics and topics == sorted(topics)
    assert seen(lines, "subscribe") == [[None, spec]]
    if how == "start":
        assert seen(lines, "start") == [[None, None]]
    messages = seen(lines, "message")
    assert [m["_kafka"]["offset"] for m in messages] == list(range(10))
    assert [{k: v for k, v in m.items() if k != "_kafka"} for m in messages] == fixture_events(ONE)
    expected_transport = "polling" if transport == "polling" else "websocket"
    assert seen(lines, "transport") == [expected_transport]
    assert seen(lines, "err") == []


def test_js_client_with_filter_on_several_partitions(gateway):
    spec = [{"topic": MULTI, "partition": p, "offset": 0} for p in range(3)]
    lines = run_node(gateway.url, "polling", json.dumps(spec), 4, "start",
                     json.dumps({"user": "Bob"}))
    assert seen(lines, "filter") == [[None, {"user": "Bob"}]]
    messages = seen(lines, "message")
    assert [m["user"] for m in messages] == ["Bob"] * 4
    assert [m["_kafka"]["offset"] for m in messages] == [0, 1, 2, 3]
    assert {m["_kafka"]["partition"] for m in messages} == {1}
