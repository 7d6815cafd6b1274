"""`kasocki client` against `kasocki serve` and the real broker: topics; consume and start with
--topic/--assign/--since/--filter, -n and --duration, over websocket and polling; one compact JSON
object per output line; errors as the error object on stderr with a non-zero exit status; bad
usage exits 2; `err` events while reading are printed and are not fatal."""

from __future__ import annotations

import datetime
import json
import subprocess
import time

import pytest

from conftest import FIXTURE_TOPICS, fixture_events, free_port

pytest_plugins = ["gateway_fixture"]

ONE = "kasocki_test_one"
MULTI = "kasocki_test_multi"
INVALID = "kasocki_test_invalid"
TRANSPORTS = ["websocket", "polling"]


def run_client(kasocki_bin, *args, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(kasocki_bin), "client", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


def lines_of(done: subprocess.CompletedProcess) -> list[dict]:
    out = []
    for line in done.stdout.splitlines():
        value = json.loads(line)
        # Compact: what a compact encoder makes of the parsed value (the fixtures are compact).
        assert json.dumps(value, separators=(",", ":"), ensure_ascii=False) == line, line
        out.append(value)
    return out


def offsets(messages: list[dict]) -> list[int]:
    return [m["_kafka"]["offset"] for m in messages]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_topics(gateway, kasocki_bin, transport):
    done = run_client(kasocki_bin, "topics", "--url", gateway.url, "--transport", transport)
    assert done.returncode == 0, done.stderr
    [topics] = lines_of(done)
    assert set(FIXTURE_TOPICS) <= set(topics) and topics == sorted(topics)
    assert not [t for t in topics if t.startswith("__")]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("mode", ["consume", "start"])
def test_assign_with_a_limit(gateway, kasocki_bin, mode, transport):
    done = run_client(kasocki_bin, mode, "--url", gateway.url, "--assign", f"{ONE}:0:2", "-n", 5,
                      "--transport", transport)
    assert done.returncode == 0, done.stderr
    messages = lines_of(done)
    assert offsets(messages) == [2, 3, 4, 5, 6]
    assert [{k: v for k, v in m.items() if k != "_kafka"} for m in messages] == \
        fixture_events(ONE)[2:7]
    assert done.stderr == ""


@pytest.mark.parametrize("mode", ["consume", "start"])
def test_several_assignments(gateway, kasocki_bin, mode):
    done = run_client(kasocki_bin, mode, "--url", gateway.url, "--assign", f"{MULTI}:0:0",
                      "--assign", f"{MULTI}:2:2", "-n", 6)
    assert done.returncode == 0, done.stderr
    got = [(m["_kafka"]["partition"], m["_kafka"]["offset"]) for m in lines_of(done)]
    assert sorted(got) == [(0, 0), (0, 1), (0, 2), (0, 3), (2, 2), (2, 3)]
    assert [o for p, o in got if p == 0] == [0, 1, 2, 3]


@pytest.mark.parametrize("mode", ["consume", "start"])
def test_duration_ends_the_run(gateway, kasocki_bin, mode):
    started = time.monotonic()
    done = run_client(kasocki_bin, mode, "--url", gateway.url, "--assign", f"{ONE}:0:0",
                      "--duration", "1.5")
    assert done.returncode == 0, done.stderr
    assert offsets(lines_of(done)) == list(range(10))
    assert time.monotonic() - started >= 1.5


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_filters(gateway, kasocki_bin, transport):
    done = run_client(kasocki_bin, "consume", "--url", gateway.url, "--assign", f"{ONE}:0:0",
                      "--filter", "bot=true", "-n", 3, "--transport", transport)
    assert done.returncode == 0, done.stderr
    assert offsets(lines_of(done)) == [3, 6, 9]
    # VALUE that is not JSON is a string; a regex; two filters together.
    done = run_client(kasocki_bin, "start", "--url", gateway.url, "--assign", f"{ONE}:0:0",
                      "--filter", "title=Main_Page", "--filter", "meta.domain=/^en\\./", "-n", 2)
    assert done.returncode == 0, done.stderr
    assert offsets(lines_of(done)) == [0, 8]


@pytest.mark.parametrize("since", ["ms", "iso"])
def test_since(gateway, kasocki_bin, fresh_topic, produce, since):
    topic = fresh_topic(2)
    base = (int(time.time()) - 120) * 1000
    for p in range(2):
        produce(topic, [{"p": p, "late": False}], partition=p, timestamp=base)
        produce(topic, [{"p": p, "late": True}], partition=p, timestamp=base + 2000)
    value = str(base + 1000) if since == "ms" else \
        datetime.datetime.fromtimestamp((base + 1000) / 1000, datetime.timezone.utc).isoformat()
    done = run_client(kasocki_bin, "start", "--url", gateway.url, "--topic", topic, "--since", value,
                      "-n", 2)
    assert done.returncode == 0, done.stderr
    messages = lines_of(done)
    assert all(m["late"] for m in messages) and sorted(m["p"] for m in messages) == [0, 1]


def test_topic_reads_from_the_end(gateway, kasocki_bin, fresh_topic, produce):
    topic = fresh_topic()
    produce(topic, [{"old": True}])
    process = subprocess.Popen([str(kasocki_bin), "client", "consume", "--url", gateway.url,
                                "--topic", topic, "-n", "1"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    # The client prints nothing until it has a message, so we cannot see when it has subscribed:
    # produce until it exits with the one message it was asked for.
    deadline = time.monotonic() + 30
    try:
        while process.poll() is None and time.monotonic() < deadline:
            produce(topic, [{"old": False}])
            try:
                process.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    [message] = [json.loads(line) for line in out.splitlines()]
    assert message["old"] is False and message["_kafka"]["offset"] >= 1


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_request_error_goes_to_stderr_with_status_1(gateway, kasocki_bin, transport):
    done = run_client(kasocki_bin, "consume", "--url", gateway.url, "--topic", "kasocki_no_such",
                      "--transport", transport)
    assert done.returncode == 1
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    error = json.loads(line)
    assert error["name"] == "TopicNotAvailableError" and error["origin"] == "Kasocki"
    assert error["socketEvent"] == "subscribe" and ONE in error["availableTopics"]


def test_invalid_filter_goes_to_stderr_with_status_1(gateway, kasocki_bin):
    done = run_client(kasocki_bin, "start", "--url", gateway.url, "--topic", ONE,
                      "--filter", "title=/(a)\\1/")
    assert done.returncode == 1
    assert json.loads(done.stderr.splitlines()[0])["name"] == "InvalidFilterError"


def test_err_event_while_reading_is_printed_and_not_fatal(gateway, kasocki_bin):
    done = run_client(kasocki_bin, "consume", "--url", gateway.url, "--assign", f"{INVALID}:0:0",
                      "-n", 2)
    assert done.returncode == 0, done.stderr
    assert [m["id"] for m in lines_of(done)] == [1, 3]
    [line] = done.stderr.splitlines()
    error = json.loads(line)
    assert error["name"] == "DeserializationError" and error["offset"] == 1


def test_help_documents_err_events_and_exit_statuses(kasocki_bin):
    done = run_client(kasocki_bin, "--help")
    assert done.returncode == 0
    assert "err" in done.stdout and "DeserializationError" in done.stdout
    assert "Exit status" in done.stdout


def test_unreachable_server(kasocki_bin):
    done = run_client(kasocki_bin, "topics", "--url", f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 1
    assert json.loads(done.stderr.splitlines()[0])["name"]


@pytest.mark.parametrize("args", [
    [],
    ["consume"],
    ["bogus", "--url", "http://127.0.0.1:1"],
    ["consume", "--url", "http://127.0.0.1:1"],
    ["consume", "--url", "http://127.0.0.1:1", "--assign", "a:b:c"],
    ["consume", "--url", "http://127.0.0.1:1", "--topic", "t", "-n", "0"],
    ["consume", "--url", "http://127.0.0.1:1", "--topic", "t", "-n", "x"],
    ["consume", "--url", "http://127.0.0.1:1", "--topic", "t", "--transport", "carrier-pigeon"],
    ["consume", "--url", "http://127.0.0.1:1", "--assign", "t:0:0", "--since", "0"],
    ["consume", "--url", "http://127.0.0.1:1", "--topic", "t", "--since", "yesterday"],
    ["consume", "--url", "http://127.0.0.1:1", "--topic", "t", "--filter", "novalue"],
    ["consume", "--url", "http://127.0.0.1:1", "--topic", "t", "--duration", "-1"],
    ["consume", "--url", "http://127.0.0.1:1", "--topic", "t", "--no-such-option"],
], ids=lambda a: " ".join(a) or "nothing")
def test_bad_usage_exits_2(kasocki_bin, args):
    done = run_client(kasocki_bin, *args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith("kasocki client: ")


@pytest.mark.parametrize("args, says", [
    (["--assign", "a:b:c"], "--assign 'a:b:c': the partition is not a non-negative integer"),
    (["--assign", "t:0"], "--assign 't:0': not TOPIC:PARTITION:OFFSET"),
    (["--assign", ":0:0"], "the topic is empty"),
    (["--assign", "t:0:x"], "the offset is not an integer"),
    (["--topic", "t", "--since", "2026-11-30T10:00"], "a time needs its zone"),
    (["--topic", "t", "--since", "2026-02-30"], "not a date YYYY-MM-DD (or no such day)"),
    (["--topic", "t", "--since=-5"], "before the epoch"),
    (["--topic", "t", "--filter", "=1"], "--filter '=1': the path before '=' is empty"),
], ids=lambda a: " ".join(a) if isinstance(a, list) else "")
def test_bad_value_says_what_is_wrong(kasocki_bin, args, says):
    done = run_client(kasocki_bin, "consume", "--url", "http://127.0.0.1:1", *args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    first = done.stderr.splitlines()[0]
    assert first.startswith("kasocki client: ") and says in first, first


@pytest.mark.parametrize("url, says", [
    ("ftp://127.0.0.1:1", "the scheme is not http, https, ws or wss"),
    ("http://", "no host"),
    ("http://127.0.0.1:0", "the port is not a number from 1 to 65535"),
    ("not a url", "not a URL"),
])
def test_bad_url_is_bad_usage(kasocki_bin, url, says):
    done = run_client(kasocki_bin, "topics", "--url", url)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith(f"kasocki client: --url '{url}': {says}"), done.stderr
