"""Shared fixtures of the e2e suites: the Kafka broker, the built binary, throwaway topics, a
producer, and child processes that are awaited until they listen. Does I/O: Kafka admin and
produce requests, child processes, TCP connects.

Fixtures (by name in a test's arguments):
    kafka_bootstrap  "host:port" of the broker: $KAFKA_BOOTSTRAP, else localhost:9092; fails the
                     test when nothing answers there (start one with scripts/kafka.sh start)
    build_dir        $KASOCKI_BUILD_DIR, else <repo>/build
    kasocki_bin      $KASOCKI_BIN, else build_dir/cli/kasocki
    fresh_topic      fresh_topic(partitions=1) -> name of a new empty topic kasocki_test_tmp_<uuid>,
                     deleted after the test
    produce          produce(topic, values, key=, partition=, timestamp=) -> [(partition, offset)]
    start_process    start_process(args, port=) -> Process, once the port accepts connections;
                     killed after the test, its output printed when the test failed
Helpers to import (`from conftest import ...`): free_port(), ORDERED_PRODUCER, FIXTURE_TOPICS,
create_topic(), wait_writable(), fixture_lines(), fixture_events(), Process, start_on_free_port()
(retries a server start only when its port was taken), StartError, lost_port_race().
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import socket
import subprocess
import tempfile
import time
import uuid

import pytest
from confluent_kafka import KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic, OffsetSpec

# Test modules import helpers from these plugins before pytest loads them as plugins: register
# them first so that their asserts are still rewritten (detailed failure messages).
pytest.register_assert_rewrite("gateway_fixture", "testserver_fixture", "history_fixture")

REPO = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = REPO / "e2e" / "fixtures"

# The topics scripts/clean_kafka.sh loads, with their partition counts (see fixtures/README.md).
FIXTURE_TOPICS = {
    "kasocki_test_one": 1,
    "kasocki_test_two": 1,
    "kasocki_test_multi": 3,
    "kasocki_test_invalid": 1,
    "kasocki_test_empty": 1,
}

# Generous: the machine has two cores shared with builds, and sanitizer builds start slowly.
ADMIN_TIMEOUT_S = 30.0
PROCESS_START_TIMEOUT_S = 30.0


def fixture_lines(topic: str) -> list[str]:
    """The messages clean_kafka.sh loaded into a fixture topic, as raw lines in file order."""
    return (FIXTURES / f"{topic}.jsonl").read_text(encoding="utf-8").splitlines()


def fixture_events(topic: str) -> list[dict | None]:
    """The fixture messages parsed as JSON; None for a line that is not JSON."""
    events = []
    for line in fixture_lines(topic):
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            events.append(None)
    return events


def free_port() -> int:
    """A loopback TCP port nobody listens on right now (another process may still take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- Kafka ----


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP", "localhost:9092")
    try:
        AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
    except KafkaException as error:
        pytest.fail(f"no Kafka broker answers at {bootstrap} (scripts/kafka.sh start): {error}")
    return bootstrap


@pytest.fixture(scope="session")
def kafka_admin(kafka_bootstrap) -> AdminClient:
    return AdminClient({"bootstrap.servers": kafka_bootstrap})


def wait_writable(admin: AdminClient, topic: str, partitions: int) -> None:
    """Until every partition of a new topic takes writes. Creation is acknowledged before the
    partitions have leaders, and the metadata names a leader before that broker acts as one: a
    produce then gets NOT_LEADER_OR_FOLLOWER, and the producer's retry of that batch can land
    after a later batch that succeeded (values out of order, even with one request in flight).
    ListOffsets needs the leader as a produce does, and writes nothing."""
    deadline = time.monotonic() + ADMIN_TIMEOUT_S
    while True:
        meta = admin.list_topics(topic, timeout=ADMIN_TIMEOUT_S).topics.get(topic)
        if meta is not None and meta.error is None and len(meta.partitions) == partitions and all(
            p.leader >= 0 for p in meta.partitions.values()
        ):
            try:
                asked = {TopicPartition(topic, p): OffsetSpec.latest() for p in range(partitions)}
                for future in admin.list_offsets(asked, request_timeout=ADMIN_TIMEOUT_S).values():
                    future.result()
                return
            except KafkaException:
                pass  # not the leader yet
        if time.monotonic() > deadline:
            raise TimeoutError(f"topic {topic}: not all {partitions} partitions take writes")
        time.sleep(0.05)


def create_topic(admin: AdminClient, partitions: int = 1, config: dict | None = None) -> str:
    """A new topic kasocki_test_tmp_<uuid>, once every partition takes writes."""
    name = f"kasocki_test_tmp_{uuid.uuid4().hex}"
    futures = admin.create_topics([NewTopic(name, partitions, 1, config=config or {})])
    futures[name].result(timeout=ADMIN_TIMEOUT_S)
    wait_writable(admin, name, partitions)
    return name


@pytest.fixture
def fresh_topic(kafka_admin):
    created: list[str] = []

    def make(partitions: int = 1) -> str:
        name = create_topic(kafka_admin, partitions)
        created.append(name)
        return name

    yield make
    if created:
        for future in kafka_admin.delete_topics(created, operation_timeout=ADMIN_TIMEOUT_S).values():
            future.result(timeout=ADMIN_TIMEOUT_S)


def _per_value(arg, count: int, what: str) -> list:
    if isinstance(arg, list):
        assert len(arg) == count, f"{what}: {len(arg)} items for {count} values"
        return arg
    return [arg] * count


def _encode(value) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return json.dumps(value, separators=(",", ":")).encode()


# A producer for the tests' single local broker. Tests compare offsets with the order they
# produced, which a retried batch breaks even with one request in flight (librdkafka had a second
# batch of the partition in flight when the first was refused): produce only to partitions that
# take writes (wait_writable), and produce() checks the order. Not idempotent: an idempotent
# producer reports a batch the broker answers with DUPLICATE_SEQUENCE_NUMBER as delivered,
# without an offset, and with Kafka 4.1 on a fresh topic such a batch was sometimes not in the
# log at all (a reader waited for messages that were never there). Without idempotence a message
# is either written, with its offset, or its delivery fails.
ORDERED_PRODUCER = {"linger.ms": 0, "acks": "all", "enable.idempotence": False,
                    "max.in.flight.requests.per.connection": 1}


@pytest.fixture(scope="session")
def _producer(kafka_bootstrap) -> Producer:
    producer = Producer({"bootstrap.servers": kafka_bootstrap, **ORDERED_PRODUCER})
    yield producer
    producer.flush(ADMIN_TIMEOUT_S)


@pytest.fixture
def produce(_producer):
    """produce(topic, values, key=None, partition=None, timestamp=None) -> [(partition, offset)].

    values: str, bytes (sent as is) or anything else (sent as compact JSON). key, partition and
    timestamp (ms since the epoch) are one value for all messages or a list with one per value.
    Returns once every message is acknowledged, in the order of values; raises if any failed or
    if a partition's offsets are not in the order of its values.
    """

    def send(topic: str, values: list, key=None, partition=None, timestamp=None):
        count = len(values)
        keys = _per_value(key, count, "key")
        partitions = _per_value(partition, count, "partition")
        timestamps = _per_value(timestamp, count, "timestamp")
        results: list = [None] * count

        def delivered(index):
            def callback(error, message):
                results[index] = error if error else (message.partition(), message.offset())

            return callback

        for i, value in enumerate(values):
            extra = {}
            if partitions[i] is not None:
                extra["partition"] = partitions[i]
            if timestamps[i] is not None:
                extra["timestamp"] = timestamps[i]
            _producer.produce(topic, _encode(value), key=_encode(keys[i]), on_delivery=delivered(i),
                              **extra)
        remaining = _producer.flush(ADMIN_TIMEOUT_S)
        assert remaining == 0, f"{remaining} messages to {topic} not delivered"
        failed = [r for r in results if not isinstance(r, tuple)]
        assert not failed, f"producing to {topic} failed: {failed}"
        unplaced = [i for i, (_, offset) in enumerate(results) if offset < 0]
        assert not unplaced, f"{topic}: values {unplaced} acknowledged without an offset"
        last: dict[int, int] = {}
        for i, (p, offset) in enumerate(results):
            assert offset > last.get(p, -1), \
                f"{topic} [{p}]: value {i} written at offset {offset}, before an earlier value " \
                f"(at {last[p]}): a batch was retried"
            last[p] = offset
        return results

    return send


# ---- the binary and child processes ----


@pytest.fixture(scope="session")
def build_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("KASOCKI_BUILD_DIR", REPO / "build"))


@pytest.fixture(scope="session")
def kasocki_bin(build_dir) -> pathlib.Path:
    binary = pathlib.Path(os.environ.get("KASOCKI_BIN", build_dir / "cli" / "kasocki"))
    if not binary.exists():
        pytest.fail(f"{binary} is not built (cmake --build {build_dir}, or set KASOCKI_BIN)")
    return binary


@dataclasses.dataclass
class Process:
    """A child process whose stdout and stderr go to files (a full pipe would block it)."""

    args: list[str]
    popen: subprocess.Popen
    port: int | None
    stdout_path: pathlib.Path
    stderr_path: pathlib.Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then SIGKILL if it has not exited within timeout; returns the exit status."""
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
        return self.popen.wait()


# What both `kasocki serve` and `kasocki testserver` say, with exit status 1, when the port they
# were given is taken: the system's message for EADDRINUSE.
PORT_TAKEN_MESSAGE = "Address already in use"


class StartError(RuntimeError):
    """A server exited before it listened. port_taken: it exited because another process had
    taken its port, the one failure start_on_free_port() retries."""

    def __init__(self, message: str, port_taken: bool):
        super().__init__(message)
        self.port_taken = port_taken


def lost_port_race(returncode: int | None, stderr: str) -> bool:
    """True when a server exited because its port was taken (by another process between
    free_port() choosing it and the server binding it); a crash (a signal), any other exit
    status or any other message is the server's own failure."""
    return returncode == 1 and PORT_TAKEN_MESSAGE in stderr


def start_on_free_port(start_once, attempts: int = 3):
    """start_once(port) with a port from free_port(), again with a new port only when the server
    lost the port race (StartError.port_taken); every other failure is raised at once."""
    for attempt in range(attempts):
        try:
            return start_once(free_port())
        except StartError as error:
            if not error.port_taken or attempt + 1 == attempts:
                raise


def listens(pid: int, port: int) -> bool:
    """True when process pid itself has a TCP socket listening on port (from /proc): a connect
    that succeeds proves less, since another process may have taken the port."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = pathlib.Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    if not inodes:
        return False
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                return True
        except OSError:
            continue
    return False


def wait_accepting(process: Process, host: str, timeout: float) -> None:
    """Polls until the process listens on its port (the awaited event of "it has started");
    raises StartError when the process exits first, TimeoutError when it never listens. `host`
    is the address it was told to listen on; the check holds for any."""
    deadline = time.monotonic() + timeout
    while True:
        if not process.alive():
            returncode, stderr = process.popen.returncode, process.stderr()
            raise StartError(f"{process.args} exited with {returncode} before listening on "
                             f"{process.port}:\n{stderr[-4000:]}",
                             lost_port_race(returncode, stderr))
        if listens(process.popen.pid, process.port):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{process.args} did not listen on {process.port} within "
                               f"{timeout}s:\n{process.stderr()[-4000:]}")
        time.sleep(0.02)  # /proc has no event to wait on


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test item, so fixtures know at teardown if it failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def start_process(request):
    """start_process(args, port=None, host="127.0.0.1", env=None, timeout=30) -> Process.

    Starts args (the first item is the program), then, when port is given, waits until
    host:port accepts connections. At teardown the process is stopped; when the test failed
    its stdout and stderr are printed (pytest shows them with the failure).
    """
    started: list[Process] = []
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="kasocki-e2e-"))

    def start(args, port: int | None = None, host: str = "127.0.0.1", env: dict | None = None,
              timeout: float = PROCESS_START_TIMEOUT_S) -> Process:
        args = [str(a) for a in args]
        name = f"{len(started)}-{pathlib.Path(args[0]).name}"
        stdout_path, stderr_path = workdir / f"{name}.out", workdir / f"{name}.err"
        with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
            popen = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                     env={**os.environ, **(env or {})})
        process = Process(args, popen, port, stdout_path, stderr_path)
        started.append(process)
        if port is not None:
            wait_accepting(process, host, timeout)
        return process

    yield start
    failed = any(getattr(request.node, f"rep_{when}", None) is not None
                 and getattr(request.node, f"rep_{when}").failed for when in ("setup", "call"))
    for process in started:
        status = process.stop()
        if failed:
            print(f"\n--- {' '.join(process.args)} (exit {status}) stdout ---\n{process.stdout()[-4000:]}"
                  f"\n--- stderr ---\n{process.stderr()[-8000:]}")
