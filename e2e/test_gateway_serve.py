"""`kasocki serve` as a command (kasocki-api.md, "Command line"): --config files, the command
line winning over them, -X properties, /healthz, and bad usage exiting 2 before listening."""

from __future__ import annotations

import json
import subprocess

import pytest

pytest_plugins = ["gateway_fixture"]

ONE = "kasocki_test_one"
TWO = "kasocki_test_two"


def test_config_file_options(kasocki_server, connect, tmp_path):
    config = tmp_path / "kasocki.json"
    config.write_text(json.dumps({"allowed-topics": [ONE, TWO], "X": ["auto.offset.reset=earliest"]}))
    server = kasocki_server("--config", config)
    client = connect(server)
    assert client.topics == [ONE, TWO]
    # auto.offset.reset=earliest from the file: an out-of-range offset starts at the beginning.
    assert client.ok("subscribe", [{"topic": ONE, "partition": 0, "offset": 99}]) == [
        {"topic": ONE, "partition": 0, "offset": 0, "reset": True}]


def test_command_line_wins_over_the_config_file(kasocki_server, connect, tmp_path):
    config = tmp_path / "kasocki.json"
    config.write_text(json.dumps({"allowed-topics": TWO, "log-level": "error"}))
    server = kasocki_server("--config", config, "--allowed-topics", ONE)
    assert connect(server).topics == [ONE]


def test_healthz(gateway):
    response = gateway.healthz()
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("args", [
    ["--listen", "nonsense"],
    ["--listen", "127.0.0.1:99999"],
    ["-X", "no-equals-sign"],
    ["-X", "auto.offset.reset=sometimes"],
    ["--log-level", "loud"],
    ["--config", "/nonexistent/kasocki.json"],
    ["--ping-interval", "0"],
    ["--busy-poll-us", "-1"],
    ["--no-such-option"],
], ids=lambda a: " ".join(a))
def test_bad_usage_exits_2(kasocki_bin, args):
    done = subprocess.run([str(kasocki_bin), "serve", *args], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "kasocki serve" in done.stderr


def test_config_file_that_is_not_json_exits_2(kasocki_bin, tmp_path):
    config = tmp_path / "bad.json"
    config.write_text("listen: 1.2.3.4:5")
    done = subprocess.run([str(kasocki_bin), "serve", "--config", str(config)], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 2 and "not a JSON object" in done.stderr


def test_help(kasocki_bin):
    done = subprocess.run([str(kasocki_bin), "serve", "--help"], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0
    for option in ("--listen", "--brokers", "-X", "--allowed-topics", "--config", "--log-level"):
        assert option in done.stdout
