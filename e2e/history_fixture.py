"""Fixtures and helpers of the history e2e suites (e2e/test_history_*.py): what every one of them
checks is the delivery guarantee of kasocki-api.md — per partition, in offset order, nothing
skipped, nothing repeated, the right bodies — against the partition's log as a plain Kafka
consumer reads it, across every way a client's position can move between old and new data.
Does I/O: Kafka admin, produce and fetch requests, child processes, socket.io connections.

Register it in a test module with `pytest_plugins = ["gateway_fixture", "history_fixture"]`.

Fixtures:
    serve_options     the long options `kasocki serve --help` lists (a set of "--name")
    small_history     server arguments that make every stored range of old messages tiny, from
                      those the binary has: `--history-cache-mib 1` and short history fetches
                      (the shared history store), `--tail-window-kib 16 --tail-backfill 0` (the
                      shared tail's window), so that clients switch between history, window and
                      live end often and ranges are evicted while clients read them
    kafka_log         kafka_log(topic) -> {partition: [Record]}: the whole log of a topic as a
                      read_committed Kafka consumer sees it (what a client must get, filtered)
    kafka_watermarks  kafka_watermarks(topic, partition) -> (low, high)
    background_producer  background_producer(topic, values_of_batch, batches) -> Writer: a
                      thread producing while the test reads; .join() waits for it
Helpers to import: Record, read_log(), consume_async(), pull(), ConsumeLoop, delivered(),
assert_delivered(), by_partition(), expected_after(), wait_delivered(), store_state_on_failure().
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import json
import re
import subprocess
import threading
import time

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from gateway_fixture import DEADLINE_S, GatewayClient, Pending, metric_samples

# A window of 16 KiB holds a few dozen of the messages the suites produce (a few hundred bytes
# each); a store of 1 MiB about a thousand. Both far below what the tests produce. The history
# fetches are cut short too (fewer fetchers than clients, short jobs, little read-ahead, little
# sharing), so that clients wait for each other's fetches and ranges are fetched in pieces.
SMALL_HISTORY_ARGS = {
    "--history-cache-mib": ["--history-cache-mib", "1"],
    "--history-fetchers": ["--history-fetchers", "2"],
    "--history-job-offsets": ["--history-job-offsets", "500"],
    "--history-readahead": ["--history-readahead", "100"],
    "--history-share-distance": ["--history-share-distance", "200"],
    "--tail-window-kib": ["--tail-window-kib", "16"],
    "--tail-backfill": ["--tail-backfill", "0"],
}


@dataclasses.dataclass(frozen=True)
class Record:
    """One message of a partition's log as Kafka holds it."""

    offset: int
    key: str | None
    timestamp: int
    value: bytes

    def body(self) -> dict:
        return json.loads(self.value)


@pytest.fixture(scope="session")
def serve_options(kasocki_bin) -> set[str]:
    done = subprocess.run([str(kasocki_bin), "serve", "--help"], capture_output=True, text=True,
                          timeout=DEADLINE_S)
    return set(re.findall(r"(--[a-z][a-z0-9-]*)", done.stdout + done.stderr))


@pytest.fixture(scope="session")
def small_history(serve_options) -> list[str]:
    args = []
    for option, given in SMALL_HISTORY_ARGS.items():
        if option in serve_options:
            args += given
    assert args, "kasocki serve has neither --history-cache-mib nor --tail-window-kib"
    return args


def read_log(bootstrap: str, topic: str, partitions: int) -> dict[int, list[Record]]:
    """Every message of every partition, up to the end, read_committed (Kafka's default, and
    librdkafka's: aborted transactions are invisible, control records take offsets)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "kasocki-e2e-log-reader",
                         "enable.auto.commit": False, "enable.partition.eof": True,
                         "isolation.level": "read_committed"})
    try:
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        # An empty partition still reports its end once.
        log: dict[int, list[Record]] = {p: [] for p in range(partitions)}
        at_end: set[int] = set()
        while len(at_end) < partitions:
            message = consumer.poll(DEADLINE_S)
            assert message is not None, f"no end of {topic} within {DEADLINE_S}s"
            if message.error():
                assert message.error().code() == KafkaError._PARTITION_EOF, message.error()
                at_end.add(message.partition())
                continue
            key = message.key()
            log[message.partition()].append(Record(
                message.offset(), key.decode() if key is not None else None,
                message.timestamp()[1], message.value()))
        return log
    finally:
        consumer.close()


@pytest.fixture
def kafka_log(kafka_bootstrap, kafka_admin):
    def read(topic: str) -> dict[int, list[Record]]:
        meta = kafka_admin.list_topics(topic, timeout=DEADLINE_S).topics[topic]
        return read_log(kafka_bootstrap, topic, len(meta.partitions))

    return read


@pytest.fixture
def kafka_watermarks(kafka_bootstrap):
    """kafka_watermarks(topic, partition) -> (low, high) as the broker says now."""
    consumer = Consumer({"bootstrap.servers": kafka_bootstrap,
                         "group.id": "kasocki-e2e-log-reader"})

    def query(topic: str, partition: int) -> tuple[int, int]:
        return consumer.get_watermark_offsets(TopicPartition(topic, partition),
                                              timeout=DEADLINE_S, cached=False)

    yield query
    consumer.close()


class Writer:
    """Produces `batches` batches of values to a topic from a thread, each batch acknowledged
    before the next is sent (the log grows while clients read)."""

    def __init__(self, produce, topic: str, make_batch, batches: int, **produce_args):
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       args=(produce, topic, make_batch, batches, produce_args))
        self.thread.start()

    def _run(self, produce, topic, make_batch, batches, produce_args):
        try:
            for b in range(batches):
                values = make_batch(b)
                args = {k: (v(b) if callable(v) else v) for k, v in produce_args.items()}
                produce(topic, values, **args)
        except BaseException as error:  # noqa: BLE001 - reported by join()
            self.error = error

    def join(self) -> None:
        self.thread.join(DEADLINE_S * 4)
        assert not self.thread.is_alive(), "the producer did not finish"
        if self.error is not None:
            raise self.error


@pytest.fixture
def background_producer(produce):
    writers: list[Writer] = []

    def start(topic: str, make_batch, batches: int, **produce_args) -> Writer:
        writers.append(Writer(produce, topic, make_batch, batches, **produce_args))
        return writers[-1]

    yield start
    for writer in writers:
        writer.thread.join(DEADLINE_S * 4)


# ---- what a client got ----


def consume_async(client: GatewayClient) -> Pending:
    """A consume whose answer is also recorded in the client's event list, as an event
    "ack:consume", where it came on the wire relative to `message` events."""
    pending = Pending("consume")

    def on_ack(*reply):
        with client.cond:
            client.events.append(("ack:consume", list(reply)))
            client.cond.notify_all()
        pending.set(*reply)

    client.sio.emit("consume", (), callback=on_ack)
    return pending


def pull(client: GatewayClient, count: int, depth: int = 200) -> None:
    """`count` consumes, at most `depth` outstanding (the server allows 1,000), each answered
    with a message."""
    outstanding: list[Pending] = []
    for _ in range(count):
        outstanding.append(consume_async(client))
        if len(outstanding) >= depth:
            reply = outstanding.pop(0).result()
            assert reply[0] is None, reply
    for pending in outstanding:
        reply = pending.result()
        assert reply[0] is None, reply


class ConsumeLoop:
    """Pulls with up to `depth` consumes outstanding until `total` answers came; finish() sets
    the final total once the producer is done."""

    def __init__(self, client: GatewayClient, total: int, depth: int = 100):
        self.client, self.total, self.depth = client, total, depth
        self.final = False
        self.cond = threading.Condition()
        self.failure: str | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def finish(self, total: int) -> None:
        with self.cond:
            self.total, self.final = total, True
            self.cond.notify_all()

    def join(self) -> None:
        self.thread.join(DEADLINE_S)
        assert not self.thread.is_alive(), "consumes still outstanding"
        assert self.failure is None, self.failure

    def _run(self) -> None:
        outstanding: list[Pending] = []
        sent = 0
        while True:
            with self.cond:
                while sent >= self.total and not outstanding:
                    if self.final:
                        return
                    self.cond.wait()
                total = self.total
            while sent < total and len(outstanding) < self.depth:
                outstanding.append(consume_async(self.client))
                sent += 1
            if outstanding:
                reply = outstanding.pop(0).result(DEADLINE_S)
                if reply[0] is not None:
                    self.failure = f"consume failed: {reply}"
                    return


def delivered(client: GatewayClient) -> list[dict]:
    """Every message the client got so far, in arrival order: `message` events and the results
    of consume_async() answers."""
    with client.cond:
        out = []
        for event, args in client.events:
            if event == "message":
                out.append(args[0])
            elif event == "ack:consume" and args and args[0] is None:
                out.append(args[1])
        return out


def by_partition(messages: list[dict]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    for m in messages:
        out.setdefault(m["_kafka"]["partition"], []).append(m)
    return out


def expected_after(log: dict[int, list[Record]], starts: dict[int, int],
                   keep=lambda body: True) -> dict[int, list[Record]]:
    """The records a client subscribed at `starts` (partition -> first offset) must get: every
    record at or after its start that `keep` accepts, in log order."""
    return {p: [r for r in log[p] if r.offset >= start and keep(r.body())]
            for p, start in starts.items()}


def wait_delivered(client: GatewayClient, count: int, what: str = "",
                   timeout: float = DEADLINE_S) -> list[dict]:
    """Waits until the client has `count` messages (more would be a duplicate: the comparison
    that follows catches it)."""
    client.wait_for(lambda _: len(delivered(client)) >= count,
                    f"{count} messages {what}".strip(), timeout)
    return delivered(client)


@contextlib.contextmanager
def store_state_on_failure(server):
    """A failed wait inside says what the server's shared reads were doing (the history and
    tail metrics, read twice a second apart: did the fetchers move?)."""
    try:
        yield
    except AssertionError as failure:
        def reads() -> dict[str, float]:
            return {k: v for k, v in metric_samples(server).items()
                    if k.startswith(("kasocki_history", "kasocki_tail"))}
        first = reads()
        time.sleep(1)  # the figures a second later, to tell a stall from slow progress
        second = reads()
        moved = {k: (first.get(k), v) for k, v in second.items() if first.get(k) != v}
        raise AssertionError(f"{failure}\nshared reads: {first}\nchanged in 1 s: {moved}") \
            from failure


def assert_delivered(messages: list[dict], topic: str, expected: dict[int, list[Record]],
                     who: str = "") -> None:
    """The messages are, partition by partition, exactly the expected records: same offsets in
    the same order (nothing skipped, repeated or reordered), each body the record's JSON object
    with `_kafka` added at its end."""
    got = by_partition(messages)
    extra = sorted(set(got) - set(expected))
    assert not extra, f"{who}: messages of partitions {extra} it did not subscribe to"
    for partition, records in expected.items():
        mine = got.get(partition, [])
        offsets = [m["_kafka"]["offset"] for m in mine]
        wanted = [r.offset for r in records]
        if offsets != wanted:
            raise AssertionError(
                f"{who} partition {partition}: {describe_difference(offsets, wanted)}")
        for m, r in zip(mine, records):
            meta = m["_kafka"]
            assert list(m)[-1] == "_kafka", f"{who}: _kafka is not the last field: {m}"
            assert meta == {"topic": topic, "partition": partition, "offset": r.offset,
                            "timestamp": r.timestamp, "key": r.key}, (who, meta, r)
            body = {k: v for k, v in m.items() if k != "_kafka"}
            assert body == {k: v for k, v in r.body().items() if k != "_kafka"}, (who, m, r)


def describe_difference(got: list[int], wanted: list[int]) -> str:
    """Why two offset sequences differ, short enough for a failure message."""
    repeated = sorted(o for o, n in collections.Counter(got).items() if n > 1)[:10]
    missing = sorted(set(wanted) - set(got))
    unexpected = sorted(set(got) - set(wanted))
    backwards = [(a, b) for a, b in zip(got, got[1:]) if b <= a][:10]
    return (f"{len(got)} messages for {len(wanted)} expected; missing {len(missing)} "
            f"{missing[:10]}, unexpected {len(unexpected)} {unexpected[:10]}, repeated "
            f"{repeated}, out of order {backwards}; got {got[:5]}..{got[-5:]}, "
            f"expected {wanted[:5]}..{wanted[-5:]}")
