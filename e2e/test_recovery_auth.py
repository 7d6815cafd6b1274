"""Connection state recovery on a server that takes tokens (kasocki-api.md, "Authentication" and
"Connection state recovery"): the official socket.io-client 4.x recovers with its token, and a
recovered subscription is checked against the token the reconnecting client presents now, as a
`subscribe` would be: a token that no longer grants the topic gets a new session, not the old
subscription. Real broker, real client, a TCP relay that cuts the connection."""

from __future__ import annotations

import pytest

from auth_fixture import AUDIENCE, ISSUER, make_keys
from test_recovery import (BackgroundProducer, assert_all_once, assert_recovered, node_client,  # noqa: F401
                           recoveries, relay, secret_file, started_client)

pytest_plugins = ["gateway_fixture"]


@pytest.fixture(scope="module")
def keys():
    return make_keys()


def auth_recovery_server(kasocki_server, keys, secret_file):
    return kasocki_server(*keys.args(), "--auth-audience", AUDIENCE, "--auth-issuer", ISSUER,
                          "--recovery-secret-file", secret_file)


def test_a_client_with_a_token_recovers_nothing_lost_or_repeated(
        kasocki_server, fresh_topic, produce, keys, secret_file, relay, node_client):
    topic = fresh_topic(2)
    server = auth_recovery_server(kasocki_server, keys, secret_file)
    cut = relay(server.port)
    client = started_client(node_client, cut.url, topic, token=keys.mint(topics=[topic]))
    producer = BackgroundProducer(produce, topic, 2, 300)
    client.wait_for(lambda c: len(c.messages()) >= 50, "the first 50 messages")
    assert cut.drop() >= 1
    producer.join()
    assert_all_once(client, producer.expected)
    assert_recovered(client)
    assert recoveries(server).get("recovered") == 1


def test_a_token_that_no_longer_grants_the_topic_gets_a_new_session(
        kasocki_server, fresh_topic, produce, keys, secret_file, relay, node_client):
    topic, other = fresh_topic(1), fresh_topic(1)
    server = auth_recovery_server(kasocki_server, keys, secret_file)
    cut = relay(server.port)
    client = started_client(node_client, cut.url, topic, token=keys.mint(topics=[topic]))
    produce(topic, [{"n": 0}])
    client.wait_for(lambda c: c.messages() == [(0, 0, 0)], "the first message")
    # The next CONNECT carries the same pid and a valid cursor, but a token for another topic.
    client.command(f"token {keys.mint(topics=[other])}")
    assert cut.drop() >= 1
    client.wait_for(lambda c: len(c.seen("connect")) >= 2, "the reconnect")
    first, second = client.seen("connect")[:2]
    assert second["recovered"] is False and second["pid"] != first["pid"]
    client.wait_for(lambda c: len(c.seen("ready")) >= 2, "the new session's ready")
    assert client.seen("ready")[1] == [other]
    assert recoveries(server).get("not_allowed") == 1
    assert client.seen("err") == []
