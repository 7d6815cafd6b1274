"""Clients of the failover suites (e2e/test_cluster_failover.py): a producer writing numbered
messages while the test breaks things, and readers that resume where they stopped whenever their
connection ends: python-socketio (pushed by `start`, or pulled by `consume`) resubscribing at the
offset after the last message seen, and an SSE reader reconnecting with `Last-Event-ID`, as
`EventSource` does. Each records every message it got, so a test can check that nothing was lost
and nothing repeated. Does I/O: Kafka produce requests, socket.io and HTTP connections, threads.
"""

from __future__ import annotations

import json
import threading
import time

import requests
import socketio
from confluent_kafka import Producer

from sse_helpers import SseReader, stream_url

# Between two attempts to reach a balancer with no gateway up: a reconnect delay, as every
# socket.io client and EventSource has; nothing waits on it.
RECONNECT_DELAY_S = 0.2


class NumberedProducer:
    """Writes {"n": 0}, {"n": 1}, ... to partition 0 of a topic, about `rate` per second, from a
    thread, until finish(). Idempotent with acks=all and a long delivery timeout, so a leader lost
    on the way delays messages but neither loses nor repeats them."""

    def __init__(self, bootstrap: str, topic: str, rate: float = 100):
        self.topic, self.interval = topic, 1.0 / rate
        self.producer = Producer({"bootstrap.servers": bootstrap, "acks": "all",
                                  "enable.idempotence": True, "linger.ms": 5,
                                  "message.timeout.ms": 180000})
        self.offsets: dict[int, int] = {}
        self.errors: list[str] = []
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _delivered(self, n: int):
        def callback(error, message):
            if error:
                self.errors.append(f"{n}: {error}")
            else:
                self.offsets[n] = message.offset()
        return callback

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            self.producer.produce(self.topic, json.dumps({"n": self.sent}).encode(), partition=0,
                                  on_delivery=self._delivered(self.sent))
            self.sent += 1
            self.producer.poll(0)
            next_at += self.interval
            self._stop.wait(max(0.0, next_at - time.monotonic()))  # the rate, not a sync

    def finish(self) -> int:
        """Stops writing; returns how many were written once all are acknowledged in order."""
        self._stop.set()
        self._thread.join()
        assert self.producer.flush(180) == 0, "messages not delivered within 180 s"
        assert not self.errors, self.errors[:10]
        assert [self.offsets[n] for n in range(self.sent)] == list(range(self.sent)), \
            "the topic's offsets do not follow the order written"
        return self.sent


class Reader:
    """What every resuming reader shares: the messages seen, the connections made."""

    def __init__(self, name: str):
        self.name = name
        self.seen: list[tuple[int, int]] = []  # (offset, n)
        self.connections = 0
        self.failures: list[str] = []
        self.cond = threading.Condition()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    @property
    def next_offset(self) -> int:
        with self.cond:
            return self.seen[-1][0] + 1 if self.seen else 0

    def record(self, offset: int, n: int) -> None:
        with self.cond:
            self.seen.append((offset, n))
            self.cond.notify_all()

    def count(self) -> int:
        with self.cond:
            return len(self.seen)

    def wait_count(self, count: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.seen) < count:
                remaining = deadline - time.monotonic()
                assert remaining > 0 and not self.failures, (
                    f"{self.name}: {len(self.seen)} of {count} messages after {timeout}s, "
                    f"{self.connections} connections, failures: {self.failures}")
                self.cond.wait(remaining)

    def check_exact(self, total: int) -> None:
        """Every message 0..total-1 once, in order (the topic's offset k holds n == k)."""
        with self.cond:
            seen = list(self.seen)
        wrong = [(i, s) for i, s in enumerate(seen) if s != (i, i)]
        assert len(seen) == total and not wrong, \
            f"{self.name}: {len(seen)} messages for {total}; first out of place: {wrong[:5]}"

    def _run(self) -> None:
        raise NotImplementedError

    def start(self) -> "Reader":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()


class SocketIoReader(Reader):
    """python-socketio through `url`: subscribes to partition 0 of `topic` at the offset after
    the last message it has seen, then `start`s (how="start") or keeps one `consume`
    outstanding (how="consume"); when the connection ends, it connects again."""

    def __init__(self, url: str, topic: str, transports: list[str], how: str = "start"):
        super().__init__(f"socket.io {'+'.join(transports)} {how}")
        self.url, self.topic, self.transports, self.how = url, topic, transports, how

    def _client(self):
        sio = socketio.Client(reconnection=False)
        trigger = sio.eio._trigger_event

        def in_order(event, *args, **kwargs):  # as GatewayClient: events in wire order
            kwargs["run_async"] = False
            return trigger(event, *args, **kwargs)

        sio.eio._trigger_event = in_order
        ready, gone = threading.Event(), threading.Event()
        sio.on("ready", lambda *_: ready.set())
        sio.on("disconnect", lambda *_: gone.set())
        sio.on("message", lambda m: self.record(m["_kafka"]["offset"], m["n"]))
        return sio, ready, gone

    def _call(self, sio, gone, event: str, *args):
        """The ack of event, or None when the connection ended first."""
        done, reply = threading.Event(), []

        def on_ack(*answer):
            reply.extend(answer)
            done.set()

        sio.emit(event, tuple(args), callback=on_ack)
        while not done.wait(0.1):
            if gone.is_set() or self.stopping.is_set():
                return None
        return reply

    def _run(self) -> None:
        while not self.stopping.is_set():
            sio, ready, gone = self._client()
            try:
                sio.connect(self.url, transports=self.transports, wait_timeout=15)
                self.connections += 1
                if not ready.wait(15):
                    continue
                spec = [{"topic": self.topic, "partition": 0, "offset": self.next_offset}]
                reply = self._call(sio, gone, "subscribe", spec)
                if reply is None:
                    continue
                assert reply[0] is None, f"{self.name}: subscribe failed: {reply}"
                if self.how == "start":
                    sio.emit("start", ())
                    while not gone.wait(0.1) and not self.stopping.is_set():
                        pass
                else:
                    while not gone.is_set() and not self.stopping.is_set():
                        reply = self._call(sio, gone, "consume")
                        if reply is None:
                            break
                        assert reply[0] is None, f"{self.name}: consume failed: {reply}"
                        self.record(reply[1]["_kafka"]["offset"], reply[1]["n"])
            except AssertionError as error:  # the server refused: the test fails on it
                self.failures.append(str(error))
                return
            except Exception:  # noqa: BLE001 - no gateway answered: try again, as clients do
                time.sleep(RECONNECT_DELAY_S)
            finally:
                try:
                    sio.disconnect()
                except Exception:  # noqa: BLE001 - already gone
                    pass


class SseResumingReader(Reader):
    """The SSE endpoint through `url`, reconnecting with `Last-Event-ID` (the id of the last
    event seen) whenever the stream ends or fails, as EventSource does."""

    def __init__(self, server, topic: str):
        super().__init__("sse")
        self.server, self.topic = server, topic
        self.last_id = json.dumps([{"topic": topic, "partition": 0, "offset": 0}])
        self.statuses: list[int] = []
        self.endings: list[str] = []  # why each stream ended
        self.reader: SseReader | None = None

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.reader = SseReader(stream_url(self.server, [self.topic]),
                                        headers={"Last-Event-ID": self.last_id}, timeout=30)
                self.statuses.append(self.reader.response.status_code)
                if self.reader.response.status_code != 200:
                    self.reader.close()
                    time.sleep(RECONNECT_DELAY_S)
                    continue
                self.connections += 1
                while not self.stopping.is_set():
                    event = self.reader.next_event()
                    if event is None or event.event == "error":
                        self.endings.append(event.data if event else "end of stream")
                        break
                    if event.event == "message":
                        message = event.json()
                        self.record(message["_kafka"]["offset"], message["n"])
                        self.last_id = event.id
            except (requests.RequestException, StopIteration) as error:
                self.endings.append(repr(error))
                time.sleep(RECONNECT_DELAY_S)
            finally:
                if self.reader is not None:
                    self.reader.close()
