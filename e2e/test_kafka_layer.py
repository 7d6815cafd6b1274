"""The Kafka layer (libkasocki/kafka) against a real broker, through tests/tools/kafka_read:
metadata, subscription resolution (offsets, timestamps, the end, resets) and reading messages back
with their keys, offsets and per-partition order. Does I/O: Kafka produce/admin requests and child
processes.

The tool is build_dir/tests/kafka_read, or $KASOCKI_KAFKA_READ.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import threading

import pytest

TIMEOUT_S = 60


@pytest.fixture(scope="session")
def kafka_read(build_dir) -> pathlib.Path:
    tool = pathlib.Path(os.environ.get("KASOCKI_KAFKA_READ", build_dir / "tests" / "kafka_read"))
    if not tool.exists():
        pytest.fail(f"{tool} is not built (ninja -C {build_dir} kafka_read)")
    return tool


@pytest.fixture
def read(kafka_read, kafka_bootstrap):
    """read(topic, *args) -> (returncode, metadata, assignment, messages, stderr)."""

    def run(topic: str, *args: str):
        proc = subprocess.run(
            [str(kafka_read), "--brokers", kafka_bootstrap, "--topic", topic, *args],
            capture_output=True, text=True, timeout=TIMEOUT_S)
        lines = proc.stdout.splitlines()
        parsed = [json.loads(line) for line in lines]
        metadata = parsed[0] if parsed else None
        assignment = parsed[1] if len(parsed) > 1 else None
        return proc.returncode, metadata, assignment, parsed[2:], proc.stderr

    return run


def test_reads_back_contents_keys_and_offsets_per_partition(read, fresh_topic, produce):
    topic = fresh_topic(2)
    values0 = [{"n": i, "p": 0} for i in range(5)]
    values1 = [{"n": i, "p": 1, "text": "Zürich ✓"} for i in range(7)]
    produce(topic, values0, key=[f"k{i}" for i in range(5)], partition=0)
    produce(topic, values1, key=None, partition=1)

    code, metadata, assignment, messages, err = read(topic, "--partition", "0", "--offset", "0",
                                                     "-n", "5")
    assert code == 0, err
    assert metadata == {"topic": topic, "partitions": 2}
    assert assignment == [{"topic": topic, "partition": 0, "offset": 0, "reset": False}]
    assert [m["offset"] for m in messages] == [0, 1, 2, 3, 4]
    assert [json.loads(m["value"]) for m in messages] == values0
    assert [m["key"] for m in messages] == [f"k{i}" for i in range(5)]
    assert all(m["partition"] == 0 and isinstance(m["timestamp"], int) for m in messages)

    # From the middle of partition 1: no key, non-ASCII value intact.
    code, _, assignment, messages, err = read(topic, "--partition", "1", "--offset", "3", "-n", "4")
    assert code == 0, err
    assert assignment == [{"topic": topic, "partition": 1, "offset": 3, "reset": False}]
    assert [m["offset"] for m in messages] == [3, 4, 5, 6]
    assert [json.loads(m["value"]) for m in messages] == values1[3:]
    assert all(m["key"] is None for m in messages)


def test_topic_wide_read_keeps_order_within_each_partition(read, fresh_topic, produce):
    topic = fresh_topic(2)
    produce(topic, [f'{{"p":0,"n":{i}}}' for i in range(20)], partition=0)
    produce(topic, [f'{{"p":1,"n":{i}}}' for i in range(15)], partition=1)

    code, _, assignment, messages, err = read(topic, "--timestamp", "0", "-n", "35")
    assert code == 0, err
    assert sorted(assignment, key=lambda a: a["partition"]) == [
        {"topic": topic, "partition": 0, "offset": 0, "reset": False},
        {"topic": topic, "partition": 1, "offset": 0, "reset": False},
    ]
    for partition, count in ((0, 20), (1, 15)):
        mine = [m for m in messages if m["partition"] == partition]
        assert [m["offset"] for m in mine] == list(range(count))
        assert [json.loads(m["value"])["n"] for m in mine] == list(range(count))


def test_timestamps_resolve_to_the_first_message_at_or_after_them(read, fresh_topic, produce):
    topic = fresh_topic(2)
    base = 1_700_000_000_000
    stamps = [base + 1000 * i for i in range(4)]  # offsets 0..3 of partition 0
    produce(topic, [{"i": i} for i in range(4)], partition=0, timestamp=stamps)

    code, _, assignment, messages, err = read(topic, "--partition", "0", "--timestamp",
                                              str(base + 1500), "-n", "2")
    assert code == 0, err
    assert assignment == [{"topic": topic, "partition": 0, "offset": 2, "reset": False}]
    assert [(m["offset"], m["timestamp"]) for m in messages] == [(2, stamps[2]), (3, stamps[3])]

    # An exact timestamp matches its own message.
    code, _, assignment, _, err = read(topic, "--partition", "0", "--timestamp", str(stamps[1]))
    assert code == 0, err
    assert assignment[0]["offset"] == 1

    # No message at or after the timestamp: the end (high watermark), not a reset.
    code, _, assignment, _, err = read(topic, "--partition", "0", "--timestamp", str(base + 10**6))
    assert code == 0, err
    assert assignment == [{"topic": topic, "partition": 0, "offset": 4, "reset": False}]

    # Topic-wide: each partition on its own (partition 1 is empty).
    code, _, assignment, _, err = read(topic, "--timestamp", str(base + 500))
    assert code == 0, err
    assert sorted((a["partition"], a["offset"], a["reset"]) for a in assignment) == [
        (0, 1, False), (1, 0, False)]


def test_offsets_outside_the_watermarks_reset(read, fresh_topic, produce):
    topic = fresh_topic(2)
    produce(topic, ["{}"] * 3, partition=0)

    code, _, assignment, _, err = read(topic, "--partition", "0", "--offset", "100")
    assert code == 0, err
    assert assignment == [{"topic": topic, "partition": 0, "offset": 3, "reset": True}]

    code, _, assignment, messages, err = read(topic, "--partition", "0", "--offset", "100",
                                              "-X", "auto.offset.reset=earliest", "-n", "1")
    assert code == 0, err
    assert assignment == [{"topic": topic, "partition": 0, "offset": 0, "reset": True}]
    assert messages[0]["offset"] == 0

    # The high watermark itself is in range: start at the end, no reset.
    code, _, assignment, _, err = read(topic, "--partition", "0", "--offset", "3")
    assert code == 0, err
    assert assignment == [{"topic": topic, "partition": 0, "offset": 3, "reset": False}]


def test_the_end_delivers_only_new_messages(kafka_read, kafka_bootstrap, fresh_topic, produce):
    topic = fresh_topic(2)
    produce(topic, ["old"] * 4, partition=1)
    proc = subprocess.Popen(
        [str(kafka_read), "--brokers", kafka_bootstrap, "--topic", topic, "--end", "-n", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killer = threading.Timer(TIMEOUT_S, proc.kill)
    killer.start()
    try:
        assert json.loads(proc.stdout.readline()) == {"topic": topic, "partitions": 2}
        assignment = json.loads(proc.stdout.readline())
        assert sorted((a["partition"], a["offset"]) for a in assignment) == [(0, 0), (1, 4)]
        # The assignment holds concrete offsets: what is produced from now on is read, whether it
        # lands before or after the consumer is up.
        produce(topic, ['{"new":0}'], partition=0)
        produce(topic, ['{"new":1}'], partition=1)
        out, err = proc.communicate(timeout=TIMEOUT_S)
    finally:
        killer.cancel()
    assert proc.returncode == 0, err
    messages = sorted((json.loads(line) for line in out.splitlines()), key=lambda m: m["partition"])
    assert [(m["partition"], m["offset"], m["value"]) for m in messages] == [
        (0, 0, '{"new":0}'), (1, 4, '{"new":1}')]


def test_a_missing_topic_or_partition_is_a_clear_error(read, fresh_topic):
    code, _, _, _, err = read("kasocki_test_no_such_topic_x9", "--offset", "0", "-n", "1")
    assert code == 1
    assert "unknown topic 'kasocki_test_no_such_topic_x9'" in err

    topic = fresh_topic(2)
    code, metadata, _, _, err = read(topic, "--partition", "2", "--offset", "0")
    assert code == 1
    assert metadata == {"topic": topic, "partitions": 2}
    assert "UNKNOWN_TOPIC_OR_PART" in err and "partition 2" in err


def test_an_unknown_librdkafka_property_is_named(read):
    code, _, _, _, err = read("kasocki_test_one", "-X", "no.such.property=1")
    assert code == 1
    assert "no.such.property" in err
