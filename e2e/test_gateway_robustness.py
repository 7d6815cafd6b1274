"""The gateway under bad input and churn, against `kasocki serve` and the real broker: wrong
types, huge arrays, absurd offsets, unknown events, a flood of consume calls, disconnects that must
release Kafka resources, and an unreachable Kafka. Each test checks that the server survives and
that another client is unaffected."""

from __future__ import annotations

import time

import pytest

from conftest import free_port

pytest.register_assert_rewrite("gateway_fixture")
from gateway_fixture import DEADLINE_S, assert_error_shape  # noqa: E402

pytest_plugins = ["gateway_fixture"]

ONE = "kasocki_test_one"  # 10 messages


def at(topic: str, offset: int = 0, partition: int = 0) -> dict:
    return {"topic": topic, "partition": partition, "offset": offset}


@pytest.fixture
def bystander(gateway, connect):
    """A client subscribed before the abuse; checked to still be served after it."""
    client = connect(gateway)
    client.ok("subscribe", [at(ONE)])
    assert client.ok("consume")["_kafka"]["offset"] == 0
    yield client
    assert client.ok("consume")["_kafka"]["offset"] == 1
    assert gateway.healthz().status_code == 200


def test_huge_subscribe_array_is_refused(gateway, connect, bystander):
    client = connect(gateway)
    spec = [{"topic": ONE, "partition": i, "offset": 0} for i in range(10_000)]
    error = client.fails("subscribe", spec, name="InvalidAssignmentError")
    assert len(error["message"]) < 1000  # names the problem without echoing the whole spec
    same_topic = [ONE] * 10_000
    client.fails("subscribe", same_topic, name="InvalidAssignmentError")


@pytest.mark.parametrize("offset", [2**63 - 1, -(2**63), -1, 10**15])
def test_absurd_offsets_reset(gateway, connect, bystander, offset):
    client = connect(gateway)
    assert client.ok("subscribe", [at(ONE, offset)]) == [at(ONE, 10) | {"reset": True}]


@pytest.mark.parametrize("spec", [
    [{"topic": ONE, "partition": 2**31, "offset": 0}],
    [{"topic": ONE, "partition": 0, "offset": 2**64}],
    [{"topic": ONE, "partition": 0, "offset": 1e300}],
    [{"topic": ONE, "partition": 0, "timestamp": 2**63}],
    [{"topic": "x" * 100_000}],
    [{"topic": ONE, "partition": 0, "offset": 0}] * 2,
], ids=["partition-over-int32", "offset-over-uint64", "offset-1e300", "timestamp-over-int64",
        "100k-topic-name", "duplicate"])
def test_out_of_range_numbers_and_names_are_refused(gateway, connect, bystander, spec):
    client = connect(gateway)
    error = client.fails("subscribe", spec)
    assert error["name"] in ("InvalidAssignmentError", "TopicNotAvailableError"), error
    assert len(error["message"]) < 1000


@pytest.mark.parametrize("event, args", [
    ("consume", [{"unexpected": True}]),
    ("start", [1, 2, 3]),
    ("stop", ["x"]),
    ("filter", [{"type": "edit"}, "extra"]),
])
def test_ignored_arguments_are_ignored(gateway, connect, bystander, event, args):
    client = connect(gateway)
    reply = client.call(event, *args)
    if event in ("consume", "start"):
        assert reply[0]["name"] == "NotSubscribedError"
    else:
        assert reply[0] is None


@pytest.mark.parametrize("event", ["Subscribe", "message", "err", "ready", "x" * 1000, "é"])
def test_unknown_events_get_a_named_error(gateway, connect, bystander, event):
    client = connect(gateway)
    error = client.fails(event, {"a": 1}, name="InvalidRequestError")
    assert_error_shape(error, event)


def test_a_flood_of_consume_calls(gateway, connect, bystander, fresh_topic, produce):
    topic = fresh_topic()
    client = connect(gateway)
    client.ok("subscribe", topic)
    flood = [client.call_async("consume") for _ in range(10_000)]
    # The server handles events in order: once a later event is acked, every consume it refused
    # has been answered, and the others wait for messages.
    assert client.call("stop") == [None, None]
    waiting = [p for p in flood if not p.done.is_set()]
    refused = [p for p in flood if p.done.is_set()]
    assert waiting, "no consume is waiting"
    assert refused, "10,000 outstanding consumes were all accepted"
    for p in refused:
        assert p.args[1] is None and p.args[0]["name"] == "InvalidRequestError", p.args
    produce(topic, [{"n": i} for i in range(len(waiting))])
    assert [p.message(timeout=60)["n"] for p in waiting] == list(range(len(waiting)))


def test_bad_frames_close_only_that_connection(gateway, raw_connect, bystander):
    client = raw_connect(gateway)
    client.send("40")
    client.recv_until(lambda p: p.startswith('2["ready"'))
    client.send('42["subscribe",')  # not JSON: the protocol says close
    with pytest.raises(Exception):
        for _ in range(10):
            client.recv()


# A live reader that closes as soon as nobody reads it (by default it lingers for reconnecting
# clients). Clients have no Kafka consumer of their own any more (the history fetchers are one
# bounded pool, kept for the next fetch): the live readers are what comes and goes with them.
@pytest.mark.parametrize("options", [("--tail-linger-ms", "0")])
def test_disconnects_release_kafka_resources(kasocki_server, connect, options):
    server = kasocki_server(*options)
    initial = server.threads()
    # A first client and its consumer come and go: the count is back where it started (its
    # consumer closes in the background).
    warm = connect(server)
    warm.ok("subscribe", [at(ONE)])
    warm.ok("consume")
    warm.close()
    baseline = wait_threads(server, lambda n: n <= initial, f"back to {initial} threads")
    clients = []
    for _ in range(5):
        c = connect(server)
        c.ok("subscribe", [at(ONE)])
        c.ok("consume")
        clients.append(c)
    busy = server.threads()
    assert busy > baseline, "the consumers did not add threads: the check below would prove nothing"
    for c in clients:
        c.close()
    for _ in range(30):
        c = connect(server)
        c.ok("subscribe", ONE)
        c.close()
    wait_threads(server, lambda n: n <= baseline, f"back to {baseline} threads", timeout=60)


def wait_threads(server, predicate, what: str, timeout: float = DEADLINE_S) -> int:
    deadline = time.monotonic() + timeout
    while True:
        count = server.threads()
        if predicate(count):
            return count
        if time.monotonic() > deadline:
            raise AssertionError(f"the server has {count} threads, waited for {what}")
        time.sleep(0.1)


def test_unreachable_kafka_is_reported_and_disconnects(kasocki_server, connect):
    server = kasocki_server("-X", "socket.timeout.ms=2000", brokers=f"127.0.0.1:{free_port()}",
                            wait_healthy_too=False)
    assert server.healthz().status_code == 503
    client = connect(server, wait_ready=False)
    client.wait_for(lambda _: client.errors(), "the err event", timeout=60)
    error = client.errors()[0]
    assert error["name"] == "KafkaUnavailableError" and error["origin"] == "Kasocki"
    assert client.disconnected.wait(DEADLINE_S)
    assert client.named("ready") == []
