"""A position deleted by retention while a client reads history: the history fetch meets
OFFSET_OUT_OF_RANGE, the client gets `OffsetResetError` (an `err` event with `offset` and
`resetTo`) and continues where `auto.offset.reset` says: the low watermark with `earliest`, the end
with `latest`, in order, nothing repeated. Retention is played by DeleteRecords. Real broker."""

from __future__ import annotations

import pytest
from confluent_kafka import TopicPartition

pytest_plugins = ["gateway_fixture"]


@pytest.mark.parametrize("policy", ["earliest", "latest"])
def test_a_deleted_position_resets_the_client_per_auto_offset_reset(
        kasocki_server, connect, fresh_topic, produce, kafka_admin, policy):
    # Nothing cached before the end: the client's offsets must come from a history fetch.
    server = kasocki_server("--tail-backfill", "0", "--history-cache-mib", "0",
                            "-X", f"auto.offset.reset={policy}")
    topic = fresh_topic()
    produce(topic, [{"n": i} for i in range(100)], partition=0)
    client = connect(server)
    client.ok("subscribe", [{"topic": topic, "partition": 0, "offset": 10}])
    # Retention deletes up to offset 50 after the subscribe, before the client reads.
    futures = kafka_admin.delete_records([TopicPartition(topic, 0, 50)])
    for f in futures.values():
        f.result(timeout=30)
    client.ok("start")
    error = client.wait_for(lambda events: [a[0] for e, a in events if e == "err"], "an err")[0]
    assert error["name"] == "OffsetResetError", error
    assert (error["topic"], error["partition"], error["offset"]) == (topic, 0, 10), error
    if policy == "earliest":
        assert error["resetTo"] == 50, error
        got = client.messages(50)
        assert [m["_kafka"]["offset"] for m in got] == list(range(50, 100))
    else:
        assert error["resetTo"] == 100, error
        produce(topic, [{"n": 100 + i} for i in range(5)], partition=0)
        got = client.messages(5)
        assert [m["_kafka"]["offset"] for m in got] == list(range(100, 105))
    assert [m["n"] for m in got] == [m["_kafka"]["offset"] for m in got]
    assert len(client.errors()) == 1
