"""`kasocki serve` configuration: a config file with comments, the command line over it,
--print-config (the effective options as JSON, secrets masked, nothing started), and the shipped
example config/kasocki.example.jsonc covering every option. Does I/O: child processes, files,
socket.io connections."""

from __future__ import annotations

import json
import pathlib
import re
import subprocess

pytest_plugins = ["gateway_fixture"]

REPO = pathlib.Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "config" / "kasocki.example.jsonc"

COMMENTED = """// a comment line
{
  /* block comment */
  "allowed-topics": ["kasocki_test_one"],  // trailing comment
  "ping-interval": 1000,
  "X": ["ssl.key.password=hunter2", "sasl.password=s3cret", "client.rack=r1",
        "ssl.keystore.password=abc"],
  "tls-cert": "/etc/kasocki/cert.pem", "tls-key": "/etc/kasocki/key.pem"
}
"""


def serve(kasocki_bin, *args) -> subprocess.CompletedProcess:
    return subprocess.run([str(kasocki_bin), "serve", *map(str, args)], capture_output=True,
                          text=True, timeout=30)


def test_print_config_masks_secrets_and_the_command_line_wins(kasocki_bin, tmp_path):
    config = tmp_path / "kasocki.jsonc"
    config.write_text(COMMENTED)
    # An unreachable broker: --print-config starts nothing, so it still answers at once.
    done = serve(kasocki_bin, "--config", config, "--ping-interval", 2000, "--print-config",
                 "--brokers", "127.0.0.1:1")
    assert done.returncode == 0, done.stderr
    effective = json.loads(done.stdout)
    assert effective["allowed-topics"] == ["kasocki_test_one"]
    assert effective["ping-interval"] == 2000 and effective["brokers"] == "127.0.0.1:1"
    assert effective["X"] == ["ssl.key.password=***", "sasl.password=***", "client.rack=r1",
                              "ssl.keystore.password=***"]
    assert effective["tls-key"] == "/etc/kasocki/key.pem"  # the path, never the contents
    assert "hunter2" not in done.stdout and "s3cret" not in done.stdout
    assert effective["no-ui"] is False and effective["listen"] == "0.0.0.0:6927"
    # The output is itself a valid config file giving the same configuration.
    again = tmp_path / "again.json"
    again.write_text(json.dumps({k: v for k, v in effective.items() if k != "X"}))
    redone = serve(kasocki_bin, "--config", again, "--print-config")
    assert redone.returncode == 0, redone.stderr
    assert {k: v for k, v in json.loads(redone.stdout).items() if k != "X"} == \
        {k: v for k, v in effective.items() if k != "X"}


def test_print_config_flag_in_the_command_line(kasocki_bin):
    done = serve(kasocki_bin, "--print-config", "--no-ui", "-X", "sasl.password=x")
    effective = json.loads(done.stdout)
    assert effective["no-ui"] is True and effective["X"] == ["sasl.password=***"]


def test_a_commented_config_file_configures_the_server(kasocki_server, connect, tmp_path):
    config = tmp_path / "kasocki.jsonc"
    config.write_text(COMMENTED.replace('"X": [', '"X-unused": [').replace(
        '"tls-cert": "/etc/kasocki/cert.pem", "tls-key": "/etc/kasocki/key.pem"', '"no-eio3": true').replace(
        '"X-unused": ["ssl.key.password=hunter2", "sasl.password=s3cret", "client.rack=r1",\n'
        '        "ssl.keystore.password=abc"],\n', ''))
    server = kasocki_server("--config", config)
    client = connect(server)
    assert client.topics == ["kasocki_test_one"]


def test_a_bad_config_file_is_a_usage_error(kasocki_bin, tmp_path):
    config = tmp_path / "bad.jsonc"
    config.write_text('{"ping-interval": 1000,,}')
    done = serve(kasocki_bin, "--config", config)
    assert done.returncode == 2 and "not a JSON object" in done.stderr


def strip_comments(text: str) -> str:
    """JSON with // and /* */ comments -> JSON (strings are kept as they are)."""
    token = re.compile(r'"(?:[^"\\]|\\.)*"|//[^\n]*|/\*.*?\*/', re.S)
    return token.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)


def test_the_example_config_covers_every_option_and_is_accepted(kasocki_bin):
    text = EXAMPLE.read_text()
    example = json.loads(strip_comments(text))
    help_text = serve(kasocki_bin, "--help").stdout
    options = set(re.findall(r"^\s+(?:-\w \[ )?--([a-z0-9-]+|X)", help_text, re.M))
    options -= {"help", "config", "print-config"}
    # Every option is set in the example or shown in a commented-out line.
    documented = set(example) | set(re.findall(r'^\s*// "([a-zA-Z0-9-]+)":', text, re.M))
    assert options <= documented, f"not in {EXAMPLE.name}: {sorted(options - documented)}"
    done = serve(kasocki_bin, "--config", EXAMPLE, "--print-config")
    assert done.returncode == 0, done.stderr
    effective = json.loads(done.stdout)
    assert {k: effective[k] for k in example if example[k] != []} == \
        {k: v for k, v in example.items() if v != []}
