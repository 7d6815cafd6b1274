"""The gateway's delivery (kasocki-api.md, "consume", "start and stop", "Delivery guarantee",
"Messages", "Errors") through python-socketio and a raw socket.io client against `kasocki serve`
and the real broker: the message shape, order without gaps or duplicates across consume, start
and stop, undecodable messages, events before `ready`, unknown events."""

from __future__ import annotations

import json
import random

import pytest

from conftest import create_topic, fixture_events, fixture_lines

pytest.register_assert_rewrite("gateway_fixture")
from gateway_fixture import assert_error_shape, positions  # noqa: E402

pytest_plugins = ["gateway_fixture"]

ONE = "kasocki_test_one"  # 10 messages, offsets 0-9, no keys
TWO = "kasocki_test_two"  # 5 messages
MULTI = "kasocki_test_multi"  # 3 partitions, keyed by `user`
INVALID = "kasocki_test_invalid"  # offset 1 is not JSON


def at(topic: str, offset: int = 0, partition: int = 0) -> dict:
    return {"topic": topic, "partition": partition, "offset": offset}


# ---- the message ----


def test_message_is_the_value_with_kafka_appended(gateway, connect):
    client = connect(gateway)
    client.ok("subscribe", [at(ONE)])
    message = client.ok("consume")
    expected = json.loads(fixture_lines(ONE)[0])
    assert list(message) == list(expected) + ["_kafka"]  # appended at the end, order kept
    assert {k: v for k, v in message.items() if k != "_kafka"} == expected
    meta = message["_kafka"]
    assert list(meta) == ["topic", "partition", "offset", "timestamp", "key"]
    assert meta["topic"] == ONE and meta["partition"] == 0 and meta["offset"] == 0
    assert isinstance(meta["timestamp"], int) and meta["timestamp"] > 1_600_000_000_000
    assert meta["key"] is None


def test_kafka_key_and_timestamp_are_the_stored_ones(gateway, connect, fresh_topic, produce):
    topic = fresh_topic()
    produce(topic, [{"n": 0}, {"n": 1}, {"n": 2}], key=["k0", None, "ключ"],
            timestamp=[1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_002])
    client = connect(gateway)
    client.ok("subscribe", [at(topic)])
    metas = [client.ok("consume")["_kafka"] for _ in range(3)]
    assert metas == [
        {"topic": topic, "partition": 0, "offset": 0, "timestamp": 1_700_000_000_000, "key": "k0"},
        {"topic": topic, "partition": 0, "offset": 1, "timestamp": 1_700_000_000_001, "key": None},
        {"topic": topic, "partition": 0, "offset": 2, "timestamp": 1_700_000_000_002,
         "key": "ключ"},
    ]


def test_keys_of_the_multi_fixture(gateway, connect):
    client = connect(gateway)
    client.ok("subscribe", [at(MULTI, 0, p) for p in range(3)])
    messages = [client.ok("consume") for _ in range(12)]
    assert all(m["_kafka"]["key"] == m["user"] for m in messages)
    assert sorted(m["seq"] for m in messages) == list(range(12))


def test_an_existing_kafka_field_is_replaced(gateway, raw_connect, fresh_topic, produce):
    topic = fresh_topic()
    produce(topic, ['{"a":1,"_kafka":{"topic":"forged","offset":-1},"b":[2,{"_kafka":3}]}'])
    client = raw_connect(gateway)
    client.send("40")
    client.recv_until(lambda p: p.startswith('2["ready"'))
    client.send('420["subscribe",[{"topic":"%s","partition":0,"offset":0}]]' % topic)
    client.recv_until(lambda p: p.startswith("30"))
    client.send('421["consume"]')
    text = client.recv_until(lambda p: p.startswith("31"))[-1]
    # One top-level _kafka only (a duplicate key would hide in a parsed dict); nested ones stay.
    assert text.count('"_kafka":{') == 1, text
    error, message = json.loads(text[2:])
    assert error is None
    assert message["a"] == 1 and message["b"] == [2, {"_kafka": 3}]
    assert message["_kafka"]["topic"] == topic and message["_kafka"]["offset"] == 0
    assert list(message)[-1] == "_kafka"


def test_undecodable_values_are_skipped_with_an_err_event(gateway, connect):
    client = connect(gateway)
    client.ok("subscribe", [at(INVALID)])
    first, second = client.ok("consume"), client.ok("consume")
    assert (first["id"], second["id"]) == (1, 3)
    assert second["_kafka"]["offset"] == 2
    [error] = client.errors()
    assert error["name"] == "DeserializationError" and error["origin"] == "Kasocki"
    assert (error["topic"], error["partition"], error["offset"]) == (INVALID, 0, 1)
    assert list(error)[:4] == ["name", "message", "origin", "socketEvent"]


def test_every_kind_of_non_object_value_is_skipped(gateway, connect, fresh_topic, produce):
    topic = fresh_topic()
    bad = [b"[1,2]", b'"text"', b"42", b"null", None, b"", b"\xff\xfe{}", b'{"n":1} x', b'{"s":"\xc3"}',
           b'{"a":1', b"{'a':1}"]
    produce(topic, [b'{"n":0}'] + bad + [b'{"n":2}'])
    client = connect(gateway)
    client.ok("subscribe", [at(topic)])
    assert client.ok("consume")["n"] == 0
    last = client.ok("consume")
    assert last["n"] == 2 and last["_kafka"]["offset"] == len(bad) + 1
    errors = client.errors()
    assert [e["name"] for e in errors] == ["DeserializationError"] * len(bad)
    assert [e["offset"] for e in errors] == list(range(1, len(bad) + 1))


# ---- consume ----


def test_consume_before_subscribe_fails_in_the_ack_and_as_err(gateway, connect):
    client = connect(gateway)
    error = client.fails("consume", name="NotSubscribedError")
    assert_error_shape(error, "consume")
    client.wait_for(lambda _: client.errors(), "the err event")
    assert client.errors() == [error]


def test_consume_without_ack_reports_only_as_err(gateway, connect):
    client = connect(gateway)
    client.emit("consume")
    client.wait_for(lambda _: client.errors(), "the err event")
    [error] = client.errors()
    assert error["name"] == "NotSubscribedError" and error["socketEvent"] == "consume"


def test_consume_several_in_order(gateway, connect):
    client = connect(gateway)
    client.ok("subscribe", [at(ONE)])
    messages = [client.ok("consume", None) for _ in range(10)]
    assert positions(messages) == [(ONE, 0, o) for o in range(10)]
    assert [{k: v for k, v in m.items() if k != "_kafka"} for m in messages] == fixture_events(ONE)


def test_outstanding_consumes_each_get_a_different_message_in_order(gateway, connect):
    client = connect(gateway)
    client.ok("subscribe", [at(ONE), at(TWO)])
    pending = [client.call_async("consume") for _ in range(15)]
    got = positions([p.message() for p in pending])
    assert sorted(got) == sorted([(ONE, 0, o) for o in range(10)] + [(TWO, 0, o) for o in range(5)])
    for topic in (ONE, TWO):
        offsets = [o for t, _, o in got if t == topic]
        assert offsets == sorted(offsets), got  # request order is offset order per partition


def test_consume_waits_for_a_message_produced_later(gateway, connect, fresh_topic, produce):
    topic = fresh_topic()
    client = connect(gateway)
    assert client.ok("subscribe", topic) == [at(topic, 0)]
    pending = client.call_async("consume")
    produce(topic, [{"late": True}])
    assert pending.message()["late"] is True


# ---- start and stop ----


@pytest.mark.parametrize("transports", [("websocket",), ("polling",), ("polling", "websocket")],
                         ids=["websocket", "polling", "upgrade"])
def test_start_pushes_every_message(gateway, connect, transports):
    client = connect(gateway, transports)
    client.ok("subscribe", [at(ONE)])
    assert client.call("start") == [None, None]
    messages = client.messages(10)
    assert positions(messages) == [(ONE, 0, o) for o in range(10)]


def test_start_twice_is_refused(gateway, connect):
    client = connect(gateway)
    client.ok("subscribe", ONE)
    assert client.ok("start") is None
    error = client.fails("start", name="AlreadyStartedError")
    assert_error_shape(error, "start")


def test_start_before_subscribe_is_refused(gateway, connect):
    client = connect(gateway)
    client.fails("start", name="NotSubscribedError")


def test_stop_before_start_acks_null(gateway, connect):
    client = connect(gateway)
    assert client.call("stop") == [None, None]
    client.ok("subscribe", ONE)
    assert client.call("stop") == [None, None]


def test_stop_then_start_loses_and_repeats_nothing(gateway, connect, fresh_topic, produce):
    topic = fresh_topic()
    count = 3000
    produce(topic, [{"n": i, "pad": "x" * 200} for i in range(count)])
    client = connect(gateway)
    client.ok("subscribe", [at(topic)])
    client.ok("start")
    client.wait_event("message")
    stop = client.call_async("stop")
    assert stop.result() == [None, None]
    before_stop = stop.events_before
    # Between stop's ack and the next start, no message event: a consume gets the next one.
    # (Two more messages, in case every one was pushed before the stop.)
    produce(topic, [{"n": count + i} for i in range(2)])
    count += 2
    middle = [client.ok("consume") for _ in range(2)]
    assert len(client.named("message")) == len([e for e, _ in client.events[:before_stop]
                                                 if e == "message"])
    client.ok("start")
    pushed = client.named("message")
    client.wait_event("message", count - 2)
    pushed = [args[0] for args in client.named("message")]
    offsets = sorted([m["_kafka"]["offset"] for m in pushed] + [m["_kafka"]["offset"] for m in middle])
    assert offsets == list(range(count))  # nothing lost, nothing twice
    # The consumes got the messages right after the last one pushed before the stop.
    last_before = max(args[0]["_kafka"]["offset"] for e, args in client.events[:before_stop]
                      if e == "message")
    assert [m["_kafka"]["offset"] for m in middle] == [last_before + 1, last_before + 2]


def test_a_busy_polling_server_delivers_the_same(kasocki_server, connect, fresh_topic, produce):
    # --busy-poll-us changes only how the event loop waits: consume, start and stop as usual,
    # and the server still stops on its signal (the fixture checks it did not die).
    server = kasocki_server("--busy-poll-us", "200")
    topic = fresh_topic()
    produce(topic, [{"n": i} for i in range(300)])
    client = connect(server)
    client.ok("subscribe", [{"topic": topic, "partition": 0, "offset": 0}])
    pulled = [client.ok("consume")["n"] for _ in range(100)]
    client.ok("start")
    pushed = [m["n"] for m in client.messages(200)]
    client.ok("stop")
    assert pulled + pushed == list(range(300))


def test_consume_while_started_goes_to_the_ack_only(gateway, connect, fresh_topic, produce):
    topic = fresh_topic()
    client = connect(gateway)
    client.ok("subscribe", topic)
    client.ok("start")
    pending = client.call_async("consume")
    produce(topic, [{"n": 0}])
    assert pending.message()["n"] == 0
    produce(topic, [{"n": 1}])
    [message] = client.messages(1)
    assert message["n"] == 1
    assert [args[0]["n"] for args in client.named("message")] == [1]  # 0 never came as an event


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_interleaving_of_consume_start_and_stop(gateway, connect, fresh_topic, produce, seed):
    rng = random.Random(seed)
    topic = fresh_topic(3)
    per_partition = 400
    for p in range(3):
        produce(topic, [{"p": p, "i": i} for i in range(per_partition)], partition=p)
    client = connect(gateway)
    client.ok("subscribe", [{"topic": topic, "partition": p, "offset": 0} for p in range(3)])
    acked, started = [], False
    for _ in range(60):
        action = rng.choice(["consume", "consume", "start", "stop"])
        if action == "consume":  # not awaited: the messages may all have been pushed already
            acked += [client.call_async("consume") for _ in range(rng.randint(1, 5))]
        elif action == "start" and not started:
            client.ok("start")
            started = True
        elif action == "stop":
            stop = client.call_async("stop")
            stop.result()
            if started:
                pushed_before = len(client.named("message"))
                assert len([e for e, _ in client.events[:stop.events_before] if e == "message"]) \
                    == pushed_before, "a message event came after stop's ack"
            started = False
    # The server handles one client's events in order: once this stop is acked, every consume
    # above is registered there (a consume still in the client's send queue while the last
    # messages were pushed would rightly wait for a message that never comes). New messages,
    # more than there are consumes, then answer the outstanding ones first, and start pushes
    # the rest.
    client.ok("stop")
    extra = len(acked) + 1
    produce(topic, [{"p": 0, "i": per_partition + i} for i in range(extra)], partition=0)
    client.ok("start")
    total = 3 * per_partition + extra
    for p in acked:
        p.result(timeout=60)
    client.wait_event("message", total - len(acked), timeout=60)
    # Acks and events share one ordered stream: an ack came after `events_before` events.
    arrival = [(p.events_before - 0.5, p.message()) for p in acked]
    arrival += [(i, args[0]) for i, (e, args) in enumerate(client.events) if e == "message"]
    delivered = [m for _, m in sorted(arrival, key=lambda x: x[0])]
    assert len(delivered) == total
    for p in range(3):
        # Every message once, in offset order, whichever way it came.
        count = per_partition + (extra if p == 0 else 0)
        assert [m["i"] for m in delivered if m["p"] == p] == list(range(count))
        assert [m["_kafka"]["offset"] for m in delivered if m["p"] == p] == list(range(count))


# ---- many messages ----

MANY = 10_000


@pytest.fixture(scope="module")
def many_topic(kafka_admin, _producer):
    """A topic with MANY messages {"n": i}, shared by the tests that only read it."""
    name = create_topic(kafka_admin)
    for i in range(MANY):
        _producer.produce(name, json.dumps({"n": i}).encode())
        if i % 1000 == 999:
            _producer.poll(0)
    assert _producer.flush(30) == 0
    yield name
    for future in kafka_admin.delete_topics([name], operation_timeout=30).values():
        future.result(timeout=30)


def test_many_messages_through_start(gateway, connect, many_topic):
    client = connect(gateway)
    client.ok("subscribe", [at(many_topic)])
    client.ok("start")
    messages = client.messages(MANY, timeout=120)
    assert [m["n"] for m in messages] == list(range(MANY))
    assert [m["_kafka"]["offset"] for m in messages] == list(range(MANY))


def test_many_messages_through_consume(gateway, connect, many_topic):
    client = connect(gateway)
    client.ok("subscribe", [at(many_topic)])
    window, got = 64, []
    pending = [client.call_async("consume") for _ in range(window)]
    while pending:
        got.append(pending.pop(0).message(timeout=60))
        if len(got) + len(pending) < MANY:
            pending.append(client.call_async("consume"))
    assert [m["n"] for m in got] == list(range(MANY))


# ---- events before ready, unknown events ----


def test_events_sent_before_ready_are_handled_after_it_in_order(gateway, raw_connect):
    client = raw_connect(gateway)
    # Everything in one go, without waiting for the CONNECT answer or `ready`.
    client.send("40")
    client.send('420["consume"]')
    client.send('421["filter",{"type":"new"}]')
    client.send('422["subscribe",[{"topic":"%s","partition":0,"offset":0}]]' % ONE)
    packets = client.recv_until(lambda p: p.startswith("32"))
    assert packets[0].startswith("0{")
    assert packets[1].startswith('2["ready",'), packets
    acks = [p for p in packets if p.startswith("3")]
    assert [p[:2] for p in acks] == ["30", "31", "32"], packets
    assert json.loads(acks[0][2:])[0]["name"] == "NotSubscribedError"
    assert json.loads(acks[1][2:]) == [None, {"type": "new"}]
    assert json.loads(acks[2][2:]) == [None, [at(ONE)]]
    client.send('423["consume"]')
    reply = json.loads(client.recv_until(lambda p: p.startswith("33"))[-1][2:])
    assert reply[1]["type"] == "new" and reply[1]["_kafka"]["offset"] == 2  # the filter applied


def test_events_sent_while_subscribing_wait_for_its_answer(gateway, raw_connect):
    client = raw_connect(gateway)
    client.send("40")
    client.recv_until(lambda p: p.startswith('2["ready",'))
    # subscribe, then consume and a second subscribe at once: they are handled after the first
    # subscribe is answered, in order.
    client.send('420["subscribe",[{"topic":"%s","partition":0,"offset":0}]]' % ONE)
    client.send('421["consume"]')
    client.send('422["subscribe","%s"]' % ONE)
    acks = {}
    while len(acks) < 3:
        packet = client.recv()
        if packet.startswith("3"):
            acks[packet[:2]] = json.loads(packet[2:])
            # The consume may only be answered after the subscribe it waited for.
            assert "30" in acks, packet
    assert acks["30"] == [None, [at(ONE)]]
    assert acks["31"][0] is None and acks["31"][1]["_kafka"]["offset"] == 0
    assert acks["32"][0]["name"] == "AlreadySubscribedError"


def test_unknown_event_gets_an_error(gateway, connect):
    client = connect(gateway)
    error = client.fails("subscribe_all", ONE)
    assert error["name"] == "InvalidRequestError" and "subscribe_all" in error["message"]
    client.emit("no_such_event")
    client.wait_for(lambda _: len(client.errors()) == 2, "two err events")
    assert client.errors()[1]["socketEvent"] == "no_such_event"
    # The session still works.
    assert client.ok("subscribe", ONE) == [at(ONE, 10)]
