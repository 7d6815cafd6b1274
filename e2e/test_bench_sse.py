"""`kasocki bench --transport sse` against `kasocki serve` and the real broker: a replay of a
small topic from its start and a fanout behind a producer, each ending with every message
received once, in order, with no gap, duplicate or id that disagrees with its data (the bench
checks that from the event ids). Does I/O: child processes (kasocki, the bench's producer),
Kafka produce.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

from conftest import REPO

pytest_plugins = ["gateway_fixture"]

BENCH_TIMEOUT_S = 120


def run_bench(kasocki_bin, *args) -> tuple[subprocess.CompletedProcess, dict | None]:
    done = subprocess.run([str(kasocki_bin), "bench", *map(str, args)], capture_output=True,
                          text=True, timeout=BENCH_TIMEOUT_S, check=False)
    line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else None
    return done, json.loads(line) if line else None


def test_sse_replay_of_a_topic_is_complete(kasocki_bin, gateway, fresh_topic, produce):
    topic = fresh_topic(3)
    for partition in range(3):
        produce(topic, [{"n": partition * 1000 + i} for i in range(40 + partition)],
                partition=partition)
    done, result = run_bench(kasocki_bin, "--url", gateway.url, "--topic", topic,
                             "--transport", "sse", "--from", "beginning", "--until-end",
                             "--duration", 60, "--server-pid", gateway.pid)
    assert done.returncode == 0, done.stderr
    assert result["transport"] == "sse"
    assert result["messages"] == 40 + 41 + 42
    assert (result["gaps"], result["duplicates"], result["id_mismatches"]) == (0, 0, 0)
    assert result["clients_complete"] == 1
    assert result["expected_per_client"] == [123, 123]
    assert result["reached_end"] is True and result["stopped_by"] == "end"
    assert "unparsed" not in result and "errors" not in result


def test_sse_fanout_behind_a_producer_reaches_every_client(kasocki_bin, gateway, fresh_topic,
                                                           kafka_bootstrap):
    topic = fresh_topic(2)
    producer = shlex.join([sys.executable, str(REPO / "scripts" / "bench_rate_producer.py"),
                           "--topic", topic, "--partitions", "2", "--rate", "100", "--seconds",
                           "1", "--bootstrap", kafka_bootstrap])
    done, result = run_bench(kasocki_bin, "--url", gateway.url, "--topic", topic,
                             "--transport", "sse", "--clients", 8, "--producer", producer,
                             "--duration", 90, "--drain-timeout", 30)
    assert done.returncode == 0, done.stderr
    assert result["producer_status"] == 0
    assert result["clients_complete"] == 8
    assert result["expected_per_client"] == [100, 100]
    assert result["received_per_client"] == [100, 100]
    assert result["messages"] == 800
    assert (result["gaps"], result["duplicates"], result["id_mismatches"]) == (0, 0, 0)
    assert result["stopped_by"] == "end"


def test_sse_refuses_what_a_stream_cannot_do(kasocki_bin, gateway):
    for extra in (["--mode", "consume"], ["--reconnect-after", "5"], ["--stalled", "1"]):
        done, _ = run_bench(kasocki_bin, "--url", gateway.url, "--topic", "t", "--transport",
                            "sse", *extra)
        assert done.returncode == 2, (extra, done.stderr)
        assert "--transport sse" in done.stderr
