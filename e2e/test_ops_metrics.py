"""`kasocki serve` observability against the real broker: GET /metrics (Prometheus text format,
exact names and labels, values that move as a client consumes, Kafka statistics), /healthz with
and without a broker, and the structured log (JSON lines, librdkafka's lines included, no message
content at info level). Does I/O: child processes, HTTP, socket.io connections."""

from __future__ import annotations

import json
import re

import requests

from conftest import free_port
from gateway_fixture import DEADLINE_S, poll_until

pytest_plugins = ["gateway_fixture"]

ONE = "kasocki_test_one"
INVALID = "kasocki_test_invalid"
STATS = ("-X", "statistics.interval.ms=200")

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)')
SAMPLE = re.compile(rf"^({NAME})(?:\{{(.*)\}})? (\S+)$")


def parse_metrics(text: str) -> tuple[dict[str, str], dict[tuple, float]]:
    """A strict reader of the text format 0.0.4: (types by family, value by (name, labels)).
    Fails on a sample without a TYPE line before it, a bad label or value, or a duplicate."""
    types: dict[str, str] = {}
    samples: dict[tuple, float] = {}
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# HELP "):
            assert re.match(rf"^# HELP {NAME} \S", line), line
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge") and name not in types, line
            types[name] = kind
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, label_text, value = match.groups()
        assert name in types, f"{name} has no TYPE line before it"
        labels = []
        rest = label_text or ""
        while rest:
            label = LABEL.match(rest)
            assert label, f"bad labels in {line!r}"
            labels.append((label.group(1), label.group(2)))
            rest = rest[label.end():]
        key = (name, frozenset(labels))
        assert key not in samples, f"duplicate sample {line!r}"
        samples[key] = float(value)
    return types, samples


def scrape(server, scheme_url: str | None = None) -> dict[tuple, float]:
    response = requests.get(f"{scheme_url or server.url}/metrics", timeout=DEADLINE_S)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return parse_metrics(response.text)[1]


def value(samples, metric: str, **labels) -> float:
    return samples.get((metric, frozenset(labels.items())), 0.0)


def total(samples, metric: str, **labels) -> float:
    """The sum of a family's samples that have these labels (and any others)."""
    wanted = set(labels.items())
    return sum(v for (name, sample_labels), v in samples.items()
               if name == metric and wanted <= sample_labels)


def wait_metric(server, predicate, what: str) -> dict:
    """Scrapes until predicate(samples) holds: the Kafka figures come every statistics interval."""
    return poll_until(lambda: scrape(server), predicate, what, interval=0.1)


EXPECTED_TYPES = {
    "kasocki_connections": "gauge",
    "kasocki_send_queue_bytes": "gauge",
    "kasocki_send_queue_peak_bytes": "gauge",
    "kasocki_sessions_subscribed": "gauge",
    "kasocki_sessions_started": "gauge",
    "kasocki_messages_delivered_total": "counter",
    "kasocki_bytes_delivered_total": "counter",
    "kasocki_messages_filtered_total": "counter",
    "kasocki_deserialization_errors_total": "counter",
    "kasocki_errors_total": "counter",
    "kasocki_limit_rejections_total": "counter",
    "kasocki_kafka_reachable": "gauge",
    "kasocki_kafka_consumers": "gauge",
    "kasocki_kafka_fetched_messages_total": "counter",
    "kasocki_kafka_fetched_bytes_total": "counter",
    "kasocki_kafka_fetch_rate": "gauge",
    "kasocki_kafka_consumer_lag": "gauge",
}


def test_metrics_names_types_and_labels(kasocki_server):
    server = kasocki_server(*STATS)
    response = requests.get(f"{server.url}/metrics", timeout=DEADLINE_S)
    types, samples = parse_metrics(response.text)
    assert {name: types.get(name) for name in EXPECTED_TYPES} == EXPECTED_TYPES
    connections = {labels for name, labels in samples if name == "kasocki_connections"}
    assert connections == {frozenset({("transport", t), ("eio", v)})
                           for t in ("polling", "websocket") for v in ("3", "4")} | {
                               frozenset({("transport", "sse")})}
    assert value(samples, "kasocki_kafka_reachable") == 1
    for name in ("kasocki_messages_delivered_total", "kasocki_sessions_subscribed"):
        assert (name, frozenset()) in samples


def test_metrics_follow_a_consuming_client(kasocki_server, connect):
    # The shared tail closes as soon as nobody reads it, so all consumers go with the clients.
    server = kasocki_server(*STATS, "--tail-linger-ms", "0")
    before = scrape(server)
    client = connect(server, transports=("websocket",))
    polling = connect(server, transports=("polling",))
    samples = scrape(server)
    assert value(samples, "kasocki_connections", transport="websocket", eio="4") == 1
    assert value(samples, "kasocki_connections", transport="polling", eio="4") == 1

    polling.fails("consume", name="NotSubscribedError")
    client.ok("subscribe", [{"topic": ONE, "partition": 0, "offset": 0}])
    for _ in range(3):
        client.ok("consume")
    samples = scrape(server)
    assert value(samples, "kasocki_sessions_subscribed") == 1
    assert value(samples, "kasocki_sessions_started") == 0
    delivered = value(samples, "kasocki_messages_delivered_total")
    assert delivered - value(before, "kasocki_messages_delivered_total") == 3
    assert value(samples, "kasocki_bytes_delivered_total") > value(
        before, "kasocki_bytes_delivered_total") + 3 * 100
    assert value(samples, "kasocki_errors_total", name="NotSubscribedError") == 1

    client.ok("start")
    client.messages(7)
    samples = scrape(server)
    assert value(samples, "kasocki_sessions_started") == 1
    assert value(samples, "kasocki_messages_delivered_total") == delivered + 7

    # Kafka's own figures arrive with the next statistics: all 10 fetched, nothing left behind.
    # The fetched counters tell the history fetchers from the other consumers by `role`.
    labels = {"topic": ONE, "partition": "0"}
    samples = wait_metric(server, lambda s: total(s, "kasocki_kafka_fetched_messages_total",
                                                  **labels) >= 10
                          and (("kasocki_kafka_consumer_lag", frozenset(labels.items())) in s),
                          "Kafka statistics of the consumer")
    assert value(samples, "kasocki_kafka_consumer_lag", **labels) == 0
    assert total(samples, "kasocki_kafka_fetched_bytes_total", **labels) > 0
    roles = {dict(sample_labels).get("role") for name, sample_labels in samples
             if name == "kasocki_kafka_fetched_bytes_total" and ("topic", ONE) in sample_labels}
    assert roles and roles <= {"consumer", "fetcher"}
    assert value(samples, "kasocki_kafka_consumers") == 1

    client.close()
    polling.close()
    wait_metric(server, lambda s: value(s, "kasocki_sessions_subscribed") == 0
                and value(s, "kasocki_sessions_started") == 0
                and value(s, "kasocki_connections", transport="websocket", eio="4") == 0
                and value(s, "kasocki_kafka_consumers") == 0, "the sessions to be released")


def test_metrics_count_filtered_and_undecodable_messages(kasocki_server, connect):
    server = kasocki_server()
    client = connect(server)
    client.ok("subscribe", [{"topic": INVALID, "partition": 0, "offset": 0}])
    client.ok("start")
    client.messages(2)
    client.wait_for(lambda events: any(e == "err" for e, _ in events), "the err event")
    samples = scrape(server)
    assert value(samples, "kasocki_deserialization_errors_total") == 1
    assert value(samples, "kasocki_errors_total", name="DeserializationError") == 1

    other = connect(server)
    other.ok("filter", {"no_such_field": "x"})
    other.ok("subscribe", [{"topic": ONE, "partition": 0, "offset": 0}])
    other.ok("start")
    wait_metric(server, lambda s: value(s, "kasocki_messages_filtered_total") == 10,
                "10 filtered messages")


def test_healthz_and_metrics_without_a_broker(kasocki_server):
    # A port nobody listens on: the metadata fetch fails.
    server = kasocki_server(brokers=f"127.0.0.1:{free_port()}", wait_healthy_too=False)
    response = server.healthz()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["kafka"] == "unreachable"
    assert value(scrape(server), "kasocki_kafka_reachable") == 0


def test_log_lines_are_json_with_librdkafka_and_without_message_content(start_process, connect,
                                                                        kasocki_bin,
                                                                        kafka_bootstrap):
    port = free_port()
    # librdkafka's metadata debugging makes it log for sure (an unreachable extra broker alone
    # may never be tried: librdkafka connects to bootstrap brokers lazily).
    process = start_process([kasocki_bin, "serve", "--listen", f"127.0.0.1:{port}", "--brokers",
                             f"{kafka_bootstrap},127.0.0.1:{free_port()}", "--log-level", "debug",
                             "-X", "debug=metadata"],
                            port=port)

    class Server:
        url = f"http://127.0.0.1:{port}"

    wait_metric(Server, lambda s: value(s, "kasocki_kafka_reachable") == 1, "Kafka metadata")
    client = connect(Server)
    client.ok("subscribe", [{"topic": ONE, "partition": 0, "offset": 0}])
    client.ok("start")
    messages = client.messages(10)
    client.close()
    # librdkafka's lines come through our log.
    poll_until(process.stderr, lambda text: "librdkafka" in text, "a librdkafka log line",
               interval=0.1)
    lines = [json.loads(line) for line in process.stderr().splitlines()]
    assert all(list(line)[:3] == ["ts", "level", "msg"] for line in lines), lines[:5]
    assert any(line.get("source") == "librdkafka" for line in lines), lines[-5:]
    text = process.stderr()
    for m in messages:  # titles and comments of the fixture never reach an info log
        assert m["title"] not in text
