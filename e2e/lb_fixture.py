"""Fixtures of the scale-out suites (e2e/test_lb_*.py, e2e/test_cluster_*.py): several `kasocki
serve` processes behind HAProxy running deploy/haproxy.cfg, and the 3-node Kafka cluster of
`scripts/kafka.sh --nodes 3`. Does I/O: child processes, the HAProxy admin socket, HTTP.

Register it in a test module with `pytest_plugins = ["gateway_fixture", "lb_fixture"]`.

Fixtures:
    kafka_cluster   the 3-node cluster, started once per test session when it is not running
                    (and then stopped at the end): KafkaCluster with bootstrap, pids(),
                    kill_node(id), start()
    balanced        balanced(brokers, count=2, *args) -> Balanced: `count` gateways (each
                    `kasocki serve --brokers brokers *args` on its own port) behind HAProxy;
                    gateways can be killed, terminated and started again on their port;
                    everything is stopped after the test
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import REPO, ADMIN_TIMEOUT_S, Process, free_port, wait_accepting, wait_writable
from gateway_fixture import DEADLINE_S, GatewayServer, serve_args, wait_healthy

KAFKA_SH = REPO / "scripts" / "kafka.sh"
HAPROXY_CFG = REPO / "deploy" / "haproxy.cfg"
CLUSTER_NODES = 3
# Starting three JVMs on a loaded two-core machine takes a while.
CLUSTER_START_TIMEOUT_S = 240


def kafka_sh(*args, timeout: float = CLUSTER_START_TIMEOUT_S) -> subprocess.CompletedProcess:
    return subprocess.run([str(KAFKA_SH), *args, "--nodes", str(CLUSTER_NODES)],
                          capture_output=True, text=True, timeout=timeout)


@dataclasses.dataclass
class KafkaCluster:
    bootstrap: str

    def pids(self) -> dict[int, int]:
        """node id -> pid of every running node."""
        done = kafka_sh("pids")
        assert done.returncode == 0, done.stderr
        return {int(node): int(pid) for node, pid, _ in
                (line.split() for line in done.stdout.splitlines())}

    def kill_node(self, node: int) -> None:
        """SIGKILL: no controlled shutdown, the partitions it leads lose their leader."""
        pid = self.pids()[node]
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + DEADLINE_S
        while pathlib.Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            # A killed child of another session is reaped by init; only its /proc entry tells.
            if pathlib.Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                break
            time.sleep(0.05)

    def start(self) -> None:
        """Starts every node not running; returns once all are in the metadata."""
        done = kafka_sh("start")
        assert done.returncode == 0, f"kafka.sh start --nodes 3 failed:\n{done.stderr[-4000:]}"

    def leader(self, topic: str, partition: int = 0) -> int:
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        meta = admin.list_topics(topic, timeout=ADMIN_TIMEOUT_S).topics[topic]
        return meta.partitions[partition].leader

    def create_topic(self, name: str, partitions: int = 1) -> None:
        """Replication factor 3, min.insync.replicas 2; returns once all three replicas of every
        partition are in sync and its leader takes writes."""
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        futures = admin.create_topics([NewTopic(name, partitions, CLUSTER_NODES,
                                                config={"min.insync.replicas": "2"})])
        futures[name].result(timeout=ADMIN_TIMEOUT_S)
        deadline = time.monotonic() + ADMIN_TIMEOUT_S
        while True:
            meta = admin.list_topics(name, timeout=ADMIN_TIMEOUT_S).topics.get(name)
            if meta is not None and meta.error is None and len(meta.partitions) == partitions \
                    and all(p.leader >= 0 and len(p.isrs) == CLUSTER_NODES
                            for p in meta.partitions.values()):
                return wait_writable(admin, name, partitions)
            assert time.monotonic() < deadline, f"topic {name} not fully replicated: {meta}"
            time.sleep(0.05)

    def wait_in_sync(self, topic: str, partition: int = 0) -> None:
        """Until all three replicas of the partition are in sync again (after a node came back)."""
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        deadline = time.monotonic() + 60
        while True:
            meta = admin.list_topics(topic, timeout=ADMIN_TIMEOUT_S).topics[topic]
            if len(meta.partitions[partition].isrs) == CLUSTER_NODES:
                return
            assert time.monotonic() < deadline, f"{topic}[{partition}] not back in sync: {meta}"
            time.sleep(0.1)


@pytest.fixture(scope="session")
def kafka_cluster():
    if os.environ.get("KASOCKI_CLUSTER_BOOTSTRAP"):
        pytest.skip("KASOCKI_CLUSTER_BOOTSTRAP: the failover suites kill and restart nodes of "
                    "scripts/kafka.sh --nodes 3 only")
    was_running = kafka_sh("status").returncode == 0
    done = kafka_sh("start")
    if done.returncode != 0:
        pytest.fail(f"scripts/kafka.sh start --nodes 3 failed:\n{done.stderr[-4000:]}")
    bootstrap = kafka_sh("bootstrap").stdout.strip()
    yield KafkaCluster(bootstrap)
    if not was_running:
        kafka_sh("stop")


# ---- HAProxy in front of gateways ----


class Gateway:
    """One `kasocki serve` on a fixed port, so that HAProxy's server line stays true across a
    kill and a start."""

    def __init__(self, name: str, args: list[str], port: int, workdir: pathlib.Path):
        self.name, self.args, self.port, self.workdir = name, args, port, workdir
        self.server: GatewayServer | None = None
        self.starts = 0

    def start(self) -> GatewayServer:
        self.starts += 1
        out = self.workdir / f"{self.name}.{self.starts}.out"
        err = self.workdir / f"{self.name}.{self.starts}.err"
        with open(out, "wb") as o, open(err, "wb") as e:
            popen = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=o, stderr=e)
        self.server = GatewayServer(Process(self.args, popen, self.port, out, err), self.port)
        wait_accepting(self.server.process, "127.0.0.1", DEADLINE_S)
        wait_healthy(self.server)
        return self.server

    def kill(self) -> None:
        self.server.process.popen.kill()
        self.server.process.popen.wait()

    def terminate(self) -> int:
        """SIGTERM and the exit status once it has exited (a graceful shutdown is within 5 s)."""
        self.server.process.popen.terminate()
        return self.server.process.popen.wait(timeout=DEADLINE_S)

    def stop(self) -> None:
        if self.server is not None:
            self.server.process.stop()


class Balanced:
    def __init__(self, gateways: list[Gateway], port: int, stats: pathlib.Path,
                 haproxy: Process):
        self.gateways, self.port, self.stats, self.haproxy = gateways, port, stats, haproxy

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def admin(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(DEADLINE_S)
            s.connect(str(self.stats))
            s.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def states(self, backend: str = "kasocki") -> dict[str, str]:
        """server name -> HAProxy's status (UP, DOWN, "UP 1/2", ...) in `backend`."""
        lines = self.admin("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        pxname, svname, status = (header.index(k) for k in ("pxname", "svname", "status"))
        return {f[svname]: f[status] for f in (line.split(",") for line in lines[1:] if line)
                if f[pxname] == backend and f[svname] not in ("FRONTEND", "BACKEND")}

    def wait_state(self, name: str, state: str, timeout: float = 60) -> None:
        """Until HAProxy's health checks have put gateway `name` in `state` (UP or DOWN)."""
        deadline = time.monotonic() + timeout
        while (current := self.states().get(name)) != state:
            assert time.monotonic() < deadline, f"{name} is {current}, not {state}: {self.states()}"
            time.sleep(0.1)

    def stop(self) -> None:
        for gateway in self.gateways:
            gateway.stop()
        self.haproxy.stop()


def haproxy_binary() -> str:
    binary = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists(
        "/usr/sbin/haproxy") else None)
    assert binary, "haproxy is not installed (scripts/setup.sh)"
    return binary


@pytest.fixture
def balanced(kasocki_bin):
    stacks: list[Balanced] = []

    def make(brokers: str, count: int = 2, *args) -> Balanced:
        assert count == 2, "deploy/haproxy.cfg names two gateways"
        workdir = pathlib.Path(tempfile.mkdtemp(prefix="kasocki-lb-"))
        gateways = []
        for i in range(count):
            port = free_port()
            gateways.append(Gateway(f"gw{i + 1}", serve_args(kasocki_bin, brokers, port, args),
                                    port, workdir))
        for gateway in gateways:
            gateway.start()
        port, stats = free_port(), workdir / "haproxy.sock"
        env = dict(os.environ, KASOCKI_LB_BIND=f"127.0.0.1:{port}", KASOCKI_LB_STATS=str(stats),
                   **{f"KASOCKI_GW{i + 1}": f"127.0.0.1:{g.port}" for i, g in enumerate(gateways)})
        command = [haproxy_binary(), "-db", "-f", str(HAPROXY_CFG)]
        out, err = workdir / "haproxy.out", workdir / "haproxy.err"
        with open(out, "wb") as o, open(err, "wb") as e:
            popen = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=o, stderr=e,
                                     env=env)
        stack = Balanced(gateways, port, stats, Process(command, popen, port, out, err))
        stacks.append(stack)
        wait_accepting(stack.haproxy, "127.0.0.1", DEADLINE_S)
        # The admin socket is bound apart from the frontend, possibly a moment later.
        deadline = time.monotonic() + DEADLINE_S
        while not stats.is_socket():
            assert stack.haproxy.alive() and time.monotonic() < deadline, stack.haproxy.stderr()
            time.sleep(0.02)
        for gateway in gateways:
            stack.wait_state(gateway.name, "UP")
        return stack

    yield make
    for stack in stacks:
        stack.stop()
