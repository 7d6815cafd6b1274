#!/usr/bin/env python3
"""Writes the results of scripts/bench.sh into docs/PERFORMANCE.md: the machine, date, commit
and commands, a table of the median run of each scenario against its target (pass/fail), and
every individual run. Only the part between the results markers is replaced; the hand-written
rest of the file is kept. Does I/O: reads the results (JSON lines of `kasocki bench`), /proc,
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

# scenario: (figure compared, minimum, also requires no gaps/duplicates, what the target says)
TARGETS = {
    "replay": ("msgs_per_s", 300_000, True, ">= 300,000 msgs/s, zero gaps/duplicates"),
    "consume1": ("msgs_per_s", 20_000, True, ">= 20,000 msgs/s"),
    "consume64": ("msgs_per_s", 200_000, True, ">= 200,000 msgs/s"),
    "filtered": ("evaluated_per_s", 1_000_000, True, ">= 1,000,000 evaluated/s"),
    "polling": ("msgs_per_s", 50_000, True, ">= 50,000 msgs/s"),
}


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
    out = [BEGIN, "", f"Run on {now}, working tree at commit {git_commit()}, {args.runs} run(s) "
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
        commands.setdefault(result["scenario"], result.get("command", ""))
    out += ["", "Commands (URL is `http://127.0.0.1:<free port>`, PID the server's; a fresh "
            "server per run):", "", "```sh", args.invocation.strip(), "# what it ran:",
            "scripts/kafka.sh start", args.producer,
            "cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DKASOCKI_TESTS=OFF",
            "ninja -C build-release -j2 kasocki_cli",
            "build-release/cli/kasocki serve --listen 127.0.0.1:<port> --brokers localhost:9092 "
            "--log-level warn --no-ui"]
    out += [f"build-release/cli/{command}" for command in commands.values()]
    out += ["```", "", END]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--runs", default="?")
    parser.add_argument("--producer", default="")
    parser.add_argument("--invocation", default="scripts/bench.sh")
    parser.add_argument("--build", default="Release build in build-release")
    parser.add_argument("--load", default="", help="load averages during the run")
    args = parser.parse_args()
    with open(args.results, encoding="utf-8") as lines:
        results = [json.loads(line) for line in lines if line.strip()]
    if not results:
        print("bench_report: no results", file=sys.stderr)
        return 1
    section = render(results, args)
    text = ""
    if os.path.exists(args.output):
        with open(args.output, encoding="utf-8") as existing:
            text = existing.read()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = (text.rstrip() + "\n\n" if text else "# Performance\n\n") + "## Results\n\n" + \
            section + "\n"
    with open(args.output, "w", encoding="utf-8") as out:
        out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
