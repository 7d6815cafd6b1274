#!/usr/bin/env python3
"""Preloads the benchmark topic with realistic wiki recent-change JSON events (300-500 bytes),
then one sentinel event per partition. Does I/O: Kafka admin calls and produce.

    .venv/bin/python scripts/bench_producer.py [--topic kasocki_bench] [--count 1000000]
        [--partitions 6] [--bootstrap localhost:9092] [--force]

Does nothing when the topic already holds exactly --count events plus the sentinels (and starts
at offset 0); otherwise deletes and recreates it, so a half-finished preload is never reused.

Events are designed for the `filtered` benchmark scenario: `meta.domain` is one of 10 domains
(uniform, so "commons.wikimedia.org" is 10 %) and `title` starts with "Category:" for 10 % of
events, independently, so `meta.domain=commons.wikimedia.org` AND `title=/^Category:/` matches
about 1 %. The sentinel that ends each partition matches both filters, so a filtered replay can
tell it has reached the end of every partition.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

DOMAINS = ["en.wikipedia.org", "de.wikipedia.org", "fr.wikipedia.org", "ja.wikipedia.org",
           "es.wikipedia.org", "it.wikipedia.org", "ru.wikipedia.org", "commons.wikimedia.org",
           "www.wikidata.org", "meta.wikimedia.org"]
FILTER_DOMAIN = "commons.wikimedia.org"
USERS = ["Alice", "Bob", "Carol", "Dave", "Bérénice", "Sakura", "KafkaFan", "ClueBot NG",
         "InternetArchiveBot", "WikidataBot", "203.0.113.7", "2001:db8::1f", "Jürgen", "Олег"]
WORDS = ["History", "Kafka", "Stream", "Socket", "Zürich", "Tower", "Eiffel", "Q42", "Boost",
         "River", "Mountain", "Museum", "Station", "Festival", "Library", "東京", "Sunset"]
COMMENTS = ["fix typo", "/* History */ expand section", "Reverting possible vandalism", "",
            "add reference", "Neuer Artikel", "précision", "copyedit (minor)",
            "[[WP:AES|←]]Redirected page to [[Main Page]]", "Updated population figures"]
TAGS = ["visualeditor", "mobile edit", "mobile web edit", "mw-rollback", "mw-reverted"]


def make_title(rng: random.Random) -> str:
    words = "_".join(rng.choices(WORDS, k=rng.randint(1, 2)))
    number = rng.randint(1, 50_000)
    if rng.random() < 0.10:  # independent of the domain: 10 % of events
        return f"Category:{words}_{number}"
    prefix = rng.choices(["", "File:", "Talk:", "User:"], weights=[80, 8, 7, 5])[0]
    return f"{prefix}{words}_{number}"


def make_event(rng: random.Random, serial: int, now: float) -> dict:
    title = make_title(rng)
    domain = rng.choice(DOMAINS)
    user = rng.choice(USERS)
    kind = rng.choices(["edit", "new", "log"], weights=[80, 12, 8])[0]
    old = None if kind == "new" else rng.randint(100, 200_000)
    new = None if kind == "log" else (old or 0) + rng.randint(-500, 2_000)
    event = {
        "type": kind,
        "id": serial,
        "title": title,
        "namespace": 14 if title.startswith("Category:") else 6 if title.startswith("File:") else 0,
        "user": user,
        "bot": user.endswith("Bot") or user.endswith("NG"),
        "minor": rng.random() < 0.2,
        "comment": rng.choice(COMMENTS),
        "length": {"old": old, "new": new},
        "timestamp": int(now),
        "tags": rng.sample(TAGS, rng.randint(0, 2)),
        "meta": {
            "domain": domain,
            "uri": f"https://{domain}/wiki/{title}",
            "dt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "stream": "mediawiki.recentchange",
        },
    }
    if kind == "log":
        event["log_type"] = rng.choice(["block", "delete", "move", "protect"])
    return event


def watermarks(bootstrap: str, topic: str, partitions: int) -> list[tuple[int, int]] | None:
    from confluent_kafka import TopicPartition
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "kasocki-bench-probe",
                         "enable.auto.commit": False})
    try:
        return [consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=15)
                for p in range(partitions)]
    finally:
        consumer.close()


def topic_ready(admin: AdminClient, bootstrap: str, topic: str, count: int,
                partitions: int) -> bool:
    metadata = admin.list_topics(timeout=15)
    info = metadata.topics.get(topic)
    if info is None or info.error is not None or len(info.partitions) != partitions:
        return False
    marks = watermarks(bootstrap, topic, partitions)
    return all(low == 0 for low, _ in marks) and sum(h for _, h in marks) == count + partitions


def recreate(admin: AdminClient, topic: str, partitions: int) -> None:
    if topic in admin.list_topics(timeout=15).topics:
        admin.delete_topics([topic])[topic].result(timeout=60)
        for _ in range(120):  # deletion is asynchronous in the broker
            if topic not in admin.list_topics(timeout=15).topics:
                break
            time.sleep(0.5)
    for _ in range(60):
        try:
            admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(timeout=60)
            return
        except KafkaException as error:
            if "TOPIC_ALREADY_EXISTS" not in str(error) and "marked for deletion" not in str(error):
                raise
            time.sleep(0.5)
    raise SystemExit(f"bench_producer: cannot recreate {topic}")


def produce(bootstrap: str, topic: str, count: int, partitions: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50, "batch.size": 1 << 20,
                         "queue.buffering.max.messages": 500_000,
                         "queue.buffering.max.kbytes": 1 << 20, "acks": 1})
    failures = []

    def delivered(error, _message):
        if error is not None:
            failures.append(error)

    rng = random.Random(20240601)
    started = time.time()
    sizes = 0
    now = started
    for serial in range(count):
        if serial % 1000 == 0:
            now = time.time()
        event = make_event(rng, serial, now)
        value = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        sizes += len(value)
        while True:
            try:
                # Keyed by title like a real feed; spread round-robin so partitions are equal.
                producer.produce(topic, value, key=event["title"].encode(),
                                 on_delivery=delivered, partition=serial % partitions)
                break
            except BufferError:
                producer.poll(0.1)
        if serial % 10_000 == 0:
            producer.poll(0)
    producer.flush(120)
    # One sentinel per partition, last, matching the filtered scenario's filters.
    for p in range(partitions):
        sentinel = make_event(rng, count + p, time.time())
        sentinel["title"] = f"Category:Bench_end_of_partition_{p}"
        sentinel["meta"]["domain"] = FILTER_DOMAIN
        sentinel["bench_sentinel"] = True
        producer.produce(topic, json.dumps(sentinel, separators=(",", ":")).encode(), partition=p, on_delivery=delivered)
    producer.flush(120)
    if failures:
        raise SystemExit(f"bench_producer: {len(failures)} deliveries failed: {failures[0]}")
    took = time.time() - started
    print(f"bench_producer: {count} events ({sizes / count:.0f} bytes on average) + {partitions} "
          f"sentinels into {topic} in {took:.1f}s", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topic", default="kasocki_bench")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--bootstrap", default="localhost:9092")
    parser.add_argument("--force", action="store_true", help="recreate even when complete")
    args = parser.parse_args()
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    if not args.force and topic_ready(admin, args.bootstrap, args.topic, args.count,
                                      args.partitions):
        print(f"bench_producer: {args.topic} already holds {args.count} events", file=sys.stderr)
        return 0
    recreate(admin, args.topic, args.partitions)
    produce(args.bootstrap, args.topic, args.count, args.partitions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
