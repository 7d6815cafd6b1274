#!/usr/bin/env python3
"""Produces wiki recent-change events (the same generator as bench_producer.py) at a fixed rate
for the live benchmark scenarios, then flushes and exits 0 once every message is acknowledged.
Does I/O: Kafka (creates the topic when missing) and stderr.

    .venv/bin/python scripts/bench_rate_producer.py --topic kasocki_live --rate 500 --seconds 30
        [--partitions 6] [--bootstrap localhost:9092]

Messages go round-robin over the partitions, on a schedule of 100 ticks a second, so the rate
holds within a tick even when one send is late (the next ticks catch up). The Kafka timestamp
is the producer's create time, which the bench subtracts from its receive time: linger is 1 ms
so the figure is the gateway's delay, not the producer's batching.

SIGTERM ends production early but cleanly: what was sent is flushed and the exit status is 0
(`kasocki bench --producer-until-live` stops it that way, then checks every client got
everything up to the end). A rate above what one Python process produces (about 50,000/s)
just means as fast as it can: storm_deep's backlog is produced that way.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import time

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka import Producer

from bench_producer import make_event

TICKS_PER_SECOND = 100


def ensure_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    info = admin.list_topics(timeout=15).topics.get(topic)
    if info is not None and info.error is None:
        if len(info.partitions) != partitions:
            raise SystemExit(f"bench_rate_producer: {topic} has {len(info.partitions)} partitions,"
                             f" not {partitions}")
        return
    try:
        admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(timeout=60)
    except KafkaException as error:
        if "TOPIC_ALREADY_EXISTS" not in str(error):
            raise
    for _ in range(100):  # metadata of a new topic reaches every client a little later
        info = admin.list_topics(topic, timeout=15).topics.get(topic)
        if info is not None and info.error is None and len(info.partitions) == partitions:
            return
        time.sleep(0.1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topic", default="kasocki_live")
    parser.add_argument("--rate", type=float, required=True, help="messages per second")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--bootstrap", default="localhost:9092")
    parser.add_argument("--create-only", action="store_true", help="create the topic and exit")
    args = parser.parse_args()
    ensure_topic(args.bootstrap, args.topic, args.partitions)
    if args.create_only:
        return 0
    producer = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 1, "acks": "all"})
    # Connected with the topic's metadata before the first timed message, so the first
    # messages do not carry the producer's start-up in their latency.
    producer.list_topics(args.topic, timeout=15)
    failures = []

    def delivered(error, _message):
        if error is not None:
            failures.append(error)

    stop = []
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.append(True))
    rng = random.Random()
    total = int(round(args.rate * args.seconds))
    started = time.monotonic()
    sent = 0
    while sent < total and not stop:
        elapsed = time.monotonic() - started
        due = min(total, int(args.rate * (int(elapsed * TICKS_PER_SECOND) + 1) / TICKS_PER_SECOND))
        now = time.time()
        while sent < due:
            event = make_event(rng, sent, now)
            value = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
            try:
                producer.produce(args.topic, value, key=event["title"].encode(),
                                 partition=sent % args.partitions, on_delivery=delivered)
            except BufferError:  # the local queue is full: a burst faster than the broker
                producer.poll(0.1)
                continue
            sent += 1
        producer.poll(0)
        next_tick = (int((time.monotonic() - started) * TICKS_PER_SECOND) + 1) / TICKS_PER_SECOND
        time.sleep(max(0.0, started + next_tick - time.monotonic()))
    took = time.monotonic() - started
    remaining = producer.flush(60)
    if failures or remaining:
        print(f"bench_rate_producer: {len(failures)} failed, {remaining} unacknowledged",
              file=sys.stderr)
        return 1
    print(f"bench_rate_producer: {sent} events into {args.topic} in {took:.1f}s "
          f"({sent / took:.0f}/s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
