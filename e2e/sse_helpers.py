"""Helpers of the SSE e2e suites (e2e/test_sse_*.py): a minimal reader of an SSE or NDJSON
response that keeps every line as the server wrote it, so the tests can check the wire (comments,
field order, blank lines) and not only what a client library makes of it. Does I/O: HTTP.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
import urllib.parse

import requests

DEADLINE_S = 15.0


@dataclasses.dataclass
class Event:
    event: str | None
    id: str | None
    data: str

    def json(self):
        return json.loads(self.data)


def stream_url(server, topics, **query) -> str:
    path = "/v2/stream/" + ",".join(urllib.parse.quote(t, safe="") for t in topics)
    if query:
        path += "?" + urllib.parse.urlencode(query)
    return server.url + path


class SseReader:
    """GET a stream with requests (stream=True); lines() yields raw lines, events() parsed events."""

    def __init__(self, url: str, headers: dict | None = None, timeout: float = DEADLINE_S):
        self.response = requests.get(url, headers=headers or {}, stream=True, timeout=timeout)
        # Own line splitting: requests' iter_lines yields an extra empty line whenever a chunk
        # ends with the delimiter, which would fake the blank lines this suite checks.
        self._chunks = self.response.iter_content(chunk_size=None)
        self._buffer = b""
        self.comments: list[str] = []

    def line(self) -> str:
        """The next line without its LF; StopIteration at the end of the response."""
        while b"\n" not in self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                raise StopIteration
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()

    def next_event(self) -> Event | None:
        """The next event (comments are kept in self.comments); None at the end of the stream."""
        fields: dict[str, list[str]] = {}
        try:
            while True:
                line = self.line()
                if line == "":
                    if fields:
                        return Event(fields.get("event", [None])[0], fields.get("id", [None])[0],
                                     "\n".join(fields.get("data", [])))
                    continue
                if line.startswith(":"):
                    self.comments.append(line)
                    continue
                name, _, value = line.partition(":")
                fields.setdefault(name, []).append(value[1:] if value.startswith(" ") else value)
        except StopIteration:
            return None

    def events(self, count: int) -> list[Event]:
        out = []
        while len(out) < count:
            e = self.next_event()
            assert e is not None, f"the stream ended after {len(out)} of {count} events"
            out.append(e)
        return out

    def close(self) -> None:
        self.response.close()


def message_numbers(events) -> list[int]:
    return [e.json()["n"] for e in events if e.event == "message"]


def produce_numbered(produce, topic: str, start: int, count: int, partition=None):
    return produce(topic, [{"n": i} for i in range(start, start + count)], partition=partition)
