"""Fixtures and raw-wire helpers for the protocol conformance and interop suites.

Starts `kasocki testserver` (the reference-behaviour server of socketio-wire.md) on a free
loopback port and waits until it accepts connections. Does I/O: a child process, TCP, HTTP and
websocket connections to it.

Register it in a test module with `pytest_plugins = ["testserver_fixture"]` and import the
helpers by name. `testserver` is one server for the whole pytest session; `server` is the per-test handle that
also fails the test when the server process died during it (a crash must not hide as a timeout).

The binary is $KASOCKI_BIN, else $KASOCKI_BUILD_DIR/cli/kasocki, else <repo>/build/cli/kasocki.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import pathlib
import socket
import subprocess
import tempfile
import time

import pytest
import requests
import websocket

from conftest import StartError, listens, lost_port_race, start_on_free_port

REPO = pathlib.Path(__file__).resolve().parent.parent
# Every wait on the server has this deadline: generous, because the machine may be loaded and
# the build may be a sanitizer build; the tests never wait for it unless the server misbehaves.
DEADLINE_S = 5.0
# The testserver's fixed settings (socketio-wire.md, "Behaviours the official test suites check").
PING_INTERVAL_MS = 300
PING_TIMEOUT_MS = 200
CONNECT_TIMEOUT_MS = 1000
MAX_PAYLOAD = 1_000_000


def kasocki_bin() -> pathlib.Path:
    if os.environ.get("KASOCKI_BIN"):
        return pathlib.Path(os.environ["KASOCKI_BIN"])
    build_dir = pathlib.Path(os.environ.get("KASOCKI_BUILD_DIR", REPO / "build"))
    return build_dir / "cli" / "kasocki"


@dataclasses.dataclass
class TestServer:
    host: str
    port: int
    process: subprocess.Popen
    stderr_path: pathlib.Path

    __test__ = False  # not a test class, despite the name

    @property
    def http(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None


def _wait_accepting(server: TestServer) -> None:
    """Polls until the server itself listens on its port: the awaited condition of "started"."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if not server.alive():
            returncode, output = server.process.returncode, server.stderr()
            raise StartError(f"kasocki testserver exited with {returncode}:\n{output}",
                             lost_port_race(returncode, output))
        if listens(server.process.pid, server.port):
            return
        time.sleep(0.05)  # /proc has no event to wait on
    raise TimeoutError(f"kasocki testserver did not listen on {server.port}:\n{server.stderr()}")


def start_testserver() -> TestServer:
    binary = kasocki_bin()
    if not binary.exists():
        raise RuntimeError(f"{binary} not built (build target kasocki_cli, or set KASOCKI_BIN)")

    def start_once(port: int) -> TestServer:
        stderr_file = tempfile.NamedTemporaryFile(prefix="kasocki-testserver-", suffix=".log", delete=False)
        process = subprocess.Popen(
            [str(binary), "testserver", "--listen", f"127.0.0.1:{port}"],
            stdin=subprocess.DEVNULL,
            stdout=stderr_file,
            stderr=subprocess.STDOUT,
        )
        server = TestServer("127.0.0.1", port, process, pathlib.Path(stderr_file.name))
        try:
            _wait_accepting(server)
        except BaseException:
            stop_testserver(server)
            raise
        return server

    # Only a port taken between free_port() and the bind is retried; a crash, a bad exit status
    # or no listen in time fails at once with the server's output.
    return start_on_free_port(start_once)


def stop_testserver(server: TestServer) -> None:
    if server.alive():
        server.process.terminate()
        try:
            server.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture(scope="session")
def testserver():
    server = start_testserver()
    yield server
    stop_testserver(server)
    print(f"\n--- kasocki testserver log ({server.stderr_path}) ---\n{server.stderr()[-4000:]}")


@pytest.fixture
def server(testserver):
    if not testserver.alive():
        pytest.fail(f"kasocki testserver is not running:\n{testserver.stderr()[-4000:]}")
    yield testserver
    if not testserver.alive():
        pytest.fail(
            f"kasocki testserver died during this test (exit {testserver.process.returncode}):\n"
            f"{testserver.stderr()[-4000:]}"
        )


# ---- raw Engine.IO helpers (exact bytes on the wire) ----


def utf16_len(text):
    return len(text.encode("utf-16-le")) // 2


def v3_encode(packets):
    return "".join(f"{utf16_len(p)}:{p}" for p in packets)


def v3_decode(payload):
    """Splits a v3 text payload `<length>:<packet>...`; the length counts UTF-16 code units."""
    packets, pos = [], 0
    while pos < len(payload):
        colon = payload.index(":", pos)
        units, end = int(payload[pos:colon]), colon + 1
        while units > 0:
            units -= 2 if ord(payload[end]) > 0xFFFF else 1
            end += 1
        assert units == 0, payload
        packets.append(payload[colon + 1:end])
        pos = end
    return packets


def eio_url(server: TestServer, path: str, eio: int = 4, transport: str = "polling", sid: str | None = None,
            extra: str = "") -> str:
    url = f"{server.http}{path}?EIO={eio}&transport={transport}"
    if sid is not None:
        url += f"&sid={sid}"
    return url + extra


def http_get(url: str, **kwargs) -> requests.Response:
    return requests.get(url, timeout=DEADLINE_S, **kwargs)


def http_post(url: str, body: bytes | str, **kwargs) -> requests.Response:
    if isinstance(body, str):
        body = body.encode()
    return requests.post(url, data=body, timeout=DEADLINE_S, **kwargs)


def open_polling_session(server: TestServer, path: str) -> str:
    response = http_get(eio_url(server, path))
    assert response.status_code == 200, response.text
    assert response.text.startswith("0"), response.text
    return json.loads(response.text[1:])["sid"]


def _tcp_receive_queue(local_port: int, remote_port: int) -> int | None:
    """Bytes received but not yet read on the loopback socket local_port <- remote_port, or
    None when there is no such socket (from /proc/net/tcp)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in pathlib.Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = fields[1].rsplit(":", 1)[1], fields[2].rsplit(":", 1)[1]
            if int(local, 16) == local_port and int(remote, 16) == remote_port:
                return int(fields[4].split(":")[1], 16)
    return None


def _server_idle(server: TestServer) -> bool:
    """True when every thread of the testserver sleeps: its event loop waits for I/O, with no
    handler left to run (a handler that is ready keeps the loop from blocking)."""
    tasks = pathlib.Path(f"/proc/{server.process.pid}/task")
    states = [(task / "stat").read_text().rsplit(")", 1)[1].split()[0] for task in tasks.iterdir()]
    return all(state == "S" for state in states)


class PendingGet:
    """A polling GET sent on a socket of its own, returned once the server has taken it: the
    request's bytes have been read from the server's socket and then the server went idle, so
    the GET is parked in the session. No packet says so, hence the look at /proc."""

    def __init__(self, server: TestServer, url: str):
        assert url.startswith(server.http), url
        self.sock = socket.create_connection((server.host, server.port), timeout=DEADLINE_S)
        client_port = self.sock.getsockname()[1]
        self.sock.sendall(f"GET {url[len(server.http):]} HTTP/1.1\r\nHost: {server.host}:"
                          f"{server.port}\r\nConnection: close\r\n\r\n".encode())
        deadline = time.monotonic() + DEADLINE_S
        # Unread bytes first, idleness second: idle after the bytes were read means handled.
        while not (_tcp_receive_queue(server.port, client_port) == 0 and _server_idle(server)):
            assert server.alive() and time.monotonic() < deadline, "the GET was not taken"
            time.sleep(0.005)  # /proc has no event to wait on

    def result(self) -> tuple[int, str]:
        """(status, body) of the answer, once it comes."""
        with self.sock:
            response = http.client.HTTPResponse(self.sock)
            response.begin()
            return response.status, response.read().decode()


def ws_connect(server: TestServer, path: str, eio: int = 4, sid: str | None = None,
               extra: str = "") -> websocket.WebSocket:
    url = f"{server.ws}{path}?EIO={eio}&transport=websocket" + (f"&sid={sid}" if sid else "") + extra
    return websocket.create_connection(url, timeout=DEADLINE_S)


def ws_recv(ws: websocket.WebSocket) -> str | bytes:
    """Next data frame: str for a text frame, bytes for a binary one. Fails on a close."""
    opcode, data = ws.recv_data(control_frame=False)
    if opcode == websocket.ABNF.OPCODE_TEXT:
        return data.decode()
    if opcode == websocket.ABNF.OPCODE_BINARY:
        return bytes(data)
    raise AssertionError(f"expected a data frame, got opcode {opcode} {data!r}")


def ws_wait_closed(ws: websocket.WebSocket, answer_pings: bool = False,
                   deadline_s: float = DEADLINE_S) -> tuple[int | None, list]:
    """Waits until the server closes the connection (close frame or TCP end).

    Returns (close code or None, data frames received meanwhile). With answer_pings, every
    Engine.IO v4 ping `2` is answered `3`, so that a close cannot come from a missed pong.
    Fails if the connection is still open at the deadline.
    """
    received = []
    end = time.monotonic() + deadline_s
    while True:
        remaining = end - time.monotonic()
        if remaining <= 0:
            ws.close()
            raise AssertionError(f"server did not close the websocket; received {received!r}")
        ws.settimeout(remaining)
        try:
            opcode, data = ws.recv_data(control_frame=True)
        except websocket.WebSocketTimeoutException:
            continue
        except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
            return None, received
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
            try:
                ws.close()
            except Exception:  # noqa: BLE001 - the peer may already be gone
                pass
            return code, received
        if opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
            text = data.decode() if opcode == websocket.ABNF.OPCODE_TEXT else bytes(data)
            received.append(text)
            if answer_pings and text == "2":
                try:
                    ws.send("3")
                except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
                    return None, received
