"""Backpressure is a bound: clients that send without reading cannot make `kasocki serve` queue
more than its send bound for them, over websocket and long-polling, while other clients keep
being served; and the project's own client refuses what would go over its own bounds.

Each server here runs with a small bound (--send-queue-kib 64) and the test reads the largest
queue any session held from /metrics (kasocki_send_queue_peak_bytes): it must reach the bound
(the flood really filled the queue) and stay within it plus the answers to one client packet.
Does I/O: child processes, raw sockets on loopback, the real broker.
"""

from __future__ import annotations

import json
import pathlib
import socket
import struct
import subprocess
import sys
import threading

import pytest
import requests
import websocket

from conftest import free_port
from gateway_fixture import DEADLINE_S, GatewayServer, metric_samples, poll_until

pytest_plugins = ["gateway_fixture"]

LIMIT = 64 * 1024  # --send-queue-kib 64
# What one client packet can add beyond the bound in these tests: an `err` event, a consume's
# message (4 KiB here), a ping. Far below what the floods below would queue without the bound
# (megabytes).
SLACK = 16 * 1024
SERVE_ARGS = ("--send-queue-kib", "64")


def connections(sample: dict[str, float]) -> float:
    return sum(v for k, v in sample.items() if k.startswith("kasocki_connections"))


def wait_queue_full(server: GatewayServer) -> dict[str, float]:
    """Waits until the server holds a full send queue: the flood reached the bound."""
    return poll_until(lambda: metric_samples(server),
                      lambda m: m["kasocki_send_queue_bytes"] >= LIMIT,
                      "a send queue at the bound")


def assert_within_bound(server: GatewayServer) -> None:
    peak = metric_samples(server)["kasocki_send_queue_peak_bytes"]
    assert LIMIT <= peak <= LIMIT + SLACK, f"peak queue {peak} bytes, bound {LIMIT}"


def ws_frame(text: str) -> bytes:
    """A masked websocket text frame (mask key 0: the payload is sent as is)."""
    payload = text.encode()
    if len(payload) < 126:
        header = struct.pack("!BB", 0x81, 0x80 | len(payload))
    else:
        header = struct.pack("!BBH", 0x81, 0x80 | 126, len(payload))
    return header + b"\0\0\0\0" + payload


class Flooder:
    """A raw websocket client with a 4 KiB receive buffer, which stops reading after `ready`
    (and the acks it waits for) and then writes as much as the connection takes."""

    def __init__(self, server: GatewayServer):
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket",
            timeout=DEADLINE_S, sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)])
        assert self.ws.recv().startswith("0{")
        self.ws.send("40")
        self.recv_until(lambda p: p.startswith('2["ready"'))

    def recv_until(self, predicate) -> str:
        """The first socket.io packet (an Engine.IO message without its `4`) predicate accepts."""
        while True:
            frame = self.ws.recv()
            if frame == "2":
                self.ws.send("3")
            elif predicate(frame[1:]):
                return frame[1:]

    def write_without_blocking(self, data: bytes) -> int:
        """Writes until the connection takes no more; returns how many bytes it took."""
        sock = self.ws.sock
        sock.setblocking(False)
        sent = 0
        try:
            while sent < len(data):
                sent += sock.send(data[sent:sent + 65536])
        except BlockingIOError:
            pass
        finally:
            sock.setblocking(True)
        return sent

    def close(self) -> None:
        self.ws.close()


@pytest.fixture
def flooders():
    made: list[Flooder] = []

    def make(server: GatewayServer) -> Flooder:
        made.append(Flooder(server))
        return made[-1]

    yield make
    for f in made:
        f.close()


def assert_others_served(server: GatewayServer, connect, topic: str) -> None:
    """A well-behaved client is answered while the flood waits."""
    other = connect(server)
    other.ok("subscribe", [{"topic": topic, "partition": 0, "offset": 0}])
    message = other.call("consume")
    assert message[0] is None and message[1]["_kafka"]["offset"] == 0, message
    assert server.healthz().status_code == 200


def test_websocket_consumes_without_reading(kasocki_server, fresh_topic, produce, connect,
                                            flooders):
    topic = fresh_topic()
    produce(topic, [{"i": i, "pad": "x" * 4000} for i in range(1000)])
    server = kasocki_server(*SERVE_ARGS, "--ping-interval", "2000", "--ping-timeout", "2000")
    flooder = flooders(server)
    flooder.ws.send(f'420["subscribe",[{{"topic":"{topic}","partition":0,"offset":0}}]]')
    flooder.recv_until(lambda p: p.startswith("30["))
    # Thousands of consumes: the first 1000 (max-outstanding-consumes) wait for messages, the
    # rest are refused with an ack and an `err` each; none of it is read.
    consumes = b"".join(ws_frame(f'42{i}["consume"]') for i in range(1, 5001))
    flooder.write_without_blocking(consumes)
    wait_queue_full(server)
    assert_others_served(server, connect, topic)
    assert_within_bound(server)
    # The flooder answers no ping: the heartbeat lets it go, and its queue with it.
    poll_until(lambda: metric_samples(server),
               lambda m: connections(m) == 1 and m["kasocki_send_queue_bytes"] == 0,
               "the flooder's session to end")
    assert_within_bound(server)


def test_websocket_errors_without_reading_are_bounded_and_complete(kasocki_server, flooders):
    server = kasocki_server(*SERVE_ARGS)
    flooder = flooders(server)
    count = 100_000
    events = ws_frame('42["nosuch"]') * count  # each answered by an `err` event
    written = flooder.write_without_blocking(events)
    wait_queue_full(server)
    assert_within_bound(server)
    # Reading again lets the server go on: every event is answered, nothing is dropped.
    errors = 0
    done = threading.Event()

    def read():
        nonlocal errors
        while errors < count:
            frame = flooder.ws.recv()
            if frame.startswith('42["err"'):
                errors += 1
        done.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    flooder.ws.sock.sendall(events[written:])
    assert done.wait(DEADLINE_S * 4), f"{errors} of {count} errors came"
    assert_within_bound(server)


class PollingClient:
    def __init__(self, server: GatewayServer):
        self.base = f"{server.url}/socket.io/?EIO=4&transport=polling"
        opening = requests.get(self.base, timeout=DEADLINE_S).text
        assert opening.startswith("0{"), opening
        self.url = f"{self.base}&sid={json.loads(opening[1:])['sid']}"
        self.post("40")
        self.poll_until(lambda p: p.startswith('2["ready"'))

    def post(self, body: str) -> requests.Response:
        return requests.post(self.url, data=body.encode(), timeout=DEADLINE_S * 4)

    def get(self) -> list[str]:
        """The packets of one poll. Pings are not answered: a POST may be pending, and a second
        one would end the session; the tests end long before the heartbeat would."""
        response = requests.get(self.url, timeout=DEADLINE_S)
        assert response.status_code == 200, response.text
        return response.text.split("\x1e")

    def poll_until(self, predicate) -> None:
        while not any(p.startswith("4") and predicate(p[1:]) for p in self.get()):
            pass


def post_in_background(client: PollingClient, body: str):
    result: dict = {}
    done = threading.Event()

    def run():
        result["response"] = client.post(body)
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done, result


def test_polling_post_waits_while_the_queue_is_full(kasocki_server):
    server = kasocki_server(*SERVE_ARGS)
    client = PollingClient(server)
    count = 20_000
    done, result = post_in_background(client, "\x1e".join(['42["nosuch"]'] * count))
    wait_queue_full(server)
    assert not done.is_set(), "the POST was answered while its answers could not be queued"
    assert_within_bound(server)
    # Each GET makes room; the POST goes on, and every packet is answered.
    errors = 0
    while errors < count:
        errors += sum(p.startswith('42["err"') for p in client.get())
    assert done.wait(DEADLINE_S)
    assert result["response"].status_code == 200
    assert errors == count
    assert_within_bound(server)


def test_polling_second_post_while_one_waits_ends_the_session(kasocki_server, connect):
    server = kasocki_server(*SERVE_ARGS)
    client = PollingClient(server)
    done, result = post_in_background(client, "\x1e".join(['42["nosuch"]'] * 20_000))
    wait_queue_full(server)
    assert client.post('42["nosuch"]').status_code == 400  # overlap, as the reference answers
    assert done.wait(DEADLINE_S)  # the waiting POST ends with the session
    assert requests.get(client.url, timeout=DEADLINE_S).status_code == 400  # unknown sid
    poll_until(lambda: metric_samples(server), lambda m: m["kasocki_send_queue_bytes"] == 0,
               "the session's queue to be released")


# ---- the project's client ----

PY_SERVER = pathlib.Path(__file__).resolve().parent / "py_socketio_server.py"


@pytest.fixture(scope="module")
def probe(build_dir):
    path = build_dir / "tests" / "sio_client_probe"
    if not path.exists():
        pytest.fail(f"{path} is not built (cmake --build {build_dir} --target sio_client_probe)")
    return path


@pytest.mark.parametrize("transport", ["websocket", "polling_only"])
def test_client_refuses_what_goes_over_its_bounds(probe, start_process, transport):
    port = free_port()
    start_process([sys.executable, PY_SERVER, port], port=port)
    done = subprocess.run([probe, f"http://127.0.0.1:{port}", transport, "bounds"],
                          capture_output=True, text=True, timeout=DEADLINE_S * 2)
    assert done.returncode == 0, f"probe failed:\n{done.stdout}\n{done.stderr}"
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    steps = {line["step"]: line for line in lines}
    flood = steps["flood"]
    # 100 emits of about 415 bytes against a 4096-byte send queue, with no write between them
    # (few enough to fit one POST of python-engineio, which takes at most 16 packets).
    assert flood["sent"] + flood["refused"] == 100
    assert 1 <= flood["sent"] <= 4096 // 400 and flood["error"] == "send queue full", flood
    assert steps["after-flood"]["error"] == "Success", steps
    # max_pending_acks 4: the fifth is refused at once, not after the ack timeout.
    assert steps["fifth-ack"]["error"] == "too many pending acks", steps
    assert steps["closed"]["error"] == "", steps
