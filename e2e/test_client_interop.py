"""Our C++ socket.io client against a server we did not write (python-socketio, see
py_socketio_server.py), over websocket, polling with upgrade, and polling only: connect with
auth, CONNECT_ERROR, events both ways, acks both ways (and an ack timeout), raw argument text,
binary arguments both ways, pings answered, a dead server detected, clean disconnect.
Runs build_dir/tests/sio_client_probe (tests/tools/sio_client_probe.cpp). Does I/O: child
processes on loopback ports.
"""

import json
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from conftest import free_port

SERVER = pathlib.Path(__file__).resolve().parent / "py_socketio_server.py"
PROBE_TIMEOUT_S = 60

AUTH = {"token": "abc", "n": 1}
BINARY = [{"hex": "01020300ff"}, "text", {"b": {"hex": "09"}}]


@pytest.fixture
def probe(build_dir) -> pathlib.Path:
    path = build_dir / "tests" / "sio_client_probe"
    if not path.exists():
        pytest.fail(f"{path} is not built (cmake --build {build_dir} --target sio_client_probe)")
    return path


@pytest.fixture
def server(start_process):
    port = free_port()
    process = start_process([sys.executable, SERVER, port], port=port)
    process.url = f"http://127.0.0.1:{port}"
    return process


def server_log(process) -> list[dict]:
    return [json.loads(line) for line in process.stdout().splitlines() if line.strip()]


def await_server_event(process, name: str, timeout: float = 10.0) -> dict:
    """The server logs asynchronously: poll its log until the event shows up."""
    deadline = time.monotonic() + timeout
    while True:
        events = [e for e in server_log(process) if e["event"] == name]
        if events:
            return events[-1]
        assert time.monotonic() < deadline, f"no {name} in the server log: {process.stdout()}"
        time.sleep(0.05)


def run_probe(probe, url, transport, scenario) -> list[dict]:
    done = subprocess.run([probe, url, transport, scenario], capture_output=True, text=True,
                          timeout=PROBE_TIMEOUT_S)
    assert done.returncode == 0, f"probe failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.mark.parametrize("transport,final_transport", [
    ("websocket", "websocket"),
    ("polling", "websocket"),        # polling handshake, then upgraded
    ("polling_only", "polling"),
])
def test_full_conversation(probe, server, transport, final_transport):
    lines = run_probe(probe, server.url, transport, "full")
    connected = {"step": "connected", "sid": True, "ping_interval": 1000}
    assert lines == [
        # The server emits hello from its connect handler: it may come before CONNECT's answer.
        {"step": "hello", "args": [AUTH]},
        {**connected, "transport": final_transport},
        {"step": "echo", "error": "Success", "args": ["x", 1, {"a": [True, None]}]},
        {"step": "raw-back", "text": '"x",{"k":[1,2]}'},
        {"step": "question", "args": ["what?"], "ack_wanted": True},
        {"step": "asked", "args": ["answer to", "what?"]},
        {"step": "bin-back", "args": BINARY},
        {"step": "bin", "error": "Success", "args": BINARY},
        {"step": "echo-raw", "error": "Success", "text": '1,"two",{"3":[4]}'},
        {"step": "noack", "error": "ack timeout", "args": []},
        {"step": "after-idle", "error": "Success", "args": ["still here"]},
        {**connected, "transport": final_transport},
        {"step": "closed", "error": ""},
    ]
    # What the server saw: the auth object, the client's ack, binary as bytes, a clean leave.
    assert await_server_event(server, "connect")["auth"] == AUTH
    assert await_server_event(server, "asked")["reply"] == ["answer to", "what?"]
    assert await_server_event(server, "bin")["args"] == ["01020300ff", "text", {"b": "09"}]
    assert await_server_event(server, "disconnect")["reason"] == "client disconnect"


@pytest.mark.parametrize("transport", ["websocket", "polling_only"])
def test_connect_error_is_surfaced(probe, server, transport):
    lines = run_probe(probe, server.url, transport, "refused")
    assert lines == [{"step": "connect_error", "error": "connection refused by server",
                      "data": {"message": "bad token"}}]


def test_unreachable_server(probe):
    done = subprocess.run([probe, f"http://127.0.0.1:{free_port()}", "websocket", "full"],
                          capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    assert done.returncode == 1
    line = json.loads(done.stdout.splitlines()[0])
    assert line["step"] == "connect_error" and line["data"] is None


@pytest.mark.parametrize("transport", ["websocket", "polling_only"])
def test_dead_server_detected_by_missing_pings(probe, server, transport):
    child = subprocess.Popen([probe, server.url, transport, "dead"], stdout=subprocess.PIPE,
                             text=True)
    try:
        seen = []
        while not seen or seen[-1]["step"] != "connected":
            line = child.stdout.readline()
            assert line, f"probe ended early: {seen}"
            seen.append(json.loads(line))
        server.popen.send_signal(signal.SIGSTOP)  # alive but silent: no more pings
        started = time.monotonic()
        out, _ = child.communicate(timeout=PROBE_TIMEOUT_S)
        elapsed = time.monotonic() - started
    finally:
        server.popen.send_signal(signal.SIGCONT)
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0
    assert [json.loads(line) for line in out.splitlines()] == [
        {"step": "closed", "error": "ping timeout"}]
    # Detected after about pingInterval + pingTimeout (2 s), not at the probe's own timeout.
    assert elapsed < 10.0
