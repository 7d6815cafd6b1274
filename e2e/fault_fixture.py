"""Fixtures of the Kafka fault suites (e2e/test_faults*.py): a broker of the module's own, driven
by scripts/kafka.sh with KASOCKI_KAFKA_PORT and KASOCKI_KAFKA_WORK (stopped and started by the
tests, so never the shared one other suites read), a fresh topic on it, a producer and a wait on
/healthz. Does I/O: a java broker process, a temporary data folder, Kafka admin and produce
requests, HTTP.

Register it in a test module with `pytest_plugins = ["gateway_fixture", "fault_fixture"]`.

Fixtures:
    broker    the module's Broker (started once, removed after the module)
    running   the broker, started at the start of the test and after it
    topic     a new topic of one partition on it, with a leader
"""

from __future__ import annotations

import json
import os
import pathlib
import random
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import ORDERED_PRODUCER, REPO, wait_writable
from gateway_fixture import poll_until

# Recovery is paced by librdkafka's reconnect backoff and the metadata refresh; generous because
# the machine is shared.
RECOVERY_S = 60.0


def _ephemeral_ports_start() -> int:
    """The first port the kernel gives outgoing connections (ip_local_port_range)."""
    try:
        return int(pathlib.Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _two_free_ports() -> int:
    """A port p such that p and p+1 (the controller) are both free right now, below the kernel's
    range of ephemeral ports. The tests stop this broker and start it again while the gateway's
    clients keep connecting to it; a port in that range can be given to one of those outgoing
    connections as its own, which then connects to itself (TCP simultaneous open) and holds the
    port, and the broker cannot start there again."""
    top = _ephemeral_ports_start() - 2
    chooser = random.Random()
    for _ in range(200):
        port = chooser.randrange(max(1024, top - 10000), top)
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no two adjacent free ports below the ephemeral range")


class Broker:
    """A broker of this module's own, driven by scripts/kafka.sh."""

    def __init__(self):
        self.port = _two_free_ports()
        self.work = pathlib.Path(tempfile.mkdtemp(prefix="kasocki-fault-broker-"))
        self.env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP"}
        self.env.update(KASOCKI_KAFKA_PORT=str(self.port), KASOCKI_KAFKA_WORK=str(self.work))
        self.bootstrap = f"localhost:{self.port}"

    def run(self, *args: str) -> None:
        subprocess.run([str(REPO / "scripts" / "kafka.sh"), *args], env=self.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=180)

    def start(self) -> None:
        self.run("start")

    def stop(self) -> None:
        self.run("stop")

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.work, ignore_errors=True)


@pytest.fixture(scope="module")
def broker():
    b = Broker()
    try:
        b.start()
        yield b
    finally:
        b.remove()  # always: no broker is left behind, whatever the tests did


@pytest.fixture
def running(broker):
    """The module's broker, running at the start of the test (a failed test may have left it
    stopped) and after it."""
    broker.start()
    yield broker
    broker.start()


@pytest.fixture
def topic(running):
    admin = AdminClient({"bootstrap.servers": running.bootstrap})
    name = f"kasocki_fault_{time.monotonic_ns()}"
    admin.create_topics([NewTopic(name, 1, 1)])[name].result(timeout=30)
    wait_writable(admin, name, 1)
    return name


def produce(bootstrap: str, topic: str, values: list[dict]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, **ORDERED_PRODUCER})
    errors = []
    for v in values:
        producer.produce(topic, json.dumps(v).encode(),
                         on_delivery=lambda err, _msg: err and errors.append(err))
    assert producer.flush(30) == 0, "not every message was delivered"
    assert not errors, errors


def wait_status(server, status: int, timeout: float = RECOVERY_S) -> None:
    """Scrapes /healthz until it answers `status` (health has no event to wait on)."""
    poll_until(server.healthz, lambda r: r.status_code == status,
               f"/healthz to answer {status}", interval=0.1, timeout=timeout)
