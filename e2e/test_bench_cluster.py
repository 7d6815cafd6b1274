"""The cluster scenarios of scripts/bench.sh at small scale: `kasocki bench` with 20 websocket
clients against two `kasocki serve` behind HAProxy (deploy/haproxy.cfg) and the real broker,
while scripts/bench_rate_producer.py writes. With one gateway SIGKILLed by the bench in the
middle, the clients it had reconnect through the balancer and resume after the last offset each
received: every client still ends with every message, once each and in order. Directly, the
clients split over both gateways' URLs. No timing is asserted. Does I/O: child processes
(kasocki, HAProxy, the producer), Kafka produce.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

from conftest import REPO

pytest_plugins = ["gateway_fixture", "lb_fixture"]

BENCH_TIMEOUT_S = 90
CLIENTS = 20
RATE = 100
# Every client comes from 127.0.0.1, as in scripts/bench.sh: no per-address admission limits.
SERVE_ARGS = ("--trusted-proxy", "127.0.0.1", "--max-connections-per-ip", "0",
              "--max-sockets-per-ip", "0", "--new-sessions-per-ip-per-second", "0")


def run_bench(kasocki_bin, *args) -> tuple[subprocess.CompletedProcess, dict | None]:
    done = subprocess.run([str(kasocki_bin), "bench", *map(str, args)], capture_output=True,
                          text=True, timeout=BENCH_TIMEOUT_S, check=False)
    line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else None
    return done, json.loads(line) if line else None


def producer(topic: str, bootstrap: str, seconds: int) -> str:
    return shlex.join([sys.executable, str(REPO / "scripts" / "bench_rate_producer.py"),
                       "--topic", topic, "--partitions", "2", "--rate", str(RATE), "--seconds",
                       str(seconds), "--bootstrap", bootstrap])


def live_args(topic: str, bootstrap: str, seconds: int) -> list:
    return ["--topic", topic, "--clients", CLIENTS, "--connect-concurrency", 10,
            "--producer", producer(topic, bootstrap, seconds), "--duration", 60,
            "--drain-timeout", 30]


def assert_every_client_got_everything(result: dict, messages: int) -> None:
    assert result["producer_status"] == 0
    assert result["clients_complete"] == CLIENTS
    assert result["expected_per_client"] == [messages, messages]
    assert result["received_per_client"] == [messages, messages]
    assert (result["gaps"], result["duplicates"]) == (0, 0)
    assert result["stopped_by"] == "end"


def test_a_killed_gateways_clients_resume_through_the_balancer(kasocki_bin, balanced,
                                                              kafka_bootstrap, fresh_topic):
    topic = fresh_topic(2)
    stack = balanced(kafka_bootstrap, 2, *SERVE_ARGS)
    gw1, gw2 = (g.server.pid for g in stack.gateways)
    done, result = run_bench(kasocki_bin, "--url", stack.url, *live_args(topic, kafka_bootstrap, 4),
                             "--resume-on-close", "--kill-pid", gw1, "--kill-after", 2,
                             "--server-pid", gw2, "--watch-pid", f"gw1={gw1}",
                             "--watch-pid", f"gw2={gw2}",
                             "--watch-pid", f"haproxy={stack.haproxy.popen.pid}")
    assert done.returncode == 0, done.stderr
    assert_every_client_got_everything(result, 4 * RATE)
    assert not stack.gateways[0].server.alive()
    assert result["killed_at_s"] is not None
    # The least-connections balance gave the killed gateway half of the clients; each came back.
    assert 0 < result["closed"] < CLIENTS
    assert result["closed_recovered"] == result["closed"]
    assert 0 < result["closed_recovery_p50_s"] <= result["closed_recovery_s"]
    assert result["closed_resubscribed_s"] is not None
    assert result["watched"]["gw1"]["cpu_s"] is None  # killed: its figures are gone
    assert result["watched"]["gw2"]["cpu_s"] > 0 and result["watched"]["haproxy"]["cpu_s"] >= 0


def test_without_resume_a_closed_connection_fails_the_run(kasocki_bin, balanced,
                                                         kafka_bootstrap, fresh_topic):
    topic = fresh_topic(2)
    stack = balanced(kafka_bootstrap, 2, *SERVE_ARGS)
    done, result = run_bench(kasocki_bin, "--url", stack.url,
                             *live_args(topic, kafka_bootstrap, 4), "--kill-pid",
                             stack.gateways[0].server.pid, "--kill-after", 1)
    assert done.returncode == 1
    assert result["stopped_by"] == "closed"
    assert "connection closed by the server" in result["failure"]


def test_direct_connections_split_over_both_gateways(kasocki_bin, kasocki_server,
                                                     kafka_bootstrap, fresh_topic):
    topic = fresh_topic(2)
    servers = [kasocki_server(*SERVE_ARGS) for _ in range(2)]
    done, result = run_bench(kasocki_bin, "--url", servers[0].url, "--url", servers[1].url,
                             *live_args(topic, kafka_bootstrap, 1),
                             *(a for s, n in zip(servers, ("gw1", "gw2"))
                               for a in ("--watch-pid", f"{n}={s.pid}")))
    assert done.returncode == 0, done.stderr
    assert result["urls"] == 2
    assert_every_client_got_everything(result, RATE)
    # Each gateway pushed its half of the deliveries: both spent CPU on them.
    assert all(result["watched"][n]["cpu_s"] > 0 for n in ("gw1", "gw2"))


def test_the_bench_refuses_what_cannot_go_together(kasocki_bin):
    for extra in (["--kill-pid", "1"], ["--kill-after", "3"],
                  ["--transport", "sse", "--resume-on-close"],
                  ["--transport", "sse", "--url", "http://127.0.0.1:2"],
                  ["--mode", "consume", "--resume-on-close"], ["--watch-pid", "gw1"]):
        done, _ = run_bench(kasocki_bin, "--url", "http://127.0.0.1:1", "--topic", "t", *extra)
        assert done.returncode == 2, (extra, done.stderr)
