"""python-socketio on long-polling only, reading a burst: python-engineio's client refuses a poll
answer of more than 16 packets ("Too many packets in payload") and drops the session, so the
server answers a poll with at most --polling-max-packets (16) and the rest on the next poll.
Real broker, python-socketio's own client."""

from __future__ import annotations

import pytest


pytest_plugins = ["gateway_fixture"]


@pytest.mark.parametrize("how", ["start", "consume"])
def test_a_polling_python_client_reads_a_burst_on_one_session(gateway, connect, fresh_topic,
                                                               produce, how):
    topic = fresh_topic(1)
    produce(topic, [{"n": i} for i in range(300)])
    client = connect(gateway, transports=("polling",))
    client.ok("subscribe", [{"topic": topic, "partition": 0, "offset": 0}])
    if how == "start":
        client.ok("start")
        got = [m["n"] for m in client.messages(300)]
    else:
        # 300 consumes in flight: their acks queue up behind one another as the messages do.
        pending = [client.call_async("consume") for _ in range(300)]
        got = [p.message()["n"] for p in pending]
    assert got == list(range(300))
    assert not client.disconnected.is_set()
    assert client.sio.transport() == "polling"
