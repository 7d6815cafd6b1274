"""The live page of `kasocki serve`: its HTTP routes (content types, caching, 404s, --no-ui,
--ui-assets, --path), and the page itself in headless Chromium driven by e2e/js/browser_ui.js
against a real broker with wiki-edit-like messages from scripts/demo_producer.py.
Does I/O: child processes (kasocki, node, chromium), Kafka produce, HTTP.

Screenshots go to e2e/output/browser_ui/ (page.png, phone.png); with KASOCKI_UI_SCREENSHOT=PATH
the desktop one is also copied there. With KASOCKI_DEMO_URL=http://localhost:6927/ one more test
drives the page against a running scripts/demo.sh (topic $DEMO_TOPIC, default kasocki_demo);
docs/screenshot.png is made that way.
"""

from __future__ import annotations

import json
import os
import pathlib
import queue
import random
import re
import shutil
import subprocess
import sys
import threading

import pytest
import requests

from conftest import REPO, free_port

sys.path.insert(0, str(REPO / "scripts"))
import demo_producer  # noqa: E402  (the demo's event generator: the page shows demo-like data)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
OUTPUT = REPO / "e2e" / "output" / "browser_ui"
FILTER = {"meta.domain": "/wikipedia\\.org$/", "type": ["edit", "new"]}
STEP_TIMEOUT_S = 60.0


def passes(event: dict) -> bool:
    return bool(re.search(r"wikipedia\.org$", event["meta"]["domain"])) and event["type"] in FILTER["type"]


@pytest.fixture
def serve(kasocki_bin, kafka_bootstrap, start_process):
    """serve(*extra_args) -> base URL of a `kasocki serve` on a free loopback port."""

    def start(*extra: str) -> str:
        port = free_port()
        start_process([kasocki_bin, "serve", "--listen", f"127.0.0.1:{port}", "--brokers",
                       kafka_bootstrap, *extra], port=port)
        return f"http://127.0.0.1:{port}"

    return start


# ---- HTTP routes ----


def test_page_and_client_are_served_with_types_and_validators(serve):
    base = serve()
    page = requests.get(base + "/", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Cache-Control"] == "no-cache"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert '<script src="/socket.io/socket.io.js">' in page.text
    etag = page.headers["ETag"]
    again = requests.get(base + "/", headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    assert requests.get(base + "/index.html", timeout=10).text == page.text

    for path, kind in [("/app.js", "text/javascript"), ("/style.css", "text/css")]:
        r = requests.get(base + path, timeout=10)
        assert r.status_code == 200, path
        assert r.headers["Content-Type"] == f"{kind}; charset=utf-8"

    client = requests.get(base + "/socket.io/socket.io.js", timeout=10)
    assert client.status_code == 200
    assert client.headers["Content-Type"] == "text/javascript; charset=utf-8"
    npm_copy = REPO / "e2e/js/node_modules/socket.io-client/dist/socket.io.min.js"
    assert client.content == npm_copy.read_bytes()
    head = requests.head(base + "/socket.io/socket.io.js", timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["Content-Length"]) == len(client.content)

    # The socket.io path itself still belongs to Engine.IO.
    handshake = requests.get(base + "/socket.io/?EIO=4&transport=polling", timeout=10)
    assert handshake.status_code == 200 and handshake.text.startswith('0{"sid":')


def test_unknown_paths_and_methods(serve):
    base = serve()
    missing = requests.get(base + "/nope.js", timeout=10)
    assert missing.status_code == 404
    assert missing.json() == {"error": "not found"}
    post = requests.post(base + "/", data="x", timeout=10)
    assert post.status_code == 405
    assert post.headers["Allow"] == "GET, HEAD"


def test_no_ui_turns_the_page_off(serve):
    base = serve("--no-ui")
    assert requests.get(base + "/", timeout=10).status_code == 404
    assert requests.get(base + "/socket.io/socket.io.js", timeout=10).status_code != 200
    assert requests.get(base + "/socket.io/?EIO=4&transport=polling", timeout=10).status_code == 200


def test_ui_assets_folder_wins_and_path_is_rewritten(serve, tmp_path):
    (tmp_path / "index.html").write_text('<meta content="/socket.io/"><p>edited</p>')
    base = serve("--ui-assets", str(tmp_path), "--path", "/kafka")
    page = requests.get(base + "/", timeout=10)
    assert page.text == '<meta content="/kafka/"><p>edited</p>'
    assert "socket.emit" in requests.get(base + "/app.js", timeout=10).text  # built-in copy
    assert requests.get(base + "/kafka/socket.io.js", timeout=10).status_code == 200


# ---- the page in a browser ----


class Driver:
    """node browser_ui.js as a child: its stdout lines are awaited through a queue."""

    def __init__(self, args: list[str]):
        self.popen = subprocess.Popen(args, cwd=REPO / "e2e" / "js", stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.popen.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def expect(self, wanted: str) -> None:
        try:
            line = self.lines.get(timeout=STEP_TIMEOUT_S)
        except queue.Empty:
            line = f"<nothing within {STEP_TIMEOUT_S}s>"
        if line != wanted:
            self.popen.kill()
            pytest.fail(f"browser driver: expected {wanted!r}, got {line!r}\n{self.popen.stderr.read()}")

    def send(self, line: str) -> None:
        self.popen.stdin.write(line + "\n")
        self.popen.stdin.flush()

    def finish(self) -> None:
        self.expect("DONE")
        assert self.popen.wait(timeout=STEP_TIMEOUT_S) == 0, self.popen.stderr.read()


def test_live_page_subscribes_filters_starts_stops_and_consumes(serve, fresh_topic, produce):
    if not pathlib.Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing (scripts/setup.sh installs Debian's chromium)")
    topic = fresh_topic(3)
    base = serve("--allowed-topics", topic)
    rng = random.Random(20240601)
    events = [demo_producer.make_event(rng, serial) for serial in range(1, 41)]
    matching = [e for e in events if passes(e)]
    assert 5 <= len(matching) < len(events)  # the seed gives both kinds

    driver = Driver(["node", "browser_ui.js", "steps", base + "/", topic, str(OUTPUT),
                     json.dumps(FILTER)])
    try:
        driver.expect("STARTED")
        produce(topic, events, key=[e["title"] for e in events])
        driver.send(f"PRODUCED {len(matching)}")

        driver.expect("STOPPED")
        # One that does not pass, then one that does: consume must return exactly that one.
        after = [demo_producer.make_event(rng, serial) for serial in range(41, 400)]
        skipped = next(e for e in after if not passes(e))
        wanted = next(e for e in after if passes(e))
        produce(topic, [skipped, wanted], key=wanted["title"])
        driver.send(f"PRODUCED {wanted['id']}")
        driver.finish()
    finally:
        if driver.popen.poll() is None:
            driver.popen.kill()
    keep_screenshots()


def keep_screenshots() -> None:
    assert (OUTPUT / "page.png").stat().st_size > 10_000
    assert (OUTPUT / "phone.png").stat().st_size > 10_000
    if copy_to := os.environ.get("KASOCKI_UI_SCREENSHOT"):
        shutil.copyfile(OUTPUT / "page.png", REPO / copy_to)


@pytest.mark.skipif(not os.environ.get("KASOCKI_DEMO_URL"), reason="KASOCKI_DEMO_URL not set")
def test_live_page_against_the_running_demo():
    """scripts/demo.sh is running: the page shows its stream, filtered, and stops."""
    topic = os.environ.get("DEMO_TOPIC", "kasocki_demo")
    driver = Driver(["node", "browser_ui.js", "watch", os.environ["KASOCKI_DEMO_URL"], topic,
                     str(OUTPUT), json.dumps(FILTER)])
    try:
        driver.finish()
    finally:
        if driver.popen.poll() is None:
            driver.popen.kill()
    keep_screenshots()
