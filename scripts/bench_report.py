#!/usr/bin/env python3
"""Writes the results of scripts/bench.sh into docs/PERFORMANCE.md: the machine, date, commit
and commands, a table of the median run of each scenario against its target (pass/fail), and
every individual run. Replays of the preloaded topic, live scenarios (clients at the end of
a topic produced at a fixed rate), history, SSE (bench_report_sse.py) and cluster scenarios
(bench_report_cluster.py) have a section each; only the sections between the markers of
the groups that have results are replaced, the hand-written rest of the file is kept. Does I/O: reads the results (JSON lines of `kasocki bench`), /proc,
git; writes the output file.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

BEGIN = "<!-- bench-results:begin (written by scripts/bench.sh; edits here are overwritten) -->"
END = "<!-- bench-results:end -->"
LIVE_BEGIN = ("<!-- bench-live-results:begin (written by scripts/bench.sh; edits here are "
              "overwritten) -->")
LIVE_END = "<!-- bench-live-results:end -->"
HISTORY_BEGIN = ("<!-- bench-history-results:begin (written by scripts/bench.sh; edits here are "
                 "overwritten) -->")
HISTORY_END = "<!-- bench-history-results:end -->"

# scenario: (figure compared, minimum, also requires no gaps/duplicates, what the target says)
TARGETS = {
    "replay": ("msgs_per_s", 300_000, True, ">= 300,000 msgs/s, zero gaps/duplicates"),
    "consume1": ("msgs_per_s", 20_000, True, ">= 20,000 msgs/s"),
    "consume64": ("msgs_per_s", 200_000, True, ">= 200,000 msgs/s"),
    "filtered": ("evaluated_per_s", 1_000_000, True, ">= 1,000,000 evaluated/s"),
    "polling": ("msgs_per_s", 50_000, True, ">= 50,000 msgs/s"),
}


# Live scenarios: (figure the median run is chosen by, what the target says). Every one also
# requires every client to receive every message produced, exactly once, in order.
LIVE_TARGETS = {
    "fanout": ("p99_ms", "1,000 clients, 500 msgs/s: all delivered, p99 < 100 ms, RSS < 300 MB"),
    "connections": ("server_peak_rss_mb",
                    "10,000 clients, 10 msgs/s: all delivered, RSS < 1 GB, threads < 50"),
    "reconnect": ("recovery_s", "1,000 clients reconnect at once: none missed or repeated; "
                                "recovery time reported"),
    "stalled_baseline": ("p99_ms", "100 clients, 500 msgs/s, none stalled: the reference p99"),
    "stalled": ("p99_ms", "the same plus 1 stalled client: p99 within 10 % of stalled_baseline, "
                          "RSS bounded"),
}


# History scenarios: (figure the median run is chosen by, what the target says). Every one also
# requires every client to receive all of its messages, exactly once, in order.
HISTORY_TARGETS = {
    "history": ("msgs_per_s", "1,000 clients from offsets spread over the topic, 20,000 messages "
                              "each: all received, >= 400,000 msgs/s, RSS <= 1 GB, fetched <= 2x "
                              "the topic"),
    "history_same": ("msgs_per_s", "2,000 clients from the same {topic, timestamp}, 20,000 "
                                   "messages each: all received, RSS <= 1 GB, fetched <= 1.2x "
                                   "the range"),
    "storm_deep": ("live_s", "2,000 live clients resubscribe at once behind 200,000 messages, "
                             "500 msgs/s produced: none missed or repeated, RSS <= 1 GB, time "
                             "until all live reported"),
}


def peak_rss(result: dict):
    values = [result.get(k) for k in ("server_peak_rss_mb", "server_peak_rss_sampled_mb")]
    values = [v for v in values if isinstance(v, (int, float))]
    return max(values) if values else None


def delivered(result: dict) -> bool:
    return result.get("clients_complete") == result.get("clients") and clean(result)


def live_verdict(scenario: str, med: dict, runs: list[dict], baseline_p99) -> tuple[bool, str]:
    """Whether the median run meets its target, and the result column's text."""
    ok = all(delivered(r) for r in runs)
    if med.get("stopped_by") == "safety":
        return False, "safety stop: " + med.get("failure", "").split("reached ", 1)[-1]
    complete = f"{fmt(med.get('clients_complete'))}/{fmt(med.get('clients'))} complete"
    # A server killed by a safety stop has no VmHWM left to read: the samples' peak stands in.
    p99 = figure(med, "p99_ms")
    rss = max(figure(med, "server_peak_rss_mb"), figure(med, "server_peak_rss_sampled_mb"))
    threads = med.get("server_peak_threads")
    if scenario == "fanout":
        return ok and p99 < 100 and rss < 300, f"{complete}, p99 {p99:,.1f} ms, {rss:,.0f} MB"
    if scenario == "connections":
        return (ok and rss < 1024 and isinstance(threads, int) and threads < 50,
                f"{complete}, {rss:,.0f} MB, {fmt(threads)} threads, "
                f"connect {fmt(med.get('setup_s'), 1)} s")
    if scenario == "reconnect":
        recovery = med.get("recovery_s")
        return (ok and recovery is not None,
                f"{complete}, recovery {fmt(recovery, 2)} s (p50 {fmt(med.get('recovery_p50_s'), 2)} s)")
    if scenario == "stalled":
        within = baseline_p99 is not None and p99 <= 1.1 * baseline_p99
        ratio = f"{p99 / baseline_p99:.2f}x baseline" if baseline_p99 else "no baseline"
        return ok and within, f"{complete}, p99 {p99:,.1f} ms ({ratio}), {rss:,.0f} MB"
    return ok, f"{complete}, p99 {p99:,.1f} ms"


def fetch_ratio(run: dict) -> float | None:
    """Bytes read from Kafka per byte asked: the larger of what the fetchers stored and what
    librdkafka received (read-ahead dropped when a fetch ended is in the latter only)."""
    ratios = [r for r in (run.get("fetched_ratio"), run.get("kafka_read_ratio")) if r is not None]
    return max(ratios) if ratios else None


def mb(value) -> str:
    return fmt(value / 1e6 if isinstance(value, (int, float)) else None, 1)


def history_verdict(scenario: str, med: dict, runs: list[dict]) -> tuple[bool, str]:
    """Whether the median run meets its target (counts of clients as given: the targets' are
    checked by the text), and the result column's text."""
    ok = all(delivered(r) for r in runs)
    if med.get("stopped_by") == "safety":
        return False, "safety stop: " + med.get("failure", "").split("reached ", 1)[-1]
    complete = f"{fmt(med.get('clients_complete'))}/{fmt(med.get('clients'))} complete"
    rss = peak_rss(med) or 0.0
    ratio = fetch_ratio(med)
    ratio_text = "-" if ratio is None else f"{ratio:.2f}x"
    if scenario == "history":
        rate = figure(med, "msgs_per_s")
        return (ok and rate >= 400_000 and rss <= 1024 and ratio is not None and ratio <= 2,
                f"{complete}, {rate:,.0f} msgs/s, {rss:,.0f} MB, fetched {ratio_text}")
    if scenario == "history_same":
        return (ok and rss <= 1024 and ratio is not None and ratio <= 1.2,
                f"{complete}, {fmt(med.get('msgs_per_s'))} msgs/s, {rss:,.0f} MB, "
                f"fetched {ratio_text}")
    live = med.get("live_s")
    backlog = med.get("backlog_per_client") or [None, None]
    return (ok and rss <= 1024 and live is not None,
            f"{complete}, all live {fmt(live, 1)} s after the pause (backlog "
            f"{fmt(backlog[0])}-{fmt(backlog[1])} per client), {rss:,.0f} MB")


def render_history(results: list[dict], args: argparse.Namespace) -> str:
    by_scenario: dict[str, list[dict]] = {}
    for result in results:
        by_scenario.setdefault(result["scenario"], []).append(result)
    out = header(results, args, HISTORY_BEGIN)
    out += ["| scenario | target | result | pass | clients | msgs/s | gaps / dup | server peak "
            "RSS MB | server threads | stored / read from Kafka / asked MB | server CPU | "
            "bench CPU | all cores busy | seconds | stopped by |",
            "|---|---|---|---|---:|---:|---|---:|---:|---|---:|---:|---:|---:|---|"]
    for scenario, runs in by_scenario.items():
        key, text = HISTORY_TARGETS[scenario]
        med = median_run(runs, key)
        passed, result = history_verdict(scenario, med, runs)
        fetched_text = (f"{mb(med.get('fetched_bytes'))} / {mb(med.get('kafka_read_bytes'))} / "
                        f"{mb(med.get('range_bytes'))}")
        out.append(
            f"| {scenario} | {text} | {result} | {'pass' if passed else '**fail**'} | "
            f"{fmt(med.get('clients'))} | {fmt(med.get('msgs_per_s'))} | "
            f"{fmt(med.get('gaps'))} / {fmt(med.get('duplicates'))} | {fmt(peak_rss(med), 1)} | "
            f"{fmt(med.get('server_peak_threads'))} | {fetched_text} | "
            f"{pct(med.get('server_cpu_s'), med.get('seconds'))} | "
            f"{pct(med.get('bench_cpu_s'), med.get('seconds'))} | "
            f"{fmt(med.get('machine_busy_pct'))} % | {fmt(med.get('seconds'), 1)} | "
            f"{med.get('stopped_by')} |")
    out += ["", "\"complete\" counts the clients that received every message they asked for "
            "(history: their 20,000; storm_deep: every offset from their first subscription to "
            "the end of production, across the reconnect), once each and in order. \"asked\" is "
            "the key + value bytes of the distinct messages of their quotas the clients received "
            "(each counted once, whoever got it); \"stored\" the increase of the server's "
            "`kasocki_history_fetched_bytes_total` (what its fetchers put in the store), \"read "
            "from Kafka\" of `kasocki_kafka_fetched_bytes_total{role=\"fetcher\"}` of the topic "
            "(librdkafka's statistics of the history fetchers, every 5 s: what the broker sent, "
            "read-ahead dropped when a fetch ended included, not the live reader's backfill; a "
            "consumer closed before its next report is missing). \"fetched\" in the "
            "result is the larger of the two per byte asked. storm_deep's "
            "\"all live\" runs from the end of the pause (every client resubscribing at once) "
            "until every client has received a message produced after its resubscription.", ""]
    out += ["Every run (abridged):", "",
            "| scenario | run | complete | per client (expected) | messages | msgs/s | gaps | dup "
            "| server RSS MB | threads | stored MB | read from Kafka MB | asked MB | ratio "
            "| pause / all live s | failure |",
            "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in results:
        expected = r.get("expected_per_client") or [None, None]
        got = r.get("received_per_client") or [None, None]
        ratio = fetch_ratio(r)
        out.append(
            f"| {r['scenario']} | {r.get('run')} | {fmt(r.get('clients_complete'))}/"
            f"{fmt(r.get('clients'))} | {fmt(got[0])}-{fmt(got[1])} ({fmt(expected[0])}-"
            f"{fmt(expected[1])}) | {fmt(r.get('messages'))} | {fmt(r.get('msgs_per_s'))} | "
            f"{fmt(r.get('gaps'))} | {fmt(r.get('duplicates'))} | {fmt(peak_rss(r), 1)} | "
            f"{fmt(r.get('server_peak_threads'))} | "
            f"{mb(r.get('fetched_bytes'))} | {mb(r.get('kafka_read_bytes'))} | "
            f"{mb(r.get('range_bytes'))} | {fmt(ratio, 3)} | "
            f"{fmt(r.get('pause_s'), 1) if 'pause_s' in r else ''}"
            f"{' / ' + fmt(r.get('live_s'), 1) if 'live_s' in r else ''} | "
            f"{r.get('failure', '')} |")
    commands = {}
    for r in results:
        commands.setdefault(r["scenario"], (r.get("server_command", ""), r.get("command", "")))
    out += ["", "Commands (URL is `http://127.0.0.1:<free port>`, PID the server's; a fresh "
            "server per run):", "", "```sh", args.invocation.strip(), "# what it ran, per scenario:"]
    for server, bench in commands.values():
        out += [f"build-release/cli/{server}", f"build-release/cli/{bench}"]
    out += ["```", "", HISTORY_END]
    return "\n".join(out)


def machine() -> list[str]:
    model = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return [f"- CPU: {model}, nproc = {os.cpu_count()}",
            f"- memory: {mem_kb / 1024 / 1024:.1f} GiB",
            f"- kernel: {platform.system()} {platform.release()}"]


def git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True,
                              check=False).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return commit + (" (with uncommitted changes in the tree)" if dirty else "")


def measured(args: argparse.Namespace) -> str:
    # With BENCH_KASOCKI the binary may be of another commit than the tree: --commit says which.
    return f"commit {args.commit}" if args.commit else f"working tree at commit {git_commit()}"


def figure(result: dict, key: str) -> float:
    value = result.get(key)
    return float(value) if isinstance(value, (int, float)) else 0.0


def clean(result: dict) -> bool:
    return not result.get("gaps") and not result.get("duplicates") and "failure" not in result


def median_run(runs: list[dict], key: str) -> dict:
    ordered = sorted(runs, key=lambda r: figure(r, key))
    return ordered[(len(ordered) - 1) // 2]


def pct(seconds_used, seconds) -> str:
    if not isinstance(seconds_used, (int, float)) or not seconds:
        return "-"
    return f"{100 * seconds_used / seconds:.0f} %"


def fmt(value, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return f"{value:,.{digits}f}"
    return str(value)


def render(results: list[dict], args: argparse.Namespace) -> str:
    by_scenario: dict[str, list[dict]] = {}
    for result in results:
        by_scenario.setdefault(result["scenario"], []).append(result)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [BEGIN, "", f"Run on {now}, {measured(args)}, {args.runs} run(s) "
           "per scenario (the table shows the median run by the target's figure).", "",
           *machine(),
           f"- binary: {args.build}", f"- load average (1/5/15 min): {args.load or '-'}", ""]
    out += ["| scenario | target | result | pass | msgs/s | evaluated/s | MB/s | p50 / p99 / "
            "max ms | gaps / dup | server CPU | server peak RSS MB | bench CPU | Kafka CPU | "
            "all cores busy | stopped by |",
            "|---|---|---|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---|"]
    for scenario, runs in by_scenario.items():
        key, minimum, strict, text = TARGETS.get(scenario, ("msgs_per_s", 0, False, "-"))
        med = median_run(runs, key)
        passed = figure(med, key) >= minimum and (not strict or all(clean(r) for r in runs))
        gaps = "n/a" if med.get("gaps") is None else fmt(med.get("gaps"))
        out.append(
            f"| {scenario} | {text} | {fmt(med.get(key))} {key.replace('_per_s', '/s')} | "
            f"{'pass' if passed else '**fail**'} | {fmt(med.get('msgs_per_s'))} | "
            f"{fmt(med.get('evaluated_per_s'))} | {fmt(med.get('MB_per_s'), 1)} | "
            f"{fmt(med.get('p50_ms'), 1)} / {fmt(med.get('p99_ms'), 1)} / "
            f"{fmt(med.get('max_ms'), 1)} | {gaps} / {fmt(med.get('duplicates'))} | "
            f"{pct(med.get('server_cpu_s'), med.get('seconds'))} | "
            f"{fmt(med.get('server_peak_rss_mb'), 1)} | "
            f"{pct(med.get('bench_cpu_s'), med.get('seconds'))} | "
            f"{pct(med.get('kafka_cpu_s'), med.get('seconds'))} | "
            f"{fmt(med.get('machine_busy_pct'))} % | {med.get('stopped_by')} |")
    out += ["", "CPU columns are CPU time over the measured seconds (100 % = one core busy; the "
            "Kafka broker's is over the whole bench process, setup included); \"all cores busy\" "
            "is the share of every core's time that was not idle during the run. "
            "Latencies are receive time minus the Kafka timestamp: in these replays of a "
            "preloaded topic they measure the age of the data, not the gateway's delay.", ""]
    out += ["Every run (the JSON line `kasocki bench` printed, abridged):", "",
            "| scenario | run | messages | seconds | msgs/s | evaluated/s | gaps | dup | "
            "server CPU s | server RSS MB | bench CPU s | reached end | failure |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for result in results:
        out.append(
            f"| {result['scenario']} | {result.get('run')} | {fmt(result.get('messages'))} | "
            f"{fmt(result.get('seconds'), 2)} | {fmt(result.get('msgs_per_s'))} | "
            f"{fmt(result.get('evaluated_per_s'))} | {fmt(result.get('gaps'))} | "
            f"{fmt(result.get('duplicates'))} | {fmt(result.get('server_cpu_s'), 2)} | "
            f"{fmt(result.get('server_peak_rss_mb'), 1)} | {fmt(result.get('bench_cpu_s'), 2)} | "
            f"{fmt(result.get('reached_end'))} | {result.get('failure', '')} |")
    commands = {}
    for result in results:
        commands.setdefault(result["scenario"],
                            (result.get("server_command", ""), result.get("command", "")))
    out += ["", "Commands (URL is `http://127.0.0.1:<free port>`, PID the server's; a fresh "
            "server per run):", "", "```sh", args.invocation.strip(), "# what it ran:",
            "scripts/kafka.sh start", args.producer,
            "cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DKASOCKI_TESTS=OFF",
            "ninja -C build-release -j2 kasocki_cli"]
    for server, command in commands.values():
        out += [f"build-release/cli/{server}", f"build-release/cli/{command}"]
    out += ["```", "", END]
    return "\n".join(out)


def header(results: list[dict], args: argparse.Namespace, begin: str) -> list[str]:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return [begin, "", f"Run on {now}, {measured(args)}, {args.runs} run(s) "
            "per scenario (the table shows the median run by the target's figure).", "",
            *machine(), f"- binary: {args.build}",
            f"- load average (1/5/15 min): {args.load or '-'}", ""]


def render_live(results: list[dict], args: argparse.Namespace) -> str:
    by_scenario: dict[str, list[dict]] = {}
    for result in results:
        by_scenario.setdefault(result["scenario"], []).append(result)
    baseline = by_scenario.get("stalled_baseline")
    baseline_p99 = figure(median_run(baseline, "p99_ms"), "p99_ms") if baseline else None
    out = header(results, args, LIVE_BEGIN)
    out += ["| scenario | target | result | pass | deliveries/s | p50 / p99 / max ms | gaps / dup "
            "| server peak RSS MB | server threads | server CPU | bench CPU | all cores busy | "
            "connect s | stopped by |",
            "|---|---|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for scenario, runs in by_scenario.items():
        key, text = LIVE_TARGETS.get(scenario, ("p99_ms", "-"))
        med = median_run(runs, key)
        passed, result = live_verdict(scenario, med, runs, baseline_p99)
        out.append(
            f"| {scenario} | {text} | {result} | {'pass' if passed else '**fail**'} | "
            f"{fmt(med.get('msgs_per_s'))} | {fmt(med.get('p50_ms'), 1)} / "
            f"{fmt(med.get('p99_ms'), 1)} / {fmt(med.get('max_ms'), 1)} | "
            f"{fmt(med.get('gaps'))} / {fmt(med.get('duplicates'))} | "
            f"{fmt(peak_rss(med), 1)} | {fmt(med.get('server_peak_threads'))} | "
            f"{pct(med.get('server_cpu_s'), med.get('seconds'))} | "
            f"{pct(med.get('bench_cpu_s'), med.get('seconds'))} | "
            f"{fmt(med.get('machine_busy_pct'))} % | {fmt(med.get('setup_s'), 1)} | "
            f"{med.get('stopped_by')} |")
    out += ["", "Latencies are receive time minus the Kafka timestamp (the producer's create "
            "time, linger 1 ms), over every message of the run. \"complete\" counts the clients "
            "that received every offset from their subscription to the end of the production, "
            "once each and in order. Server threads are the peak of `Threads` in "
            "/proc/PID/status sampled every 100 ms; a run stopped by \"safety\" passed the "
            "bench's cap on server threads or memory (6,000 threads / 2,000 MB): the bench "
            "killed the server at once so the machine stayed usable.", ""]
    out += ["Every run (abridged):", "",
            "| scenario | run | complete | per client (expected) | deliveries | deliveries/s | "
            "p99 ms | gaps | dup | server RSS MB | threads | connect s | resubscribed / "
            "recovery s | failure |",
            "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in results:
        expected = r.get("expected_per_client") or [None, None]
        got = r.get("received_per_client") or [None, None]
        recovery = (f"{fmt(r.get('resubscribed_s'), 2)} / {fmt(r.get('recovery_s'), 2)}"
                    if "recovery_s" in r else "")
        out.append(
            f"| {r['scenario']} | {r.get('run')} | {fmt(r.get('clients_complete'))}/"
            f"{fmt(r.get('clients'))} | {fmt(got[0])}-{fmt(got[1])} ({fmt(expected[0])}-"
            f"{fmt(expected[1])}) | {fmt(r.get('messages'))} | {fmt(r.get('msgs_per_s'))} | "
            f"{fmt(r.get('p99_ms'), 1)} | {fmt(r.get('gaps'))} | {fmt(r.get('duplicates'))} | "
            f"{fmt(peak_rss(r), 1)} | {fmt(r.get('server_peak_threads'))} | "
            f"{fmt(r.get('setup_s'), 1)} | {recovery} | {r.get('failure', '')} |")
    commands = {}
    for r in results:
        commands.setdefault(r["scenario"], (r.get("server_command", ""), r.get("command", "")))
    out += ["", "Commands (URL is `http://127.0.0.1:<free port>`, PID the server's; a fresh "
            "server per run):", "", "```sh", args.invocation.strip(), "# what it ran, per scenario:"]
    for server, bench in commands.values():
        out += [f"build-release/cli/{server}", f"build-release/cli/{bench}"]
    out += ["```", "", LIVE_END]
    return "\n".join(out)


def replace_section(text: str, begin: str, end: str, section: str, title: str) -> str:
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        return head + section + rest.split(end, 1)[1]
    return (text.rstrip() + "\n\n" if text else "# Performance\n\n") + f"## {title}\n\n" + \
        section + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--runs", default="?")
    parser.add_argument("--producer", default="")
    parser.add_argument("--invocation", default="scripts/bench.sh")
    parser.add_argument("--build", default="Release build in build-release")
    parser.add_argument("--load", default="", help="load averages during the run")
    parser.add_argument("--commit", default="",
                        help="what the measured binary was built from (default: the tree's HEAD)")
    args = parser.parse_args()
    with open(args.results, encoding="utf-8") as lines:
        results = [json.loads(line) for line in lines if line.strip()]
    if not results:
        print("bench_report: no results", file=sys.stderr)
        return 1
    # Imported here: it imports this module for the helpers.
    from bench_report_sse import SSE_BEGIN, SSE_END, SSE_TARGETS, render_sse
    from bench_report_cluster import CLUSTER_BEGIN, CLUSTER_END, CLUSTER_TARGETS, render_cluster
    live = [r for r in results if r["scenario"] in LIVE_TARGETS]
    history = [r for r in results if r["scenario"] in HISTORY_TARGETS]
    sse = [r for r in results if r["scenario"] in SSE_TARGETS]
    cluster = [r for r in results if r["scenario"] in CLUSTER_TARGETS]
    grouped = {**LIVE_TARGETS, **HISTORY_TARGETS, **SSE_TARGETS, **CLUSTER_TARGETS}
    replays = [r for r in results if r["scenario"] not in grouped]
    text = ""
    if os.path.exists(args.output):
        with open(args.output, encoding="utf-8") as existing:
            text = existing.read()
    if replays:
        text = replace_section(text, BEGIN, END, render(replays, args), "Results")
    if live:
        text = replace_section(text, LIVE_BEGIN, LIVE_END, render_live(live, args),
                               "Results: live scenarios")
    if history:
        text = replace_section(text, HISTORY_BEGIN, HISTORY_END, render_history(history, args),
                               "Results: history at scale")
    if sse:
        text = replace_section(text, SSE_BEGIN, SSE_END, render_sse(sse, args),
                               "Results: Server-Sent Events")
    if cluster:
        text = replace_section(text, CLUSTER_BEGIN, CLUSTER_END, render_cluster(cluster, args),
                               "Results: two gateways behind HAProxy")
    with open(args.output, "w", encoding="utf-8") as out:
        out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
