"""`kasocki serve --tls-cert/--tls-key` against the real broker: https and wss with a self-signed
certificate made by the test (openssl), read by python-socketio (verification off) on websocket,
polling and the upgrade, and by the official JS socket.io-client (rejectUnauthorized: false).
Does I/O: openssl and node child processes, HTTPS, socket.io connections."""

from __future__ import annotations

import json
import pathlib
import shutil
import socket
import ssl
import subprocess
import time

import pytest
import requests
import socketio
import urllib3

from conftest import fixture_events, free_port

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

JS = pathlib.Path(__file__).resolve().parent / "js"
ONE = "kasocki_test_one"
DEADLINE_S = 15.0


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_server(start_process, kasocki_bin, kafka_bootstrap, certificate):
    cert, key = certificate
    port = free_port()
    process = start_process([kasocki_bin, "serve", "--listen", f"127.0.0.1:{port}", "--brokers",
                             kafka_bootstrap, "--log-level", "warn", "--tls-cert", cert,
                             "--tls-key", key], port=port)
    url = f"https://127.0.0.1:{port}"
    deadline = time.monotonic() + DEADLINE_S
    while requests.get(f"{url}/healthz", verify=False, timeout=DEADLINE_S).status_code != 200:
        assert time.monotonic() < deadline and process.alive(), process.stderr()[-2000:]
        time.sleep(0.05)
    return url, port, process


@pytest.mark.parametrize("transports", [["websocket"], ["polling"], ["polling", "websocket"]])
def test_python_socketio_reads_over_tls(tls_server, transports):
    url, _, _ = tls_server
    # requests lets $REQUESTS_CA_BUNDLE override a session's verify=False: ignore the environment.
    http = requests.Session()
    http.trust_env = False
    http.verify = False
    client = socketio.Client(reconnection=False, ssl_verify=False, http_session=http)
    ready = []
    client.on("ready", lambda topics: ready.append(topics))
    client.connect(url, transports=transports, wait_timeout=DEADLINE_S)
    try:
        error, assigned = client.call("subscribe", [{"topic": ONE, "partition": 0, "offset": 0}],
                                      timeout=DEADLINE_S)
        assert error is None and assigned == [{"topic": ONE, "partition": 0, "offset": 0}]
        assert ONE in ready[0]
        messages = [client.call("consume", timeout=DEADLINE_S)[1] for _ in range(10)]
        assert [m["_kafka"]["offset"] for m in messages] == list(range(10))
        assert [{k: v for k, v in m.items() if k != "_kafka"} for m in messages] == \
            fixture_events(ONE)
        if transports == ["polling", "websocket"]:
            deadline = time.monotonic() + DEADLINE_S
            while client.transport() != "websocket":  # the upgrade has no event of its own
                assert time.monotonic() < deadline, "no upgrade to wss"
                time.sleep(0.05)
        else:
            assert client.transport() == transports[0]
    finally:
        client.disconnect()


JS_CLIENT = r"""
const { io } = require("socket.io-client");
const [url, transport] = process.argv.slice(1);
const socket = io(url, { transports: [transport], rejectUnauthorized: false, reconnection: false });
const fail = (e) => { console.log(JSON.stringify({ error: String(e) })); process.exit(1); };
setTimeout(() => fail("timeout"), 20000);
socket.on("connect_error", fail);
socket.on("ready", () => {
  socket.emit("subscribe", [{ topic: "kasocki_test_one", partition: 0, offset: 0 }], (err) => {
    if (err) fail(JSON.stringify(err));
    socket.emit("consume", (err, message) => {
      console.log(JSON.stringify({ err, message, transport: socket.io.engine.transport.name }));
      socket.disconnect();
      process.exit(0);
    });
  });
});
"""


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_official_js_client_over_tls(tls_server, transport):
    url, _, _ = tls_server
    node = shutil.which("node")
    assert node, "node is not installed (scripts/setup.sh)"
    done = subprocess.run([node, "-e", JS_CLIENT, url, transport], cwd=JS, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["err"] is None and result["message"]["_kafka"]["offset"] == 0
    assert result["transport"] == transport


def test_tls_port_serves_metrics_and_refuses_plain_http(tls_server):
    url, port, process = tls_server
    response = requests.get(f"{url}/metrics", verify=False, timeout=DEADLINE_S)
    assert response.status_code == 200 and "kasocki_connections" in response.text
    # Plain HTTP gets no HTTP answer: the TLS handshake fails and the connection closes.
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE_S) as raw:
        raw.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert not raw.recv(4096).startswith(b"HTTP/")
    # A client that checks certificates refuses the self-signed one.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{url}/healthz", timeout=DEADLINE_S)
    assert process.alive()


def test_bad_certificate_files_are_a_startup_error(kasocki_bin, tmp_path):
    missing = tmp_path / "missing.pem"
    done = subprocess.run([kasocki_bin, "serve", "--listen", f"127.0.0.1:{free_port()}",
                           "--tls-cert", missing, "--tls-key", missing],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "TLS certificate" in done.stderr
    done = subprocess.run([kasocki_bin, "serve", "--tls-cert", missing],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "--tls-key" in done.stderr
