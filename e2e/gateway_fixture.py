"""Fixtures and client helpers of the gateway e2e suites (e2e/test_gateway_*.py): `kasocki serve`
against the real broker, and a python-socketio client that records every event in arrival order.
Does I/O: child processes, HTTP, socket.io connections, /proc reads.

Register it in a test module with `pytest_plugins = ["gateway_fixture"]`.

Fixtures:
    kasocki_server   kasocki_server(*args, wait_healthy=True) -> GatewayServer: starts
                     `kasocki serve --listen 127.0.0.1:<free port> --brokers <kafka> *args` and
                     waits until /healthz answers 200; stopped after the test, which fails if the
                     server died during it (a crash must not hide as a timeout). A server that
                     fails at start fails the test at once with its stderr: only a port taken
                     by another process before the bind is retried, on another port
    gateway          one default server for the whole module (no extra options, unless
                     KASOCKI_E2E_GATEWAY_ARGS gives some, e.g. "--tail-window-kib 16" to send
                     every suite through the switches between window and private readers)
    connect          connect(server, transports=("websocket",), wait_ready=True) -> GatewayClient,
                     disconnected after the test
    raw_connect      raw_connect(server) -> RawClient (exact socket.io frames), closed after
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import shlex
import subprocess
import tempfile
import threading
import time

import pytest
import requests
import socketio
import websocket

from conftest import Process, StartError, lost_port_race, start_on_free_port, wait_accepting

# Every wait on the server has this deadline: generous because the machine is shared with builds;
# a passing test never waits for it.
DEADLINE_S = 15.0


@dataclasses.dataclass
class GatewayServer:
    process: Process
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.popen.pid

    def alive(self) -> bool:
        return self.process.alive()

    def stderr(self) -> str:
        return self.process.stderr()

    def threads(self) -> int:
        """The server's current thread count, from /proc/<pid>/status."""
        for line in pathlib.Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("Threads:"):
                return int(line.split()[1])
        raise AssertionError("no Threads: line in /proc status")

    def healthz(self) -> requests.Response:
        return requests.get(f"{self.url}/healthz", timeout=DEADLINE_S)


def metric_samples(server: GatewayServer) -> dict[str, float]:
    """The samples of /metrics, keyed by 'name{labels}' as written."""
    text = requests.get(f"{server.url}/metrics", timeout=DEADLINE_S).text
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, number = line.rsplit(" ", 1)
            out[name] = float(number)
    return out


def poll_until(fetch, predicate, what: str, interval: float = 0.05,
               timeout: float = DEADLINE_S):
    """Calls fetch() until predicate(value) holds and returns that value: for figures that have
    no event to wait on (metrics scraped, /proc read)."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if predicate(value):
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {value}"
        time.sleep(interval)


def wait_healthy(server: GatewayServer, timeout: float = DEADLINE_S) -> None:
    """Polls /healthz until it answers 200 (the server has fetched Kafka metadata)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if not server.alive():
            # Whether it lost its port to another process, the exit status and message tell.
            returncode, stderr = server.process.popen.returncode, server.stderr()
            raise StartError(f"kasocki serve exited with {returncode}:\n{stderr[-4000:]}",
                             lost_port_race(returncode, stderr))
        try:
            last = server.healthz()
            if last.status_code == 200:
                return
        except requests.RequestException as error:
            last = error
        time.sleep(0.05)
    raise TimeoutError(f"/healthz did not answer 200 within {timeout}s: {last!r}")


def serve_args(kasocki_bin, kafka_bootstrap: str, port: int, args) -> list[str]:
    """`--log-level warn` unless `args` sets the level (an option may be given only once)."""
    args = [str(a) for a in args]
    level = [] if "--log-level" in args else ["--log-level", "warn"]
    return [str(kasocki_bin), "serve", "--listen", f"127.0.0.1:{port}", "--brokers",
            kafka_bootstrap, *level, *args]


@pytest.fixture
def kasocki_server(start_process, kasocki_bin, kafka_bootstrap):
    servers: list[GatewayServer] = []

    def start(*args, wait_healthy_too: bool = True, brokers: str | None = None) -> GatewayServer:
        # A server that fails at start fails the test at once, with its stderr; only a port
        # taken between free_port() and the bind is retried, on another port.
        def start_once(port: int) -> GatewayServer:
            server = GatewayServer(start_process(
                serve_args(kasocki_bin, brokers or kafka_bootstrap, port, args), port=port), port)
            if wait_healthy_too:
                wait_healthy(server)
            return server

        server = start_on_free_port(start_once)
        servers.append(server)
        return server

    yield start
    dead = [s for s in servers if not s.alive()]
    if dead:
        pytest.fail(f"kasocki serve died during the test (exit {dead[0].process.popen.returncode})"
                    f":\n{dead[0].stderr()[-4000:]}")


@pytest.fixture(scope="module")
def _module_gateway(kasocki_bin, kafka_bootstrap):
    """One server per module, managed here because start_process is per test."""
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="kasocki-gateway-"))

    def start_once(port: int) -> GatewayServer:
        out, err = workdir / f"{port}.out", workdir / f"{port}.err"
        args = serve_args(kasocki_bin, kafka_bootstrap, port,
                          shlex.split(os.environ.get("KASOCKI_E2E_GATEWAY_ARGS", "")))
        with open(out, "wb") as o, open(err, "wb") as e:
            popen = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=o, stderr=e)
        server = GatewayServer(Process(args, popen, port, out, err), port)
        try:
            wait_accepting(server.process, "127.0.0.1", DEADLINE_S)
            wait_healthy(server)
        except BaseException:
            server.process.stop()
            raise
        return server

    # Only a port taken between free_port() and the bind is retried; any other failure at start
    # (a crash, a bad option, no listen in time, never healthy) fails the module at once.
    server = start_on_free_port(start_once)
    yield server
    server.process.stop()


@pytest.fixture
def gateway(_module_gateway):
    if not _module_gateway.alive():
        pytest.fail(f"kasocki serve is not running:\n{_module_gateway.stderr()[-4000:]}")
    yield _module_gateway
    if not _module_gateway.alive():
        pytest.fail(f"kasocki serve died during this test:\n{_module_gateway.stderr()[-4000:]}")


def summarize_events(events: list[tuple[str, list]]) -> str:
    """What a client received, short enough for a failure message however many messages came:
    the message events per partition (count, first and last offset, the offsets out of order or
    repeated), then every other event in full."""
    runs: dict[tuple, list[int]] = {}
    others = []
    for event, args in events:
        meta = args[0].get("_kafka") if event == "message" and args and \
            isinstance(args[0], dict) else None
        if meta is None:
            others.append([event, args])
            continue
        runs.setdefault((meta.get("topic"), meta.get("partition")), []).append(meta.get("offset"))
    lines = []
    for (topic, partition), offsets in runs.items():
        unordered = [b for a, b in zip(offsets, offsets[1:]) if b != a + 1]
        lines.append(f"{topic}[{partition}]: {len(offsets)} messages, offsets {offsets[0]}.."
                     f"{offsets[-1]}, not following the previous: {unordered[:20]}")
    return ("message events: " + ("; ".join(lines) or "none") + "; other events: "
            + json.dumps(others)[:2000])


class GatewayClient:
    """A python-socketio client that records every server event, in arrival order.

    python-socketio hands each Engine.IO message to a new thread, which can reorder events;
    here messages are dispatched on the reading thread, so the record keeps the wire order.
    Handlers never block, so acks and events cannot deadlock.
    """

    def __init__(self, url: str, transports=("websocket",), wait_ready: bool = True):
        self.sio = socketio.Client(reconnection=False)
        trigger = self.sio.eio._trigger_event

        def in_order(event, *args, **kwargs):
            kwargs["run_async"] = False
            return trigger(event, *args, **kwargs)

        self.sio.eio._trigger_event = in_order
        self.events: list[tuple[str, list]] = []
        self.disconnected = threading.Event()
        self.cond = threading.Condition()

        @self.sio.on("*")
        def on_any(event, *args):
            with self.cond:
                self.events.append((event, list(args)))
                self.cond.notify_all()

        @self.sio.on("disconnect")
        def on_disconnect(*_):
            self.disconnected.set()
            with self.cond:
                self.cond.notify_all()

        self.sio.connect(url, transports=list(transports), wait_timeout=DEADLINE_S)
        self.topics = self.wait_event("ready")[0] if wait_ready else None

    # ---- events ----

    def wait_for(self, predicate, what: str, timeout: float = DEADLINE_S):
        """Waits until predicate(events) is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                value = predicate(self.events)
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for {what}; "
                                         f"{summarize_events(self.events)}")
                self.cond.wait(remaining)

    def named(self, name: str) -> list[list]:
        with self.cond:
            return [args for event, args in self.events if event == name]

    def wait_event(self, name: str, count: int = 1, timeout: float = DEADLINE_S) -> list:
        """The arguments of the count-th `name` event, once it has come."""
        found = self.wait_for(
            lambda events: [a for e, a in events if e == name][count - 1:count] or None,
            f"{count} {name} event(s)", timeout)
        return found[0]

    def messages(self, count: int, timeout: float = DEADLINE_S) -> list[dict]:
        """The first `count` `message` events' messages, once they have come."""
        self.wait_event("message", count, timeout)
        return [args[0] for args in self.named("message")[:count]]

    def errors(self) -> list[dict]:
        return [args[0] for args in self.named("err")]

    # ---- requests ----

    def emit(self, event: str, *args) -> None:
        """Sends an event without an ack."""
        self.sio.emit(event, tuple(args))

    def call_async(self, event: str, *args) -> "Pending":
        """Sends an event with an ack; the Pending also records how many events had come
        before the ack (acks and events share one ordered stream)."""
        pending = Pending(event)

        def on_ack(*reply):
            with self.cond:
                pending.events_before = len(self.events)
            pending.set(*reply)

        self.sio.emit(event, tuple(args), callback=on_ack)
        return pending

    def call(self, event: str, *args, timeout: float = DEADLINE_S) -> list:
        """Every argument of the ack, as a list."""
        return self.call_async(event, *args).result(timeout)

    def ok(self, event: str, *args, timeout: float = DEADLINE_S):
        """The result of an ack that must be [null, result]."""
        reply = self.call(event, *args, timeout=timeout)
        assert len(reply) == 2 and reply[0] is None, f"{event} {args!r} failed: {reply!r}"
        return reply[1]

    def fails(self, event: str, *args, name: str | None = None, timeout: float = DEADLINE_S):
        """The error object of an ack that must be [error, null] (named `name` when given)."""
        reply = self.call(event, *args, timeout=timeout)
        assert len(reply) == 2 and reply[1] is None and isinstance(reply[0], dict), reply
        assert_error_shape(reply[0], event)
        if name is not None:
            assert reply[0]["name"] == name, reply[0]
        return reply[0]

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()


class Pending:
    """An ack not yet received."""

    def __init__(self, event: str):
        self.event = event
        self.done = threading.Event()
        self.args: list | None = None
        self.events_before = -1

    def set(self, *args):
        self.args = list(args)
        self.done.set()

    def result(self, timeout: float = DEADLINE_S) -> list:
        if not self.done.wait(timeout):
            raise AssertionError(f"no ack for {self.event} within {timeout}s")
        return self.args

    def message(self, timeout: float = DEADLINE_S) -> dict:
        reply = self.result(timeout)
        assert len(reply) == 2 and reply[0] is None, reply
        return reply[1]


def assert_error_shape(error: dict, socket_event: str) -> None:
    """The error object of kasocki-api.md: {name, message, origin: "Kasocki", socketEvent, ...}."""
    assert list(error)[:4] == ["name", "message", "origin", "socketEvent"], error
    assert isinstance(error["name"], str) and error["name"].endswith("Error"), error
    assert isinstance(error["message"], str) and error["message"], error
    assert error["origin"] == "Kasocki", error
    assert error["socketEvent"] == socket_event, error


@pytest.fixture
def connect():
    clients: list[GatewayClient] = []

    def make(server: GatewayServer, transports=("websocket",), wait_ready: bool = True):
        client = GatewayClient(server.url, transports, wait_ready)
        clients.append(client)
        return client

    yield make
    for client in clients:
        try:
            client.close()
        except Exception:  # noqa: BLE001 - the server may have closed it already
            pass


def kafka_meta(message: dict) -> dict:
    return message["_kafka"]


def positions(messages: list[dict]) -> list[tuple[str, int, int]]:
    return [(m["_kafka"]["topic"], m["_kafka"]["partition"], m["_kafka"]["offset"])
            for m in messages]


class RawClient:
    """Socket.IO over a raw Engine.IO v4 websocket: exact frames in, exact frames out. For what
    python-socketio hides (events sent before CONNECT is answered, the raw text of a message)."""

    def __init__(self, server: GatewayServer):
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket",
            timeout=DEADLINE_S)
        opening = self.ws.recv()
        assert opening.startswith("0{"), opening

    def send(self, text: str) -> None:
        self.ws.send(text)

    def recv(self) -> str:
        """The next Engine.IO message packet's text (without the `4`); pings are answered."""
        while True:
            frame = self.ws.recv()
            if frame == "2":
                self.ws.send("3")
                continue
            assert frame.startswith("4"), frame
            return frame[1:]

    def recv_until(self, predicate, limit: int = 1000) -> list[str]:
        """Packets up to and including the first one predicate accepts."""
        packets = []
        for _ in range(limit):
            packets.append(self.recv())
            if predicate(packets[-1]):
                return packets
        raise AssertionError(f"no matching packet among {packets[:20]!r}")

    def close(self) -> None:
        self.ws.close()


@pytest.fixture
def raw_connect():
    clients: list[RawClient] = []

    def make(server: GatewayServer) -> RawClient:
        client = RawClient(server)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
