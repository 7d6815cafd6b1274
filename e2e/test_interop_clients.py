"""Interop of `kasocki testserver` with Socket.IO clients we did not write.

The official JavaScript socket.io-client 4.x (e2e/js/interop_v4.js, run by node), a socket.io
2.x JavaScript client over Engine.IO v3 (e2e/js/interop_v2.js), and python-socketio's client,
each over long-polling (then upgrade, for 4.x) and websocket only: connect with auth, events both
ways, acks, binary arguments, the /custom namespace and a refused unknown namespace.
Does I/O: runs node child processes and network clients against a testserver child process.
"""

import json
import pathlib
import queue
import shutil
import subprocess

import pytest
import socketio

pytest.register_assert_rewrite("testserver_fixture")  # before the import below
from testserver_fixture import DEADLINE_S  # noqa: E402

pytest_plugins = ["testserver_fixture"]  # the `testserver` and `server` fixtures

JS = pathlib.Path(__file__).resolve().parent / "js"


def run_node(script, *args):
    node = shutil.which("node")
    assert node, "node is not installed (scripts/setup.sh)"
    assert (JS / "node_modules").is_dir(), f"{JS}/node_modules missing: run scripts/setup.sh"
    done = subprocess.run([node, str(JS / script), *args], capture_output=True, text=True, timeout=60)
    lines = done.stdout.strip().splitlines()
    assert lines, f"{script} printed nothing; stderr:\n{done.stderr}"
    result = json.loads(lines[-1])
    assert done.returncode == 0 and "error" not in result, f"{result.get('error')}\n{done.stderr}"
    return result


def b(*values):
    return {"bytes": list(values)}


@pytest.mark.parametrize("mode", ["polling", "websocket"])
def test_js_client_v4(server, mode):
    result = run_node("interop_v4.js", server.http, mode)
    if mode == "polling":
        assert (result["opened_transport"], result["upgraded_to"]) == ("polling", "websocket")
    else:
        assert result["opened_transport"] == "websocket" and "upgraded_to" not in result
    assert result["auth"] == {"token": "abc"}
    assert result["message_back"] == [1, "2", {"3": [True]}]
    assert result["ack"] == ["hi", {"a": 1}]
    assert result["binary_back"] == [b(1, 2, 3), {"nested": b(4, 5)}, "text"]
    assert result["binary_ack"] == [b(6, 7, 8)]
    assert result["final_transport"] == "websocket"
    assert result["after_upgrade"] == ["after-upgrade", b(9)]
    assert result["custom_auth"] == {"token": "c"}
    assert result["custom_multiplexed"] is True
    assert result["unknown_namespace_error"] == "Invalid namespace"
    assert result["ack_after_refusal"] == ["still"]


@pytest.mark.parametrize("mode", ["polling", "websocket"])
def test_js_client_v2(server, mode):
    result = run_node("interop_v2.js", server.http, mode)
    assert result["transport"] == ("websocket" if mode == "websocket" else "polling")
    assert result["protocol_query"] == 3
    assert result["auth_received"] is True
    assert result["message_back"] == [1, "h\u00e9llo \U0001f600", {"3": [True]}]
    assert result["ack"] == ["hi", {"a": 1}]
    assert result["binary_back"] == [b(1, 2, 3), {"nested": b(4, 5)}, "text"]
    assert result["binary_ack"] == [b(6, 7, 8)]
    assert result["custom_auth"] == {"token": "v2"}
    assert result["unknown_namespace_error"] == "Invalid namespace"
    assert result["ack_after_refusal"] == ["still"]


TRANSPORTS = pytest.mark.parametrize("transports", [["polling", "websocket"], ["websocket"]],
                                     ids=["polling-upgrade", "websocket"])


@TRANSPORTS
def test_python_socketio_client(server, transports):
    events = queue.Queue()
    sio = socketio.Client(reconnection=False)
    sio.on("auth", lambda data: events.put(("auth", "/", data)))
    sio.on("auth", lambda data: events.put(("auth", "/custom", data)), namespace="/custom")
    sio.on("message-back", lambda *args: events.put(("message-back", "/", args)))

    def next_event():
        return events.get(timeout=DEADLINE_S)

    sio.connect(server.http, auth={"token": "py"}, transports=transports, namespaces=["/", "/custom"],
                wait_timeout=DEADLINE_S)
    try:
        assert sio.transport() == "websocket"  # python-engineio upgrades during connect
        auths = dict(event[1:] for event in (next_event(), next_event()))
        assert auths == {"/": {"token": "py"}, "/custom": {"token": "py"}}

        sio.emit("message", (1, "2", {"3": [True]}, None))
        assert next_event() == ("message-back", "/", (1, "2", {"3": [True]}, None))
        assert sio.call("message-with-ack", ("hi", {"a": 1}), timeout=DEADLINE_S) == ("hi", {"a": 1})

        sio.emit("message", (b"\x01\x02\x03", {"nested": b"\x04\x05"}, "text"))
        assert next_event() == ("message-back", "/", (b"\x01\x02\x03", {"nested": b"\x04\x05"}, "text"))
        assert sio.call("message-with-ack", b"\x06\x07\x08", timeout=DEADLINE_S) == b"\x06\x07\x08"
        assert sio.call("message-with-ack", ("h\u00e9llo", b""), timeout=DEADLINE_S) == ("h\u00e9llo", b"")
    finally:
        sio.disconnect()


@TRANSPORTS
def test_python_socketio_unknown_namespace(server, transports):
    errors = queue.Queue()
    sio = socketio.Client(reconnection=False)
    sio.on("connect_error", lambda data: errors.put(data), namespace="/random")
    with pytest.raises(socketio.exceptions.ConnectionError):
        sio.connect(server.http, transports=transports, namespaces=["/random"], wait_timeout=DEADLINE_S)
    assert errors.get(timeout=DEADLINE_S) == {"message": "Invalid namespace"}
    sio.disconnect()
