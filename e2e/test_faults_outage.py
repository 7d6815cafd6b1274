"""What clients and the log see of a Kafka outage: several started clients (websocket, SSE) each get exactly one KafkaUnavailableError, in which (as in /healthz and everything else
they receive) nothing names a broker, an address, a port or a librdkafka text; their streams
resume by themselves with nothing lost or repeated; and the server's log has one line per kind of
librdkafka line for the whole outage, with the count of its repeats after the recovery.

Stops and starts a broker of its own (fault_fixture). Does I/O: a java broker process, Kafka
admin and produce requests, socket.io and SSE connections, the server's stderr."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

pytest.register_assert_rewrite("gateway_fixture", "fault_fixture")
from gateway_fixture import poll_until  # noqa: E402

from fault_fixture import RECOVERY_S, produce, wait_status  # noqa: E402

pytest_plugins = ["gateway_fixture", "fault_fixture"]

BEFORE, AFTER = 20, 20  # messages produced before the outage and after it


class SseRecorder:
    """An SSE stream from offset 0 read on a thread: every line kept, in order."""

    def __init__(self, server, topic: str):
        self.lines: list[str] = []
        self.cond = threading.Condition()
        position = json.dumps([{"topic": topic, "partition": 0, "offset": 0}])
        # The stream is quiet during the outage: keep-alive comments (every second) keep it
        # under the read timeout.
        self.response = requests.get(f"{server.url}/v2/stream/{topic}",
                                     headers={"Last-Event-ID": position}, stream=True,
                                     timeout=RECOVERY_S)
        assert self.response.status_code == 200, self.response.text
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for raw in self.response.iter_lines():
                with self.cond:
                    self.lines.append(raw.decode())
                    self.cond.notify_all()
        except (requests.RequestException, AttributeError):
            pass  # closed at the end of the test (urllib3 then reads from no socket)

    def parsed(self) -> list[tuple[str, str]]:
        """(event, data) of every complete event so far."""
        with self.cond:
            return self._parsed()

    def wait_for(self, predicate, what: str) -> None:
        deadline = time.monotonic() + RECOVERY_S
        with self.cond:
            while not predicate(self._parsed()):
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"timed out waiting for {what}: {self.lines[-20:]}"
                self.cond.wait(remaining)

    def _parsed(self) -> list[tuple[str, str]]:  # with self.cond held
        out, event = [], None
        for line in self.lines:
            if line.startswith("event: "):
                event = line[len("event: "):]
            elif line.startswith("data: ") and event is not None:
                out.append((event, line[len("data: "):]))
                event = None
        return out

    def close(self) -> None:
        self.response.close()


def repeat_key(text: str) -> str:
    """The kind of a librdkafka line, as the server groups them (common/repeat_collapser.hpp)."""
    if text.startswith("[thrd:") and "]: " in text:
        text = text[text.index("]: ") + 3:]
    kept, depth = [], 0
    for c in text:
        if c == "(":
            depth += 1
        elif c == ")" and depth > 0:
            depth -= 1
        elif depth == 0:
            kept.append(c)
    return " ".join("".join(kept).split())


def internals(broker) -> list[str]:
    """What a client must never see: the broker's address and port, librdkafka's words."""
    return [str(broker.port), "localhost", "127.0.0.1", "ipv4#", "rdkafka", "brokers are down",
            "Connect to", "GroupCoordinator", "Broker transport", "bootstrap"]


def log_lines(server) -> list[dict]:
    out = []
    for line in server.stderr().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return out


def test_an_outage_is_told_once_names_nothing_and_is_logged_once(running, topic, kasocki_server,
                                                                   connect):
    server = kasocki_server("--log-level", "info", "--sse-keepalive", "1",
                            brokers=running.bootstrap)
    produce(running.bootstrap, topic, [{"n": i} for i in range(BEFORE)])
    clients = [connect(server), connect(server)]
    for client in clients:
        # Generous: a fresh broker on a shared machine answers its first requests slowly.
        client.ok("subscribe", [{"topic": topic, "partition": 0, "offset": 0}],
                  timeout=RECOVERY_S)
        client.ok("start", timeout=RECOVERY_S)
        client.messages(BEFORE, timeout=RECOVERY_S)
    sse = SseRecorder(server, topic)
    try:
        sse.wait_for(lambda events: sum(e == "message" for e, _ in events) == BEFORE,
                     f"{BEFORE} SSE messages")

        stopped_at_ms = time.time() * 1000
        running.stop()
        for client in clients:
            client.wait_for(lambda events: any(e == "err" for e, _ in events), "an err event",
                            RECOVERY_S)
        sse.wait_for(lambda events: any(e == "error" for e, _ in events), "an SSE error event")
        wait_status(server, 503)
        health_during = server.healthz().text

        running.start()
        wait_status(server, 200)
        produce(running.bootstrap, topic, [{"n": i} for i in range(BEFORE, BEFORE + AFTER)])
        total = BEFORE + AFTER
        for client in clients:
            offsets = [m["_kafka"]["offset"] for m in client.messages(total, timeout=RECOVERY_S)]
            assert offsets == list(range(total))
        sse.wait_for(lambda events: sum(e == "message" for e, _ in events) >= total,
                     f"{total} SSE messages")
        # Nothing is repeated: one more message comes next, at offset `total`; a repeat would
        # come before it (a partition is delivered in order).
        produce(running.bootstrap, topic, [{"n": total}])
        for client in clients:
            client.messages(total + 1, timeout=RECOVERY_S)
            assert [m["_kafka"]["offset"] for m in client.messages(total + 1)] == \
                list(range(total + 1))
            assert len(client.named("message")) == total + 1
        sse.wait_for(lambda events: sum(e == "message" for e, _ in events) == total + 1,
                     f"{total + 1} SSE messages")
        sse_messages = [json.loads(d)["_kafka"]["offset"] for e, d in sse.parsed()
                        if e == "message"]
        assert sse_messages == list(range(total + 1))

        # Exactly one KafkaUnavailableError each, and nothing else went wrong.
        for client in clients:
            errors = client.errors()
            assert [e["name"] for e in errors] == ["KafkaUnavailableError"], errors
            assert errors[0]["socketEvent"] == "message", errors
        sse_errors = [json.loads(d) for e, d in sse.parsed() if e == "error"]
        assert [e["name"] for e in sse_errors] == ["KafkaUnavailableError"], sse_errors

        # Nothing a client received names the server's internals.
        received = [json.dumps(args) for client in clients for event, args in client.events
                    if event != "message"]
        received += [d for e, d in sse.parsed() if e != "message"]
        received.append(health_during)
        for text in received:
            for word in internals(running):
                assert word not in text, (word, text)
    finally:
        sse.close()

    # The log: one line per kind of librdkafka line for the whole outage, the state changes
    # once each, and after the recovery the count of what was left out.
    lines = poll_until(lambda: log_lines(server),
                       lambda ls: any(l.get("msg") == "Kafka is reachable again" for l in ls),
                       "the log line of the recovery")
    outage = [l for l in lines if l.get("ts", 0) >= stopped_at_ms]
    recovered = next(i for i, l in enumerate(outage) if l.get("msg") == "Kafka is reachable again")
    during, after = outage[:recovered], outage[recovered + 1:]
    assert [l["msg"] for l in during].count("Kafka is unreachable") == 1, during
    kinds: dict[tuple, int] = {}
    for l in during:
        if l.get("source") == "librdkafka":
            assert "repeated" not in l, l
            kind = (l["level"], l.get("facility"), repeat_key(l["msg"]))
            kinds[kind] = kinds.get(kind, 0) + 1
    assert kinds, during
    assert all(count == 1 for count in kinds.values()), kinds
    summaries = [l for l in after if l.get("source") == "librdkafka" and "repeated" in l]
    assert summaries and all(s["repeated"] >= 1 for s in summaries), after
    for s in summaries:
        assert (s["level"], s.get("facility"), repeat_key(s["msg"])) in kinds, s
