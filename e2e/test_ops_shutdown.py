"""Graceful shutdown of `kasocki serve`: SIGTERM or SIGINT with clients subscribed and reading on
both transports tells every client (Engine.IO close), closes the Kafka consumers and exits 0
within 5 s; a second signal exits at once. Does I/O: child processes, HTTP, socket.io."""

from __future__ import annotations

import json
import signal
import time

import pytest
import requests
import websocket

from conftest import free_port

pytest_plugins = ["gateway_fixture"]

ONE = "kasocki_test_one"
DEADLINE_S = 15.0


def start_serve(start_process, kasocki_bin, kafka_bootstrap, *args):
    port = free_port()
    process = start_process([kasocki_bin, "serve", "--listen", f"127.0.0.1:{port}", "--brokers",
                             kafka_bootstrap, "--log-level", "info",
                             "-X", "statistics.interval.ms=200", *args], port=port)

    class Server:
        url = f"http://127.0.0.1:{port}"

    return process, Server


def wait_until(predicate, what: str, timeout: float = DEADLINE_S):
    """Polls a condition that has no event to wait on (a log line, a scrape)."""
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return result


def log_lines(process) -> list[dict]:
    return [json.loads(line) for line in process.stderr().splitlines() if line.strip()]


def open_consumers(server) -> float:
    text = requests.get(f"{server.url}/metrics", timeout=DEADLINE_S).text
    for line in text.splitlines():
        if line.startswith("kasocki_kafka_consumers "):
            return float(line.split()[1])
    return -1


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_with_clients_on_both_transports_exits_0_within_5_s(
        start_process, connect, kasocki_bin, kafka_bootstrap, signum):
    process, server = start_serve(start_process, kasocki_bin, kafka_bootstrap)
    clients = [connect(server, transports=(t,)) for t in ("websocket", "polling")]
    for client in clients:
        client.ok("subscribe", [{"topic": ONE, "partition": 0, "offset": 0}])
        client.ok("start")
        client.messages(10)
    # The consumer (the shared tail's, which both read) has reported statistics, so the final
    # log line can account for it.
    wait_until(lambda: open_consumers(server) >= 1, "the Kafka consumer in /metrics")

    started = time.monotonic()
    process.popen.send_signal(signum)
    status = process.popen.wait(timeout=10)
    elapsed = time.monotonic() - started
    assert status == 0, process.stderr()[-2000:]
    assert elapsed < 5.0, f"shutdown took {elapsed:.2f}s"
    for client in clients:  # told by the server, not by a dead connection after the exit
        assert client.disconnected.wait(DEADLINE_S)
    lines = log_lines(process)
    [shutting] = [line for line in lines if line["msg"] == "shutting down"]
    assert shutting["signal"] == signum and shutting["sessions"] == 2
    [stopped] = [line for line in lines if line["msg"] == "stopped"]
    assert stopped["kafka_consumers_open"] == 0


def test_clients_get_an_engineio_close(start_process, kasocki_bin, kafka_bootstrap):
    process, server = start_serve(start_process, kasocki_bin, kafka_bootstrap)
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{server.url.rsplit(':', 1)[1]}/socket.io/?EIO=4&transport=websocket",
        timeout=DEADLINE_S)
    assert ws.recv().startswith("0{")
    # A polling session on a keep-alive connection, which stays usable after the listener
    # stops accepting: its next poll after the signal gets the close packet.
    polling = requests.Session()
    handshake = polling.get(f"{server.url}/socket.io/?EIO=4&transport=polling", timeout=DEADLINE_S)
    sid = json.loads(handshake.text[1:])["sid"]

    process.popen.send_signal(signal.SIGTERM)
    frames = []
    while not frames or frames[-1] == "2":  # a ping may come first
        frames.append(ws.recv())
    assert frames[-1] == "1"
    wait_until(lambda: any(line["msg"] == "shutting down" for line in log_lines(process)),
               "the 'shutting down' log line")
    poll = polling.get(f"{server.url}/socket.io/?EIO=4&transport=polling&sid={sid}",
                       timeout=DEADLINE_S)
    assert poll.text == "1"
    assert process.popen.wait(timeout=10) == 0


def test_second_signal_exits_at_once(start_process, kasocki_bin, kafka_bootstrap):
    process, server = start_serve(start_process, kasocki_bin, kafka_bootstrap)
    # A polling session that never polls again: the graceful path waits for its close to be
    # fetched (up to its deadline), which the second signal cuts short.
    handshake = requests.get(f"{server.url}/socket.io/?EIO=4&transport=polling",
                             timeout=DEADLINE_S)
    assert handshake.status_code == 200
    first = time.monotonic()
    process.popen.send_signal(signal.SIGTERM)
    wait_until(lambda: any(line["msg"] == "shutting down" for line in log_lines(process)),
               "the 'shutting down' log line")
    assert process.alive()
    second = time.monotonic()
    process.popen.send_signal(signal.SIGTERM)
    status = process.popen.wait(timeout=5)
    assert time.monotonic() - second < 1.0
    assert time.monotonic() - first < 2.5  # the graceful path would have waited 3 s
    assert status != 0
