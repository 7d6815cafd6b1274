"""The send-queue peak gauge counts SSE streams: a server whose only client is an SSE stream
reports the bytes that stream held queued. Does I/O: a child process (kasocki), Kafka produce,
HTTP.
"""

from __future__ import annotations

from gateway_fixture import metric_samples
from sse_helpers import SseReader, produce_numbered, stream_url

pytest_plugins = ["gateway_fixture"]


def test_send_queue_peak_counts_an_sse_stream(kasocki_server, fresh_topic, produce):
    topic = fresh_topic(1)
    server = kasocki_server()  # its own server: no socket.io session has queued anything
    produce_numbered(produce, topic, 0, 20)
    reader = SseReader(stream_url(server, [topic], since=0))
    try:
        events = reader.events(20)
    finally:
        reader.close()
    assert len(events) == 20
    # Every event was queued before it was written: the peak is at least the largest event.
    largest = max(len(e.data) for e in events)
    assert metric_samples(server)["kasocki_send_queue_peak_bytes"] >= largest
