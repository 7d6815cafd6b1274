"""Tests of the developer scripts themselves: scripts/kafka.sh (start is idempotent, status) and
scripts/clean_kafka.sh (topics, partition counts and contents match e2e/fixtures). Does I/O: runs
the scripts, reads the fixture topics back with confluent-kafka. `kafka.sh stop` is not tested
here: the other suites need the broker.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from conftest import FIXTURE_TOPICS, REPO, fixture_events, fixture_lines, free_port

SCRIPTS = REPO / "scripts"
EXTERNAL = bool(os.environ.get("KAFKA_BOOTSTRAP"))


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout)


def broker_pid() -> str | None:
    """The pid kafka.sh recorded, or None when it did not start the broker."""
    cache = os.environ.get("KASOCKI_CACHE", os.path.expanduser("~/.cache/kasocki"))
    work = os.environ.get("KASOCKI_KAFKA_WORK", os.path.join(cache, "kafka-work"))
    path = os.path.join(work, "kafka.pid")
    return open(path).read().strip() if os.path.exists(path) else None


def read_partition(bootstrap: str, topic: str, partition: int) -> list:
    """Every message of one partition, from the beginning to the current end."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "kasocki-test-scripts",
                         "enable.auto.commit": False, "enable.partition.eof": True})
    try:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
        assert low == 0, f"{topic} [{partition}] starts at {low}: it was not re-created"
        consumer.assign([TopicPartition(topic, partition, OFFSET_BEGINNING)])
        messages = []
        while len(messages) < high:
            message = consumer.poll(10)
            assert message is not None, f"{topic} [{partition}]: nothing after {len(messages)}"
            if message.error():
                assert message.error().code() == KafkaError._PARTITION_EOF, message.error()
                break
            messages.append(message)
        return messages
    finally:
        consumer.close()


def test_kafka_start_twice_is_a_noop_and_status_says_running(kafka_bootstrap):
    first = run(SCRIPTS / "kafka.sh", "start")
    assert first.returncode == 0, first.stderr
    pid_before = broker_pid()

    second = run(SCRIPTS / "kafka.sh", "start", timeout=20)
    assert second.returncode == 0, second.stderr
    if EXTERNAL:
        assert "nothing started" in second.stderr
    else:
        assert "already running" in second.stderr or "not started by kafka.sh" in second.stderr
        assert broker_pid() == pid_before

    status = run(SCRIPTS / "kafka.sh", "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert status.stdout.startswith("running")


def test_kafka_unknown_command_prints_usage():
    result = run(SCRIPTS / "kafka.sh", "frobnicate")
    assert result.returncode == 2
    assert "kafka.sh start" in result.stderr


@pytest.fixture(scope="module")
def cleaned(kafka_bootstrap):
    result = run(SCRIPTS / "clean_kafka.sh", timeout=180)
    assert result.returncode == 0, result.stderr
    return kafka_bootstrap


def test_clean_kafka_creates_topics_with_their_partition_counts(cleaned, kafka_admin):
    topics = kafka_admin.list_topics(timeout=10).topics
    for topic, partitions in FIXTURE_TOPICS.items():
        assert topic in topics, f"{topic} missing"
        assert len(topics[topic].partitions) == partitions, topic


@pytest.mark.parametrize("topic", ["kasocki_test_one", "kasocki_test_two", "kasocki_test_invalid",
                                   "kasocki_test_empty"])
def test_clean_kafka_loads_single_partition_topics_line_by_line(cleaned, topic):
    messages = read_partition(cleaned, topic, 0)
    assert [m.value().decode() for m in messages] == fixture_lines(topic)
    assert [m.offset() for m in messages] == list(range(len(messages)))
    assert all(m.key() is None for m in messages)


def test_fixture_topics_have_the_documented_shapes():
    assert len(fixture_lines("kasocki_test_one")) >= 10
    assert fixture_lines("kasocki_test_empty") == []
    invalid = fixture_events("kasocki_test_invalid")
    assert len(invalid) == 3 and invalid[1] is None
    assert isinstance(invalid[0], dict) and isinstance(invalid[2], dict)
    assert fixture_events("kasocki_test_one")[0]["meta"]["domain"] == "en.wikipedia.org"


def test_clean_kafka_spreads_multi_over_partitions_by_fixture_partition(cleaned):
    events = fixture_events("kasocki_test_multi")
    for partition in range(FIXTURE_TOPICS["kasocki_test_multi"]):
        expected = [e for e in events if e["fixture_partition"] == partition]
        assert expected, f"no fixture line targets partition {partition}"
        messages = read_partition(cleaned, "kasocki_test_multi", partition)
        got = [json.loads(m.value()) for m in messages]
        assert got == expected
        assert [m.key().decode() for m in messages] == [e["user"] for e in expected]


def test_clean_kafka_is_idempotent(cleaned):
    again = run(SCRIPTS / "clean_kafka.sh", timeout=180)
    assert again.returncode == 0, again.stderr
    assert len(read_partition(cleaned, "kasocki_test_one", 0)) == len(
        fixture_lines("kasocki_test_one"))


# ---- the conftest helpers every suite builds on ----


def test_fresh_topic_and_produce_deliver_where_asked(kafka_bootstrap, fresh_topic, produce):
    topic = fresh_topic(partitions=2)
    delivered = produce(topic, [{"a": 1}, "plain", b"\x00raw"], key=["k1", None, "k3"],
                        partition=[1, 1, 0], timestamp=1_700_000_000_000)
    assert delivered == [(1, 0), (1, 1), (0, 0)]
    first, second = read_partition(kafka_bootstrap, topic, 1)
    assert (first.value(), first.key(), first.timestamp()[1]) == (b'{"a":1}', b"k1", 1_700_000_000_000)
    assert (second.value(), second.key()) == (b"plain", None)
    assert read_partition(kafka_bootstrap, topic, 0)[0].value() == b"\x00raw"


def test_start_process_returns_once_the_port_accepts(start_process):
    port = free_port()
    server = start_process([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
                           port=port)
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    assert server.alive()
    server.stop()
    assert not server.alive()


def test_start_process_reports_a_process_that_exits_before_listening(start_process):
    with pytest.raises(RuntimeError, match="exited with 3"):
        start_process([sys.executable, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(3)"],
                      port=free_port())
