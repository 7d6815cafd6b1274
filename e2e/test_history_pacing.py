"""A history fetch goes at its readers' pace: `--history-fetch-lead` offsets ahead of the furthest
client reading behind it, it waits (parked: its fetcher takes nothing more from librdkafka, whose
bounded queue then stops fetching) and goes on when they come near; a parked fetch gives its
fetcher to a client that needs another range. Whatever the pauses and hand-overs, each client
gets its partition in order, nothing skipped or repeated. Real broker, python-socketio. Does I/O.
"""

from __future__ import annotations

from gateway_fixture import GatewayServer, metric_samples, poll_until
from history_fixture import delivered, pull

pytest_plugins = ["gateway_fixture", "history_fixture"]

COUNT = 2000  # per partition; the window holds a few dozen of them
LEAD = 50
READAHEAD = 20
MAX_READ = 128  # messages a session takes from the store at a time (tail_reader.cpp)


def values(count: int) -> list[dict]:
    return [{"n": i, "pad": "x" * 200} for i in range(count)]


def wait_metrics(server: GatewayServer, predicate, what: str) -> dict[str, float]:
    """Scrapes until predicate(metrics) holds (the figures have no event to wait on)."""
    return poll_until(lambda: metric_samples(server), predicate, what)


def offsets(client) -> list[int]:
    return [m["_kafka"]["offset"] for m in delivered(client)]


def test_a_fetch_ahead_of_its_reader_waits_for_it_and_gives_way_to_another(
        kasocki_server, connect, fresh_topic, produce):
    # One fetcher, and a parked fetch never ends by itself here (idle time of 10 minutes): the
    # second client is served only if the parked fetch gives way.
    server = kasocki_server("--history-fetchers", "1", "--history-fetch-lead", str(LEAD),
                            "--history-readahead", str(READAHEAD), "--history-idle-ms", "600000",
                            "--tail-window-kib", "16", "--tail-backfill", "0")
    topic = fresh_topic(2)
    # In record batches of 100: a fetch returns whole batches, however far they reach.
    for partition in (0, 1):
        for first in range(0, COUNT, 100):
            produce(topic, values(COUNT)[first:first + 100], partition=partition)

    slow = connect(server)
    slow.ok("subscribe", [{"topic": topic, "partition": 0, "offset": 0}])
    pull(slow, 100, depth=10)
    parked = wait_metrics(server, lambda s: s.get("kasocki_history_fetchers_parked") == 1,
                          "the fetch to wait for its reader")
    # Stored: what the client's session took to answer its consumes (up to one take of the
    # fetch past them), the lead and the read-ahead; not the whole partition (2,000 before the
    # fetches were paced by their readers).
    assert parked["kasocki_history_fetched_messages_total"] <= 100 + 2 * (LEAD + 1) + READAHEAD
    assert parked["kasocki_history_fetchers_busy"] == 1

    other = connect(server)
    other.ok("subscribe", [{"topic": topic, "partition": 1, "offset": 0}])
    pull(other, COUNT)
    assert offsets(other) == list(range(COUNT))

    # The first client's fetch ended for the other one: it resumes where the store ends.
    pull(slow, COUNT - 100)
    assert offsets(slow) == list(range(COUNT))
    assert [m["n"] for m in delivered(slow)] == list(range(COUNT))
    done = metric_samples(server)
    assert done["kasocki_history_jobs_total"] >= 3


def test_a_fetch_runs_the_lead_past_its_reader_not_past_the_read_ahead(
        kasocki_server, connect, fresh_topic, produce):
    # A read-ahead far beyond the lead: the reader asks for the offsets at the end of what is
    # cached each time it reads (at most MAX_READ messages). The fetch still runs only the lead
    # past the reader. It ran the lead past the read-ahead's position instead, so a lead further
    # at each read: here about 1,800 offsets after 600 consumes.
    lead, readahead, count, consumed = 300, 3000, 4000, 600
    server = kasocki_server("--history-fetchers", "1", "--history-fetch-lead", str(lead),
                            "--history-readahead", str(readahead), "--history-idle-ms", "600000",
                            "--tail-window-kib", "16", "--tail-backfill", "0")
    topic = fresh_topic(1)
    for first in range(0, count, 100):
        produce(topic, values(count)[first:first + 100], partition=0)

    client = connect(server)
    client.ok("subscribe", [{"topic": topic, "partition": 0, "offset": 0}])
    pull(client, consumed, depth=10)
    parked = wait_metrics(server, lambda s: s.get("kasocki_history_fetchers_parked") == 1,
                          "the fetch to wait for its reader")
    # The session has read at most one read past the consumes, and the fetch at most the lead
    # and one past the session.
    assert parked["kasocki_history_fetched_messages_total"] <= consumed + MAX_READ + lead + 1

    pull(client, count - consumed)
    assert offsets(client) == list(range(count))
