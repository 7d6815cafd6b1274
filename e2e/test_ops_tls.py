"""`kasocki serve --tls-cert/--tls-key` against the real broker: https and wss with a certificate
made by the test (openssl), read by python-socketio's AsyncClient and by the official JS
socket.io-client on websocket, polling and the upgrade, each verifying the certificate against it;
and 500 mixed sessions over ws and wss, every one answered.
python-socketio's synchronous Client is not used over TLS: its websocket-client transport reads
and writes one TLS socket from two threads and leaves up to one session in ten unanswered, against
a Node socket.io server too (docs/OPERATIONS.md, "TLS for clients").
Does I/O: openssl and node child processes, HTTPS, socket.io connections."""

from __future__ import annotations

import asyncio
import json
import pathlib
import shutil
import socket
import ssl
import subprocess

import aiohttp
import pytest
import requests
import socketio

from conftest import fixture_events, free_port, start_on_free_port
from gateway_fixture import poll_until

pytest_plugins = ["gateway_fixture"]

JS = pathlib.Path(__file__).resolve().parent / "js"
ONE = "kasocki_test_one"
DEADLINE_S = 15.0
TRANSPORTS = {"websocket": ["websocket"], "polling": ["polling"],
              "upgrade": ["polling", "websocket"]}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (and localhost): clients trust it as their CA."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def start_tls_server(start_process, kasocki_bin, kafka_bootstrap, certificate, *args):
    """`kasocki serve` on https, once /healthz answers 200: (url, port, process)."""
    cert, key = certificate
    process = start_on_free_port(lambda port: start_process(
        [kasocki_bin, "serve", "--listen", f"127.0.0.1:{port}", "--brokers", kafka_bootstrap,
         "--log-level", "warn", "--tls-cert", cert, "--tls-key", key, *args], port=port))
    port = process.port
    url = f"https://127.0.0.1:{port}"

    def healthz() -> int:
        assert process.alive(), f"kasocki serve exited:\n{process.stderr()[-2000:]}"
        return requests.get(f"{url}/healthz", verify=str(cert), timeout=DEADLINE_S).status_code

    poll_until(healthz, lambda status: status == 200, "/healthz to answer 200 over https")
    return url, port, process


@pytest.fixture
def tls_server(start_process, kasocki_bin, kafka_bootstrap, certificate):
    return start_tls_server(start_process, kasocki_bin, kafka_bootstrap, certificate)


async def python_session(url: str, transports: list[str], cafile, first: int, count: int) -> dict:
    """One python-socketio AsyncClient session: connect, ready, subscribe to ONE at `first`,
    `count` consumes. Returns what it saw, or {"error": ...}; never raises."""
    # The CA reaches aiohttp through the session's connector: both the polling requests and the
    # websocket use it, and certificate verification stays on.
    connector = aiohttp.TCPConnector(ssl=ssl.create_default_context(cafile=str(cafile))) \
        if cafile else aiohttp.TCPConnector()
    http = aiohttp.ClientSession(connector=connector)
    client = socketio.AsyncClient(reconnection=False, http_session=http)
    ready = asyncio.get_running_loop().create_future()
    client.on("ready", lambda topics: ready.done() or ready.set_result(topics))
    try:
        await client.connect(url, transports=transports, wait_timeout=DEADLINE_S)
        topics = await asyncio.wait_for(ready, DEADLINE_S)
        error, assigned = await client.call("subscribe", [{"topic": ONE, "partition": 0,
                                                          "offset": first}], timeout=DEADLINE_S)
        if error is not None:
            return {"error": f"subscribe: {error}"}
        replies = [await client.call("consume", timeout=DEADLINE_S) for _ in range(count)]
        if any(reply[0] is not None for reply in replies):
            return {"error": f"consume: {replies}"}
        messages = [reply[1] for reply in replies]
        return {"topics": topics, "assigned": assigned, "first": first,
                "offsets": [m["_kafka"]["offset"] for m in messages],
                "values": [{k: v for k, v in m.items() if k != "_kafka"} for m in messages],
                "transport": client.transport()}
    except Exception as error:  # noqa: BLE001 - reported as the session's outcome
        return {"error": repr(error)}
    finally:
        await client.disconnect()
        await http.close()


@pytest.mark.parametrize("mode", ["websocket", "polling", "upgrade"])
def test_python_socketio_reads_over_tls(tls_server, certificate, mode):
    url, _, _ = tls_server
    seen = asyncio.run(python_session(url, TRANSPORTS[mode], certificate[0], 0, 10))
    assert "error" not in seen, seen
    assert seen["assigned"] == [{"topic": ONE, "partition": 0, "offset": 0}]
    assert ONE in seen["topics"]
    assert seen["offsets"] == list(range(10))
    assert seen["values"] == fixture_events(ONE)
    # AsyncClient.connect() returns after its upgrade has completed (or failed).
    assert seen["transport"] == ("polling" if mode == "polling" else "websocket")


async def node_sessions(url: str, mode: str, sessions: int, concurrency: int, count: int,
                        cafile=None) -> list[dict]:
    """e2e/js/many_sessions.js: one result line per session of the official JS client."""
    node = shutil.which("node")
    assert node, "node is not installed (scripts/setup.sh)"
    child = await asyncio.create_subprocess_exec(
        node, str(JS / "many_sessions.js"), url, mode, str(sessions), str(concurrency), str(count),
        *([str(cafile)] if cafile else []), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = await asyncio.wait_for(child.communicate(), 120)
    assert child.returncode == 0, out.decode()[-2000:] + err.decode()[-2000:]
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


@pytest.mark.parametrize("mode", ["websocket", "polling", "upgrade"])
def test_official_js_client_reads_over_tls(tls_server, certificate, mode):
    url, _, _ = tls_server
    [seen] = asyncio.run(node_sessions(url, mode, 1, 1, 10, certificate[0]))
    assert "error" not in seen, seen
    assert seen["offsets"] == list(range(10))
    assert seen["values"] == fixture_events(ONE)
    assert seen["transport"] == ("polling" if mode == "polling" else "websocket")


# The mixed sessions: every pair of client (official JS, python-socketio AsyncClient), scheme (ws,
# wss) and mode (websocket only, polling only, polling upgraded) takes every 12th session. Each
# client kind runs BATCH sessions at a time per scheme and mode, so all of them together stay a
# few dozen connections: enough to overlap handshakes, reads and closes on both servers.
SESSIONS = 500
BATCH = 6
CONSUMES = 3
KINDS = [(client, scheme, mode) for client in ("js", "python") for scheme in ("ws", "wss")
         for mode in TRANSPORTS]
# Every session comes from 127.0.0.1: the per-address admission limits would refuse most of them.
NO_ADDRESS_LIMITS = ("--new-sessions-per-ip-per-second", "0", "--max-connections-per-ip", "0",
                     "--max-sockets-per-ip", "0")


async def run_mixed(urls: dict, cafile) -> dict:
    """Every session's outcome by (client, scheme, mode): node children and AsyncClients at once."""
    counts = {kind: len(range(i, SESSIONS, len(KINDS))) for i, kind in enumerate(KINDS)}

    async def js(scheme: str, mode: str) -> list[dict]:
        return await node_sessions(urls[scheme], mode, counts[("js", scheme, mode)], BATCH,
                                   CONSUMES, cafile if scheme == "wss" else None)

    async def python(scheme: str, mode: str) -> list[dict]:
        gate = asyncio.Semaphore(BATCH)

        async def one(index: int) -> dict:
            async with gate:
                return await python_session(urls[scheme], TRANSPORTS[mode],
                                            cafile if scheme == "wss" else None, index % 5,
                                            CONSUMES)

        return await asyncio.gather(*(one(i) for i in range(counts[("python", scheme, mode)])))

    runs = {kind: (js if kind[0] == "js" else python)(kind[1], kind[2]) for kind in KINDS}
    return dict(zip(runs, await asyncio.gather(*runs.values())))


def test_500_mixed_sessions_over_ws_and_wss_are_all_answered(start_process, kasocki_bin,
                                                             kafka_bootstrap, certificate,
                                                             kasocki_server):
    wss, _, tls_process = start_tls_server(start_process, kasocki_bin, kafka_bootstrap,
                                           certificate, *NO_ADDRESS_LIMITS)
    plain = kasocki_server(*NO_ADDRESS_LIMITS)
    outcomes = asyncio.run(run_mixed({"ws": plain.url, "wss": wss}, certificate[0]))
    assert sum(len(results) for results in outcomes.values()) == SESSIONS
    events = fixture_events(ONE)
    for (client, scheme, mode), results in outcomes.items():
        failed = [r for r in results if "error" in r]
        assert not failed, f"{client} {scheme} {mode}: {len(failed)} of {len(results)} " \
                           f"sessions failed, e.g. {failed[:3]}"
        for result in results:
            first = result["first"]
            expected = list(range(first, first + CONSUMES))
            assert result["offsets"] == expected, (client, scheme, mode, result)
            assert result["values"] == events[first:first + CONSUMES], (client, scheme, mode)
            assert result["transport"] == ("polling" if mode == "polling" else "websocket"), \
                (client, scheme, mode, result)
    assert tls_process.alive() and plain.alive()


def test_tls_port_serves_metrics_and_refuses_plain_http(tls_server, certificate):
    url, port, process = tls_server
    response = requests.get(f"{url}/metrics", verify=str(certificate[0]), timeout=DEADLINE_S)
    assert response.status_code == 200 and "kasocki_connections" in response.text
    # Plain HTTP gets no HTTP answer: the TLS handshake fails and the connection closes.
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE_S) as raw:
        raw.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert not raw.recv(4096).startswith(b"HTTP/")
    # A client that does not trust the certificate refuses it.
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
