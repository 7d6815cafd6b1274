"""Two `kasocki serve` behind HAProxy running deploy/haproxy.cfg, against the real broker: real
clients (python-socketio, the official socket.io-client in node, an SSE reader) over websocket,
long-polling and the upgrade; the balancer's routing (polling sessions pinned, websocket sessions
spread); /healthz taking a gateway out as it shuts down. And deploy/nginx.conf checked by nginx."""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess

import pytest

from conftest import REPO, fixture_events
from gateway_fixture import GatewayClient, metric_samples
from sse_helpers import SseReader, stream_url

pytest_plugins = ["gateway_fixture", "lb_fixture"]

JS = pathlib.Path(__file__).resolve().parent / "js"
ONE = "kasocki_test_one"


def read_one(url: str, transports) -> GatewayClient:
    """A python-socketio client through the balancer that reads the 10 messages of ONE."""
    client = GatewayClient(url, transports)
    assert ONE in client.topics
    client.ok("subscribe", [{"topic": ONE, "partition": 0, "offset": 0}])
    client.ok("start")
    messages = client.messages(10)
    assert [m["_kafka"]["offset"] for m in messages] == list(range(10))
    assert [{k: v for k, v in m.items() if k != "_kafka"} for m in messages] == fixture_events(ONE)
    return client


def connections(stack, transport: str) -> list[int]:
    """kasocki_connections{transport} of each gateway."""
    return [int(metric_samples(g.server).get(f'kasocki_connections{{eio="4",'
                                               f'transport="{transport}"}}', 0)) for g in stack.gateways]


@pytest.mark.parametrize("mode", ["websocket", "polling", "upgrade"])
def test_python_socketio_sessions_through_the_balancer(balanced, kafka_bootstrap, mode):
    stack = balanced(kafka_bootstrap)
    transports = {"websocket": ["websocket"], "polling": ["polling"],
                  "upgrade": ["polling", "websocket"]}[mode]
    clients = []
    try:
        # Several sessions at once: with polling, every request of each must reach its owner
        # (a request sent to the other gateway would be refused as an unknown session).
        for _ in range(4):
            clients.append(read_one(stack.url, transports))
        expected = "polling" if mode == "polling" else "websocket"
        assert [c.sio.transport() for c in clients] == [expected] * 4
        per_gateway = connections(stack, expected)
        assert sum(per_gateway) == 4, per_gateway
        if mode == "websocket":
            # Sessions without a sid need no affinity: the gateway with fewer connections.
            assert per_gateway == [2, 2], per_gateway
        else:
            # Pinned by the client address: all of this host's sessions on one gateway.
            assert sorted(per_gateway) == [0, 4], per_gateway
    finally:
        for client in clients:
            client.close()


def run_node(*args) -> list[dict]:
    node = shutil.which("node")
    assert node, "node is not installed (scripts/setup.sh)"
    done = subprocess.run([node, str(JS / "gateway_client.js"), *map(str, args)],
                          capture_output=True, text=True, timeout=90)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert done.returncode == 0, f"node failed: {lines[-3:]}\n{done.stderr[-2000:]}"
    return lines


def test_js_client_through_the_balancer(balanced, kafka_bootstrap):
    stack = balanced(kafka_bootstrap)
    spec = [{"topic": ONE, "partition": 0, "offset": 0}]
    for mode in ("websocket", "polling", "upgrade"):
        lines = run_node(stack.url, mode, json.dumps(spec), 10, "start")
        messages = [line["message"] for line in lines if "message" in line]
        assert [m["_kafka"]["offset"] for m in messages] == list(range(10)), mode
        assert [line["transport"] for line in lines if "transport" in line] == \
            ["polling" if mode == "polling" else "websocket"], mode
        assert [line for line in lines if "err" in line] == [], mode


def test_sse_stream_through_the_balancer(balanced, kafka_bootstrap):
    stack = balanced(kafka_bootstrap)
    start = json.dumps([{"topic": ONE, "partition": 0, "offset": 0}])
    reader = SseReader(stream_url(stack, [ONE]), headers={"Last-Event-ID": start})
    try:
        assert reader.response.status_code == 200
        assert reader.response.headers["Content-Type"].startswith("text/event-stream")
        events = reader.events(10)
        assert [e.json()["_kafka"]["offset"] for e in events] == list(range(10))
        assert json.loads(events[-1].id) == [{"topic": ONE, "partition": 0, "offset": 10}]
    finally:
        reader.close()


def test_a_gateway_shutting_down_is_taken_out_before_clients_notice(balanced, kafka_bootstrap):
    stack = balanced(kafka_bootstrap)
    # The gateway this host's polling sessions are pinned to: the one whose loss matters most.
    probe = read_one(stack.url, ["polling"])
    owner = connections(stack, "polling").index(1)
    probe.close()
    leaving, staying = stack.gateways[owner], stack.gateways[1 - owner]
    leaving.server.process.popen.terminate()
    # At once, before the health checks can have noticed: the stopped listener refuses new
    # connections and the balancer sends them to the other gateway.
    for mode in (["websocket"], ["polling"], ["polling", "websocket"]):
        read_one(stack.url, mode).close()
    assert leaving.server.process.popen.wait(timeout=15) == 0
    stack.wait_state(leaving.name, "DOWN")
    assert stack.states()[staying.name] == "UP"
    # Back: the checks put it in again, and new websocket sessions go to it.
    leaving.start()
    stack.wait_state(leaving.name, "UP")
    clients = [read_one(stack.url, ["websocket"]) for _ in range(2)]
    assert connections(stack, "websocket") == [1, 1]
    for client in clients:
        client.close()
    assert staying.server.alive()


def test_the_nginx_configuration_is_valid(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert pathlib.Path(nginx).exists(), "nginx is not installed (scripts/setup.sh)"
    # -e: the error log of the check goes to a scratch file, not /var/log/nginx.
    done = subprocess.run([nginx, "-t", "-q", "-e", str(tmp_path / "error.log"),
                           "-c", str(REPO / "deploy" / "nginx.conf")],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
