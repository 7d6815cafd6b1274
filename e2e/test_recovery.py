"""Connection state recovery (kasocki-api.md, "Connection state recovery") with the official
socket.io-client 4.x (e2e/js/recovery_client.js, configured with nothing but the URL) against
`kasocki serve --recovery-secret-file` and the real broker: a connection cut by the network (a
TCP relay that resets it) while a producer writes, the server SIGKILLed and started again on its
port, the client moved to a second server with the same secret: the client recovers
(`socket.recovered`), nothing lost or repeated. A tampered or expired pid or cursor: a new
session, no crash. And what clients that do not know recovery see when it is on."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import subprocess
import threading
import time
import uuid

import pytest

from conftest import free_port
from gateway_fixture import (DEADLINE_S, GatewayServer, metric_samples, serve_args,
                             wait_healthy)
from tcp_relay import TcpRelay

pytest_plugins = ["gateway_fixture"]

JS = pathlib.Path(__file__).resolve().parent / "js"
# Reconnecting waits for the client's backoff (up to 5 s a try) and for a restarted server.
RECOVERY_DEADLINE_S = 60.0


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "recovery-secret"
    path.write_text(f"# test secret\n{uuid.uuid4().hex}\n")
    return path


class NodeClient:
    """recovery_client.js in a child process; its JSON lines collected as they come."""

    def __init__(self, url: str, topic: str, filters: dict | None = None,
                 token: str | None = None):
        node = shutil.which("node")
        assert node, "node is not installed (scripts/setup.sh)"
        extra = [json.dumps(filters)] if filters else []
        env = {**os.environ, "TOKEN": token} if token else None
        self.proc = subprocess.Popen([node, str(JS / "recovery_client.js"), url, topic, *extra],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.lines: list[dict] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            if line.strip():
                with self._cond:
                    self.lines.append(json.loads(line))
                    self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, predicate, what: str, timeout: float = DEADLINE_S):
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self) or self.proc.poll() is not None,
                                       timeout) or not predicate(self):
                raise AssertionError(f"timed out waiting for {what}; last lines: {self.lines[-8:]}"
                                     f"\nstderr: {self._stderr()}")

    def _stderr(self) -> str:
        if self.proc.poll() is None:
            return "(running)"
        return self.proc.stderr.read()[-2000:]

    def command(self, text: str) -> None:
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        done = text.split(" ")[0]
        self.wait_for(lambda c: {"done": done} in c.lines, f"command {done}")

    def seen(self, key: str) -> list:
        with self._cond:
            return [line[key] for line in self.lines if key in line]

    def messages(self) -> list[tuple[int, int, int]]:
        return [tuple(m) for m in self.seen("m")]

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


@pytest.fixture
def node_client():
    clients: list[NodeClient] = []

    def make(url: str, topic: str, filters: dict | None = None,
             token: str | None = None) -> NodeClient:
        client = NodeClient(url, topic, filters, token)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def relay():
    relays: list[TcpRelay] = []

    def make(port: int) -> TcpRelay:
        r = TcpRelay(port)
        relays.append(r)
        return r

    yield make
    for r in relays:
        r.close()


class BackgroundProducer:
    """Writes `total` messages {"n": i} round robin over the partitions, in small chunks, in a
    thread: a producer that keeps writing while the connection is cut."""

    def __init__(self, produce, topic: str, partitions: int, total: int, first: int = 0,
                 values=lambda n: {"n": n}):
        self.expected: list[tuple[int, int, int]] = []
        self.error: BaseException | None = None

        def run():
            try:
                for start in range(first, first + total, 20):
                    ns = list(range(start, min(start + 20, first + total)))
                    results = produce(topic, [values(n) for n in ns],
                                      partition=[n % partitions for n in ns])
                    self.expected += [(p, o, n) for (p, o), n in zip(results, ns)]
                    time.sleep(0.01)  # pacing: the stream spans the cut, it synchronises nothing
            except BaseException as error:  # reported by join()
                self.error = error

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def join(self):
        self._thread.join(RECOVERY_DEADLINE_S)
        assert not self._thread.is_alive(), "the producer did not finish"
        if self.error:
            raise self.error


def started_client(node_client, url: str, topic: str, filters: dict | None = None,
                   token: str | None = None) -> NodeClient:
    client = node_client(url, topic, filters, token)
    client.wait_for(lambda c: c.seen("started"), "subscribe and start")
    [connect] = client.seen("connect")
    assert connect["recovered"] is False and connect["pid"]
    return client


def assert_all_once(client: NodeClient, expected: list[tuple[int, int, int]]):
    """Every produced message exactly once, in offset order per partition."""
    want = set(expected)
    # Per partition, a repeat would come before the newest offsets: waiting for all of them
    # leaves no repeat unseen.
    client.wait_for(lambda c: want <= set(c.messages()), f"all {len(want)} messages",
                    RECOVERY_DEADLINE_S)
    got = client.messages()
    repeated = len(got) - len(set(got))
    assert repeated == 0, f"{repeated} messages repeated"
    assert set(got) == want
    for partition in {p for p, _, _ in got}:
        offsets = [o for p, o, _ in got if p == partition]
        assert offsets == sorted(offsets)


def assert_recovered(client: NodeClient):
    client.wait_for(lambda c: len(c.seen("connect")) >= 2, "the reconnect", RECOVERY_DEADLINE_S)
    first, second = client.seen("connect")[:2]
    assert second == {"recovered": True, "pid": first["pid"]}
    assert client.seen("err") == []


def recoveries(server: GatewayServer) -> dict[str, float]:
    prefix = 'kasocki_recoveries_total{outcome="'
    return {k[len(prefix):-2]: v for k, v in metric_samples(server).items() if k.startswith(prefix)}


def test_connection_cut_by_the_network_recovers_nothing_lost_or_repeated(
        kasocki_server, fresh_topic, produce, secret_file, relay, node_client):
    topic = fresh_topic(3)
    server = kasocki_server("--recovery-secret-file", secret_file)
    cut = relay(server.port)
    client = started_client(node_client, cut.url, topic)
    producer = BackgroundProducer(produce, topic, 3, 600)
    client.wait_for(lambda c: len(c.messages()) >= 100, "the first 100 messages")
    assert cut.drop() >= 1
    producer.join()
    assert_all_once(client, producer.expected)
    assert_recovered(client)
    assert recoveries(server).get("recovered") == 1


def test_filters_are_recovered_with_the_positions(kasocki_server, fresh_topic, produce, secret_file,
                                                  relay, node_client):
    topic = fresh_topic(2)
    server = kasocki_server("--recovery-secret-file", secret_file)
    cut = relay(server.port)
    client = started_client(node_client, cut.url, topic, filters={"even": True})
    producer = BackgroundProducer(produce, topic, 2, 400, values=lambda n: {"n": n, "even": n % 3 == 0})
    client.wait_for(lambda c: len(c.messages()) >= 30, "the first 30 messages")
    assert cut.drop() >= 1
    producer.join()
    # Only the messages the filters pass, each once: the restored session has the filters.
    assert_all_once(client, [(p, o, n) for p, o, n in producer.expected if n % 3 == 0])
    assert_recovered(client)


def test_server_killed_and_restarted_on_its_port_recovers(
        start_process, kasocki_bin, kafka_bootstrap, fresh_topic, produce, secret_file,
        node_client):
    topic = fresh_topic(2)
    port = free_port()
    args = serve_args(kasocki_bin, kafka_bootstrap, port, ["--recovery-secret-file", secret_file])
    first = GatewayServer(start_process(args, port=port), port)
    wait_healthy(first)
    client = started_client(node_client, first.url, topic)
    producer = BackgroundProducer(produce, topic, 2, 400)
    client.wait_for(lambda c: len(c.messages()) >= 50, "the first 50 messages")
    os.kill(first.pid, signal.SIGKILL)
    first.process.popen.wait(DEADLINE_S)
    second = GatewayServer(start_process(args, port=port), port)
    wait_healthy(second)
    producer.join()
    assert_all_once(client, producer.expected)
    assert_recovered(client)
    assert recoveries(second).get("recovered") == 1


def test_client_moved_to_a_second_server_with_the_same_secret_recovers(
        kasocki_server, fresh_topic, produce, secret_file, relay, node_client):
    topic = fresh_topic(3)
    one = kasocki_server("--recovery-secret-file", secret_file)
    two = kasocki_server("--recovery-secret-file", secret_file)
    cut = relay(one.port)
    client = started_client(node_client, cut.url, topic)
    producer = BackgroundProducer(produce, topic, 3, 400)
    client.wait_for(lambda c: len(c.messages()) >= 50, "the first 50 messages")
    cut.target_port = two.port
    assert cut.drop() >= 1
    producer.join()
    assert_all_once(client, producer.expected)
    assert_recovered(client)
    assert recoveries(two).get("recovered") == 1
    assert "recovered" not in recoveries(one)


@pytest.mark.parametrize("tamper", ["tamper-offset", "tamper-pid"])
def test_tampered_pid_or_cursor_gets_a_new_session(
        kasocki_server, fresh_topic, produce, secret_file, relay, node_client, tamper):
    topic = fresh_topic(1)
    server = kasocki_server("--recovery-secret-file", secret_file)
    cut = relay(server.port)
    client = started_client(node_client, cut.url, topic)
    produce(topic, [{"n": n} for n in range(10)])
    client.wait_for(lambda c: len(c.messages()) == 10, "10 messages")
    client.command(tamper)  # nothing is produced meanwhile: no newer cursor replaces it
    assert cut.drop() >= 1
    client.wait_for(lambda c: len(c.seen("ready")) == 2, "the new session's ready")
    first, second = client.seen("connect")
    assert second["recovered"] is False and second["pid"] != first["pid"]
    assert client.seen("err") == []
    assert recoveries(server) == {"new": 1, "signature": 1}
    assert server.alive()


def test_expired_cursor_gets_a_new_session(kasocki_server, fresh_topic, produce, secret_file,
                                           relay, node_client):
    topic = fresh_topic(1)
    server = kasocki_server("--recovery-secret-file", secret_file, "--recovery-window", "1")
    cut = relay(server.port)
    client = started_client(node_client, cut.url, topic)
    produce(topic, [{"n": n} for n in range(5)])
    client.wait_for(lambda c: len(c.messages()) == 5, "5 messages")
    time.sleep(2.5)  # the window's second passes: the expiry itself is what is tested
    assert cut.drop() >= 1
    client.wait_for(lambda c: len(c.seen("ready")) == 2, "the new session's ready")
    first, second = client.seen("connect")
    assert second["recovered"] is False and second["pid"] != first["pid"]
    assert recoveries(server) == {"new": 1, "expired": 1}


def test_python_socketio_with_recovery_on_gets_the_cursor_as_an_extra_argument(
        kasocki_server, fresh_topic, produce, secret_file, connect):
    # python-socketio keeps no pid and sends none: every session is new. A `message` handler
    # gets the cursor as a second argument (a handler taking one argument raises TypeError).
    topic = fresh_topic(1)
    server = kasocki_server("--recovery-secret-file", secret_file)
    client = connect(server)
    client.ok("subscribe", topic)
    [cursor] = client.wait_event("cursor")
    assert isinstance(cursor, str) and len(cursor) <= 64
    client.ok("start")
    produce(topic, [{"n": 1}])
    client.wait_event("message")
    [args] = client.named("message")
    assert len(args) == 2 and args[0]["n"] == 1 and isinstance(args[1], str)
    assert len(args[1]) <= 64
    assert recoveries(server) == {"new": 1}


def test_socketio_v2_client_with_recovery_on_is_not_affected(kasocki_server, fresh_topic, produce,
                                                              secret_file):
    # Engine.IO v3 sessions are offered no pid: no cursor argument, no cursor events.
    topic = fresh_topic(1)
    server = kasocki_server("--recovery-secret-file", secret_file)
    produce(topic, [{"n": n} for n in range(5)])
    done = subprocess.run([shutil.which("node"), str(JS / "v2_gateway_client.js"), server.url,
                           topic, "5"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert [m["n"] for m in result["messages"]] == list(range(5))
    assert result["argumentCounts"] == [1] * 5
    assert result["cursorEvents"] == 0
    assert recoveries(server) == {}
