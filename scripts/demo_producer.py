#!/usr/bin/env python3
"""Produces a continuous stream of realistic wiki-edit-like JSON events to a Kafka topic, for
demos and manual testing of the gateway. Does I/O: creates the topic when missing, produces.

    .venv/bin/python scripts/demo_producer.py [--topic kasocki_demo] [--rate 10] [--count 0]

Each event is keyed by its page title, so edits of one page stay in order on one partition.
Stops on Ctrl-C or SIGTERM after flushing what was produced.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
import uuid
from datetime import datetime, timezone

from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

DOMAINS = ["en.wikipedia.org", "de.wikipedia.org", "fr.wikipedia.org", "ja.wikipedia.org",
           "commons.wikimedia.org", "www.wikidata.org"]
USERS = ["Alice", "Bob", "Carol", "Dave", "Bérénice", "Sakura", "KafkaFan", "ClueBot NG",
         "InternetArchiveBot", "WikidataBot", "203.0.113.7"]
TITLES = ["Main_Page", "Apache_Kafka", "Socket.IO", "WebSocket", "Zürich", "Tour_Eiffel",
          "東京タワー", "Q42", "File:Sunset.jpg", "Category:Streaming", "C++20", "Boost_(C++)"]
TAGS = ["visualeditor", "mobile edit", "mobile web edit", "mw-rollback", "mw-reverted"]


def make_event(rng: random.Random, serial: int) -> dict:
    user = rng.choice(USERS)
    title = rng.choice(TITLES)
    domain = rng.choice(DOMAINS)
    kind = rng.choices(["edit", "new", "log"], weights=[80, 12, 8])[0]
    now = time.time()
    old = None if kind == "new" else rng.randint(100, 200_000)
    new = None if kind == "log" else (old or 0) + rng.randint(-500, 2_000)
    event = {
        "type": kind,
        "id": serial,
        "title": title,
        "namespace": 6 if title.startswith("File:") else 14 if title.startswith("Category:") else 0,
        "user": user,
        "bot": user.endswith("Bot") or user.endswith("NG"),
        "minor": rng.random() < 0.2,
        "comment": rng.choice(["fix typo", "/* History */ expand", "Reverting vandalism", "",
                               "add reference", "Neuer Artikel", "précision"]),
        "length": {"old": old, "new": new},
        "timestamp": int(now),
        "tags": rng.sample(TAGS, rng.randint(0, 2)),
        "meta": {
            "domain": domain,
            "uri": f"https://{domain}/wiki/{title}",
            "dt": datetime.fromtimestamp(now, timezone.utc).isoformat(timespec="milliseconds"),
            "id": str(uuid.uuid4()),
            "stream": "mediawiki.recentchange",
        },
    }
    if kind == "log":
        event["log_type"] = rng.choice(["block", "delete", "move", "protect"])
    return event


def ensure_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    if topic in admin.list_topics(timeout=15).topics:
        return
    try:
        admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(timeout=30)
        print(f"created topic {topic} with {partitions} partitions", file=sys.stderr)
    except KafkaException as error:  # created meanwhile by someone else: fine
        if "TOPIC_ALREADY_EXISTS" not in str(error):
            raise


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP", "localhost:9092"))
    parser.add_argument("--topic", default="kasocki_demo")
    parser.add_argument("--partitions", type=int, default=3, help="when creating the topic")
    parser.add_argument("--rate", type=float, default=10.0, help="messages per second")
    parser.add_argument("--count", type=int, default=0, help="stop after N messages (0: never)")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()

    ensure_topic(args.bootstrap, args.topic, args.partitions)
    producer = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 5})
    rng = random.Random(args.seed)
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    interval = 1.0 / args.rate if args.rate > 0 else 0.0
    next_at = time.monotonic()
    sent = 0
    print(f"producing to {args.topic} at {args.bootstrap}, {args.rate:g}/s", file=sys.stderr)
    while not stopping and (args.count == 0 or sent < args.count):
        event = make_event(rng, sent + 1)
        producer.produce(args.topic, json.dumps(event, ensure_ascii=False).encode(),
                         key=event["title"].encode())
        producer.poll(0)
        sent += 1
        # Pacing against a schedule, not a fixed sleep, so the rate holds whatever produce costs.
        next_at += interval
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    left = producer.flush(10)
    print(f"produced {sent} messages ({left} undelivered)", file=sys.stderr)
    return 0 if left == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
