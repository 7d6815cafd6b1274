"""Tokens over time (kasocki-api.md, "Authentication"): in-band renewal with the `auth` event,
TokenExpiringError / TokenExpiredError and the disconnect at the token's end (python-socketio and
the official JS client), the end of an SSE stream at it, and key rotation on SIGHUP without
dropping anyone. Short-lived tokens (a few seconds, --auth-leeway 0): the tests await the
events."""

from __future__ import annotations

import signal
import time

import pytest

pytest.register_assert_rewrite("gateway_fixture")
from auth_fixture import AUDIENCE, ISSUER, make_keys, run_node
from gateway_fixture import DEADLINE_S, poll_until
from sse_helpers import SseReader, stream_url
from test_auth import (ONE, TWO, assert_authentication_error, auth_connect,  # noqa: F401
                       logging_server, server_args)

pytest_plugins = ["gateway_fixture"]


@pytest.fixture(scope="module")
def keys():
    return make_keys()


@pytest.fixture
def server(kasocki_server, keys):
    return kasocki_server(*server_args(keys))


def test_renewal_with_the_same_subject_applies_the_new_topics(server, keys, auth_connect):
    client = auth_connect(server, keys.mint(topics=[ONE]))
    assert client.topics == [ONE]
    assert client.ok("auth", keys.mint("EdDSA", topics=[ONE, TWO])) is None
    # The new claim decides the next subscribe.
    assert client.ok("subscribe", [{"topic": TWO, "partition": 0, "offset": 0}])


def test_renewal_with_another_subject_or_a_bad_token_keeps_the_old_one(server, keys,
                                                                      auth_connect):
    client = auth_connect(server, keys.mint(topics=[ONE]))
    error = client.fails("auth", keys.mint(sub="mallory", topics=[ONE, TWO]),
                         name="AuthenticationError")
    assert error["reason"] == "subject_changed", error
    error = client.fails("auth", keys.mint(topics=[TWO], ttl=-5), name="AuthenticationError")
    assert error["reason"] == "expired", error
    error = client.fails("auth", 42, name="AuthenticationError")
    assert error["reason"] == "malformed", error
    # The old token is in force: TWO is still not granted, ONE is.
    client.fails("subscribe", TWO, name="TopicNotAvailableError")
    assert client.ok("subscribe", [{"topic": ONE, "partition": 0, "offset": 0}])


def test_a_token_that_expires_mid_stream(server, keys, auth_connect, produce):
    client = auth_connect(server, keys.mint(topics=[ONE], ttl=8))
    # Less than 60 s left: the notice comes at once.
    expiring = client.wait_event("err")[0]
    assert expiring["name"] == "TokenExpiringError", expiring
    assert client.ok("subscribe", [{"topic": ONE, "partition": 0, "offset": 0}])
    assert client.ok("start") is None
    assert len(client.messages(10)) == 10
    assert client.disconnected.wait(DEADLINE_S), "not disconnected at the token's end"
    names = [e["name"] for e in client.errors()]
    assert names == ["TokenExpiringError", "TokenExpiredError"], names


def test_a_token_renewed_in_time_keeps_the_session(server, keys, auth_connect):
    first_end = time.time() + 6
    client = auth_connect(server, keys.mint(topics=[ONE], ttl=6))
    assert client.wait_event("err")[0]["name"] == "TokenExpiringError"
    assert client.ok("auth", keys.mint(topics=[ONE], ttl=3600)) is None
    # Past the first token's end (the condition under test is the wall clock): still connected,
    # still answered, no TokenExpiredError.
    while time.time() < first_end + 1.5:
        assert client.ok("filter", None) is None
        time.sleep(0.2)
    assert not client.disconnected.is_set()
    assert [e["name"] for e in client.errors()] == ["TokenExpiringError"]


def test_the_official_client_is_disconnected_at_the_token_end(server, keys):
    lines = run_node(server.url, {"auth": {"token": keys.mint(topics=[ONE], ttl=3)},
                                  "until": "disconnect"})
    errs = [line["args"][0]["name"] for line in lines if line.get("event") == "err"]
    assert errs == ["TokenExpiringError", "TokenExpiredError"], lines
    [reason] = [line["disconnect"] for line in lines if "disconnect" in line]
    assert reason in ("io server disconnect", "transport close"), lines


def test_the_official_client_renews_in_band(server, keys):
    lines = run_node(server.url, {
        "auth": {"token": keys.mint(topics=[ONE])},
        "steps": [["auth", keys.mint(topics=[ONE, TWO])],
                  ["auth", keys.mint(sub="mallory", topics=["*"])],
                  ["subscribe", TWO]]})
    acks = [line["args"] for line in lines if "ack" in line]
    assert acks[0] == [None, None], acks  # (error, result), as every handler answers
    assert acks[1][0]["name"] == "AuthenticationError" and acks[1][0]["reason"] == "subject_changed"
    assert acks[2][0] is None, acks


def test_an_sse_stream_ends_at_the_token_end(server, keys):
    token = keys.mint(topics=[ONE], ttl=6)
    reader = SseReader(stream_url(server, [ONE], since=0, access_token=token))
    try:
        assert reader.response.status_code == 200
        events = []
        while (event := reader.next_event()) is not None:
            events.append(event)
        assert [e.event for e in events[:10]] == ["message"] * 10
        assert events[-1].event == "error", events[-1]
        assert events[-1].json()["name"] == "TokenExpiredError"
    finally:
        reader.close()


def test_keys_rotate_on_sighup_without_dropping_clients(logging_server, keys, auth_connect,
                                                        tmp_path):
    from auth_fixture import public_pem

    pem = tmp_path / "rotating.pem"
    pem.write_bytes(public_pem(keys.rsa))
    server = logging_server("info", "--auth-jwt-key", pem)
    old = keys.mint("RS256", topics=[ONE], aud=None, iss=None)
    kept = auth_connect(server, old)
    assert kept.topics == [ONE]

    pem.write_bytes(public_pem(keys.ec))
    server.process.popen.send_signal(signal.SIGHUP)
    poll_until(server.stderr, lambda text: "keys reloaded" in text, "the reload's log line")
    assert_authentication_error(auth_connect(server, old).connect_error, "algorithm")
    assert auth_connect(server, keys.mint("ES256", topics=[ONE], aud=None, iss=None)).topics == [ONE]
    # The client of the old key is still served.
    assert kept.ok("subscribe", [{"topic": ONE, "partition": 0, "offset": 0}])
    assert not kept.disconnected.is_set()

    # A broken file: the keys in use stay, the server goes on.
    pem.write_text("not a key")
    server.process.popen.send_signal(signal.SIGHUP)
    poll_until(server.stderr, lambda text: "keys not reloaded" in text, "the refusal's log line")
    assert auth_connect(server, keys.mint("ES256", topics=[ONE], aud=None, iss=None)).topics == [ONE]
    assert server.alive()
