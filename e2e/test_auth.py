"""JWT authentication and per-topic authorization (kasocki-api.md, "Authentication") against real
clients: python-socketio, the official JS client (node), raw HTTP (requests) for SSE and polling.
Tokens are minted with PyJWT from keys generated per module (auth_fixture.py)."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse

import pytest
import requests
import socketio

pytest.register_assert_rewrite("gateway_fixture")
from auth_fixture import AUDIENCE, ISSUER, hs256_with, make_keys, public_pem, run_node, unsigned
from conftest import free_port
from gateway_fixture import (DEADLINE_S, GatewayClient, GatewayServer, assert_error_shape,
                             metric_samples, wait_healthy)
from sse_helpers import SseReader, stream_url

pytest_plugins = ["gateway_fixture"]

ONE = "kasocki_test_one"  # 10 messages, partition 0
TWO = "kasocki_test_two"
MULTI = "kasocki_test_multi"
REASONS = ["missing", "malformed", "too_large", "algorithm", "signature", "expired",
           "not_yet_valid", "audience", "issuer"]


@pytest.fixture(scope="module")
def keys():
    return make_keys()


def server_args(keys, *extra) -> list[str]:
    return [*keys.args(), "--auth-audience", AUDIENCE, "--auth-issuer", ISSUER,
            "--auth-leeway", "0", "--max-http-header-bytes", "32768", *extra]


@pytest.fixture
def logging_server(start_process, kasocki_bin, kafka_bootstrap):
    """logging_server(level, *args) -> GatewayServer: kasocki serve at another --log-level than
    the gateway fixture's warn (which that fixture sets itself)."""

    def start(level: str, *args) -> GatewayServer:
        port = free_port()
        process = start_process([kasocki_bin, "serve", "--listen", f"127.0.0.1:{port}",
                                 "--brokers", kafka_bootstrap, "--log-level", level, *args],
                                port=port)
        server = GatewayServer(process, port)
        wait_healthy(server)
        return server

    return start


@pytest.fixture
def server(kasocki_server, keys):
    return kasocki_server(*server_args(keys))


def refused_token(keys, reason: str) -> str | None:
    """A token the server refuses for `reason` (None: no token at all)."""
    if reason == "missing":
        return None
    if reason == "malformed":
        return "not-a.jwt"
    if reason == "too_large":
        return keys.mint(topics=[f"topic-{i}" for i in range(1000)])  # ~ 14 KiB, signed
    if reason == "algorithm":
        return unsigned({"sub": "alice", "topics": ["*"]})
    if reason == "signature":
        return keys.mint("RS256", key=keys.stranger_rsa)
    if reason == "expired":
        return keys.mint(ttl=-10)
    if reason == "not_yet_valid":
        return keys.mint(nbf=int(time.time()) + 3600)
    if reason == "audience":
        return keys.mint(aud="someone-else")
    if reason == "issuer":
        return keys.mint(iss="https://evil.example")
    raise AssertionError(reason)


class AuthClient(GatewayClient):
    """GatewayClient (python-socketio, events recorded in order) that connects with a token in
    the CONNECT auth object or in headers, and records a CONNECT_ERROR instead of raising."""

    def __init__(self, url: str, auth=None, headers=None, transports=("websocket",)):
        self.sio = socketio.Client(reconnection=False)
        trigger = self.sio.eio._trigger_event

        def in_order(event, *args, **kwargs):
            kwargs["run_async"] = False
            return trigger(event, *args, **kwargs)

        self.sio.eio._trigger_event = in_order
        self.events = []
        self.disconnected = threading.Event()
        self.cond = threading.Condition()
        self.connect_error = None

        @self.sio.on("*")
        def on_any(event, *args):
            with self.cond:
                self.events.append((event, list(args)))
                self.cond.notify_all()

        @self.sio.on("disconnect")
        def on_disconnect(*_):
            self.disconnected.set()
            with self.cond:
                self.cond.notify_all()

        @self.sio.on("connect_error")
        def on_connect_error(data=None):
            self.connect_error = data

        try:
            self.sio.connect(url, auth=auth, headers=headers or {}, transports=list(transports),
                             wait_timeout=DEADLINE_S)
        except socketio.exceptions.ConnectionError:
            assert self.connect_error is not None, "connection failed without a CONNECT_ERROR"
            self.topics = None
            return
        self.topics = self.wait_event("ready")[0]


@pytest.fixture
def auth_connect():
    clients: list[AuthClient] = []

    def make(server, token=None, **kwargs) -> AuthClient:
        if token is not None and "auth" not in kwargs and "headers" not in kwargs:
            kwargs["auth"] = {"token": token}
        client = AuthClient(server.url, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        try:
            client.close()
        except Exception:  # noqa: BLE001 - the server may have closed it already
            pass


def assert_authentication_error(payload: dict, reason: str) -> None:
    """The CONNECT_ERROR payload of the contract: {message, data: {name, reason}}."""
    assert isinstance(payload, dict) and isinstance(payload.get("message"), str), payload
    assert payload["message"], payload
    assert payload["data"]["name"] == "AuthenticationError", payload
    assert payload["data"]["reason"] == reason, payload


def sse_get(server, topics, token=None, how="header", headers=None, **query):
    headers = dict(headers or {})
    if token is not None and how == "header":
        headers["Authorization"] = f"Bearer {token}"
    if token is not None and how == "query":
        query["access_token"] = token
    return requests.get(stream_url(server, topics, **query), headers=headers, stream=True,
                        timeout=DEADLINE_S)


# ---- refusals ----

@pytest.mark.parametrize("reason", REASONS)
def test_each_refusal_reason_with_python_socketio_and_sse(server, keys, auth_connect, reason):
    token = refused_token(keys, reason)
    client = auth_connect(server, token)
    assert client.topics is None, "connected with a refused token"
    assert_authentication_error(client.connect_error, reason)

    response = sse_get(server, [ONE], token)
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"].startswith("Bearer"), response.headers
    body = response.json()
    assert_error_shape(body, "sse")
    assert body["name"] == "AuthenticationError" and body["reason"] == reason, body


@pytest.mark.parametrize("reason", REASONS)
def test_each_refusal_reason_with_the_official_js_client(server, keys, reason):
    token = refused_token(keys, reason)
    options = {"until": "connect_error"}
    if token is not None:
        options["auth"] = {"token": token}
    lines = run_node(server.url, options)
    [error] = [line["connect_error"] for line in lines if "connect_error" in line]
    assert not [line for line in lines if "ready" in line], lines
    assert_authentication_error(error, reason)


def test_attacks_alg_none_key_confusion_other_key_and_a_huge_token(server, keys, auth_connect):
    claims = {"sub": "mallory", "aud": AUDIENCE, "iss": ISSUER, "topics": ["*"],
              "exp": int(time.time()) + 3600}
    # HS256 "signed" with the server's RSA public key as the HMAC secret: refused, as the key is
    # not an HS256 key (the key-confusion attack), whatever the PEM's exact bytes.
    for secret in (public_pem(keys.rsa), public_pem(keys.rsa).strip()):
        client = auth_connect(server, hs256_with(secret, claims))
        assert_authentication_error(client.connect_error, "algorithm")
    client = auth_connect(server, unsigned(claims))
    assert_authentication_error(client.connect_error, "algorithm")
    for alg in ("RS256", "ES256", "EdDSA"):
        forged = keys.mint(alg, key=keys.stranger_rsa) if alg == "RS256" else None
        if forged:
            assert_authentication_error(auth_connect(server, forged).connect_error, "signature")
    huge = "eyJhbGciOiJFUzI1NiJ9." + "A" * 100_000 + ".AAAA"
    assert_authentication_error(auth_connect(server, huge).connect_error, "too_large")
    # In a header it is over --max-http-header-bytes first: refused before the token is looked at.
    assert sse_get(server, [ONE], huge).status_code == 431
    assert server.alive()
    samples = metric_samples(server)
    assert samples['kasocki_auth_failures_total{reason="algorithm"}'] >= 3, samples
    assert samples['kasocki_auth_failures_total{reason="signature"}'] >= 1, samples
    assert samples['kasocki_auth_failures_total{reason="too_large"}'] >= 1, samples


def test_failures_are_counted_by_reason(server, keys, auth_connect):
    before = metric_samples(server)
    for reason in ("missing", "expired", "audience"):
        auth_connect(server, refused_token(keys, reason))
    after = metric_samples(server)
    for reason in ("missing", "expired", "audience"):
        key = f'kasocki_auth_failures_total{{reason="{reason}"}}'
        assert after[key] == before.get(key, 0) + 1, (key, before.get(key), after.get(key))


# ---- every algorithm, every token source ----

@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_every_algorithm_connects_with_its_topics(server, keys, auth_connect, alg):
    client = auth_connect(server, keys.mint(alg, topics=[ONE, "kasocki_test_m*"]))
    assert client.connect_error is None
    assert client.topics == [MULTI, ONE]


def test_hs256_from_a_secret_file(kasocki_server, keys, auth_connect):
    server = kasocki_server("--auth-jwt-secret-file", keys.secret_file)
    client = auth_connect(server, keys.mint("HS256", topics=[ONE], aud=None, iss=None))
    assert client.topics == [ONE]
    # Another secret: signature; an RS256 token: no key of that algorithm.
    other = keys.mint("HS256", key=b"x" * 32, aud=None, iss=None)
    assert_authentication_error(auth_connect(server, other).connect_error, "signature")
    assert_authentication_error(auth_connect(server, keys.mint("RS256")).connect_error, "algorithm")


def test_token_sources_auth_object_header_and_query(server, keys, auth_connect):
    token = keys.mint(topics=[ONE])
    # The CONNECT auth object wins over the handshake's header.
    client = auth_connect(server, auth={"token": token},
                          headers={"Authorization": "Bearer " + refused_token(keys, "expired")})
    assert client.topics == [ONE]
    for transports in (("websocket",), ("polling",)):
        client = auth_connect(server, headers={"Authorization": f"Bearer {token}"},
                              transports=transports)
        assert client.topics == [ONE], transports
    # The official client: header (polling can send headers from node), query string.
    lines = run_node(server.url, {"transports": ["polling"],
                                  "extraHeaders": {"Authorization": f"Bearer {token}"}})
    assert [line["ready"] for line in lines if "ready" in line] == [[ONE]]
    lines = run_node(server.url, {"query": {"access_token": token}})
    assert [line["ready"] for line in lines if "ready" in line] == [[ONE]]
    # SSE: header and query.
    for how in ("header", "query"):
        reader_response = sse_get(server, [ONE], token, how=how, since=0)
        assert reader_response.status_code == 200, (how, reader_response.text)
        reader_response.close()


def test_polling_requests_are_bound_to_the_session_the_token_opened(server, keys):
    """The handshake's bearer token admits the CONNECT; the session's later requests carry only
    its sid (no credentials, or someone else's): they act for that session and nobody else."""
    base = f"{server.url}/socket.io/?EIO=4&transport=polling"
    token = keys.mint(topics=[ONE])
    opened = requests.get(base, headers={"Authorization": f"Bearer {token}"}, timeout=DEADLINE_S)
    sid = json.loads(opened.text[1:])["sid"]
    url = f"{base}&sid={sid}"
    # CONNECT with no auth object: the handshake's token counts. Sent with another token in the
    # header, which the session does not look at.
    stranger = refused_token(keys, "signature")
    assert requests.post(url, data="40", headers={"Authorization": f"Bearer {stranger}"},
                         timeout=DEADLINE_S).text == "ok"
    packets = []
    while not any(p.startswith('42["ready"') for p in packets):
        packets += requests.get(url, timeout=DEADLINE_S).text.split("\x1e")
    assert packets[0].startswith('40{"sid":'), packets
    assert f'42["ready",["{ONE}"]]' in packets, packets

    # A session opened without a token gets CONNECT_ERROR missing, even when requests of the
    # authenticated session above run beside it.
    bare = requests.get(base, timeout=DEADLINE_S)
    bare_sid = json.loads(bare.text[1:])["sid"]
    assert requests.post(f"{base}&sid={bare_sid}", data="40", timeout=DEADLINE_S).text == "ok"
    answer = requests.get(f"{base}&sid={bare_sid}", timeout=DEADLINE_S).text
    assert answer.startswith("44"), answer
    assert json.loads(answer[2:])["data"] == {"name": "AuthenticationError", "reason": "missing"}


def test_query_token_is_never_logged(logging_server, keys):
    server = logging_server("debug", *server_args(keys))
    token = keys.mint(topics=[ONE])
    bad = refused_token(keys, "expired")
    # SSE with the token in the query, socket.io polling and websocket with it in the query, and
    # refused ones too.
    response = sse_get(server, [ONE], token, how="query", since=0)
    assert response.status_code == 200
    response.close()
    assert sse_get(server, [ONE], bad, how="query").status_code == 401
    for transports in (["polling"], ["websocket"]):
        lines = run_node(server.url, {"transports": transports, "query": {"access_token": token}})
        assert [line["ready"] for line in lines if "ready" in line] == [[ONE]]
    lines = run_node(server.url, {"query": {"access_token": bad}, "until": "connect_error"})
    assert [line for line in lines if "connect_error" in line]
    logs = server.stderr() + server.process.stdout()
    assert '"level":"debug"' in logs, logs[-2000:]  # debug logging was on
    for secret in (token, bad):
        for part in secret.split("."):
            assert part not in logs, f"a token part is in the log: {part[:20]}..."
        assert urllib.parse.quote(secret) not in logs


# ---- authorization: the topics claim by every route ----

def test_another_topic_is_refused_by_every_route(server, keys, auth_connect):
    token = keys.mint(topics=[ONE])
    client = auth_connect(server, token)
    assert client.topics == [ONE]
    specs = [TWO, [TWO], [ONE, TWO], [{"topic": TWO, "partition": 0, "offset": 0}],
             [{"topic": TWO, "partition": 0, "timestamp": 0}], [{"topic": TWO, "timestamp": 0}]]
    for spec in specs:
        error = client.fails("subscribe", spec, name="TopicNotAvailableError")
        assert error["availableTopics"] == [ONE], error
    assert client.ok("subscribe", [{"topic": ONE, "partition": 0, "offset": 0}])

    # SSE: the path (alone and beside an allowed topic), Last-Event-ID entries.
    for topics in ([TWO], [ONE, TWO]):
        response = sse_get(server, topics, token)
        assert response.status_code == 404, response.text
        assert response.json()["availableTopics"] == [ONE]
    last = json.dumps([{"topic": ONE, "partition": 0, "offset": 0},
                       {"topic": TWO, "partition": 0, "offset": 0}])
    response = sse_get(server, [ONE], token, headers={"Last-Event-ID": last})
    assert response.status_code == 404, response.text
    assert response.json()["name"] == "TopicNotAvailableError"
    # The allowed one reads.
    reader = SseReader(stream_url(server, [ONE], since=0),
                       headers={"Authorization": f"Bearer {token}"})
    try:
        events = reader.events(3)
        assert [e.json()["_kafka"]["topic"] for e in events] == [ONE] * 3
    finally:
        reader.close()


def test_no_topics_claim_reads_nothing_and_allowed_topics_still_apply(kasocki_server, keys,
                                                                       auth_connect):
    server = kasocki_server(*server_args(keys, "--allowed-topics", f"{ONE},{TWO}"))
    assert auth_connect(server, keys.mint()).topics == []
    assert auth_connect(server, keys.mint(topics=["*"])).topics == [ONE, TWO]
    client = auth_connect(server, keys.mint(topics=["kasocki_test_*"]))
    assert client.topics == [ONE, TWO]  # MULTI matches the claim, not --allowed-topics
    client.fails("subscribe", MULTI, name="TopicNotAvailableError")


def test_connections_per_subject(kasocki_server, keys, auth_connect):
    server = kasocki_server(*server_args(keys, "--max-connections-per-subject", "2"))
    first = auth_connect(server, keys.mint(topics=[ONE]))
    auth_connect(server, keys.mint(topics=[ONE]))
    third = auth_connect(server, keys.mint(topics=[ONE]))
    assert third.connect_error["data"]["name"] == "TooManyConnectionsError", third.connect_error
    assert third.connect_error["data"]["limit"] == "max-connections-per-subject"
    assert auth_connect(server, keys.mint(sub="bob", topics=[ONE])).topics == [ONE]
    response = sse_get(server, [ONE], keys.mint(topics=[ONE]))
    assert response.status_code == 429 and response.json()["name"] == "TooManyConnectionsError"
    first.close()
    first.disconnected.wait(DEADLINE_S)
    # The server learns of the close a little later: the slot frees then.
    deadline = time.monotonic() + DEADLINE_S
    while True:
        again = auth_connect(server, keys.mint(topics=[ONE]))
        if again.connect_error is None:
            break
        assert time.monotonic() < deadline, again.connect_error
        time.sleep(0.05)


def test_streams_of_one_subject_opening_together_count_each_other(kasocki_server, keys):
    """Each stream's offsets are resolved (a Kafka round trip) between its admission check and
    its opening: the check must count the streams admitted meanwhile."""
    from concurrent.futures import ThreadPoolExecutor

    server = kasocki_server(*server_args(keys, "--max-connections-per-subject", "1"))
    token = keys.mint(sub="carol", topics=[MULTI])
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: sse_get(server, [MULTI], token), range(8)))
    try:
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [429] * 7, statuses
    finally:
        for r in responses:
            r.close()


def test_the_operators_mint_script_issues_tokens_the_server_takes(kasocki_server, auth_connect,
                                                                  tmp_path):
    import subprocess
    import sys

    from conftest import REPO

    script = [sys.executable, str(REPO / "scripts" / "mint_token.py")]
    done = subprocess.run([*script, "--new-key", tmp_path / "issuer"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    server = kasocki_server("--auth-jwt-key", tmp_path / "issuer.pub.pem", "--auth-audience", "k")
    done = subprocess.run([*script, "--key", tmp_path / "issuer.pem", "--sub", "op", "--topic",
                           "kasocki_test_o*", "--aud", "k", "--ttl", "600"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert auth_connect(server, done.stdout.strip()).topics == [ONE]
