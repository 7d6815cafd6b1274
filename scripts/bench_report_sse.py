"""The SSE section of docs/PERFORMANCE.md (scenarios sse_replay and sse_fanout of
scripts/bench.sh, `kasocki bench --transport sse`), rendered by scripts/bench_report.py with its
helpers. Pure: results in, Markdown out.
"""

from __future__ import annotations

import argparse

import bench_report as br

SSE_BEGIN = ("<!-- bench-sse-results:begin (written by scripts/bench.sh; edits here are "
             "overwritten) -->")
SSE_END = "<!-- bench-sse-results:end -->"

# scenario: (figure the median run is chosen by, what the target says). Both also require every
# client to receive every message, exactly once and in order, as checked from the event ids.
SSE_TARGETS = {
    "sse_replay": ("msgs_per_s", "1 SSE client, the whole topic from its start: >= 300,000 "
                                 "msgs/s, 0 gaps/duplicates from the ids"),
    "sse_fanout": ("p99_ms", "1,000 SSE clients, 500 msgs/s: all delivered, p99 < 100 ms, "
                             "RSS < 300 MB"),
}


def consistent(result: dict) -> bool:
    """Every client complete, no gap, duplicate or id that disagrees with its data."""
    return br.delivered(result) and not result.get("id_mismatches")


def verdict(scenario: str, med: dict, runs: list[dict]) -> tuple[bool, str]:
    ok = all(consistent(r) for r in runs)
    if med.get("stopped_by") == "safety":
        return False, "safety stop: " + med.get("failure", "").split("reached ", 1)[-1]
    complete = f"{br.fmt(med.get('clients_complete'))}/{br.fmt(med.get('clients'))} complete"
    rss = br.peak_rss(med) or 0.0
    if scenario == "sse_replay":
        rate = br.figure(med, "msgs_per_s")
        return ok and rate >= 300_000, f"{complete}, {rate:,.0f} msgs/s"
    p99 = br.figure(med, "p99_ms")
    return ok and p99 < 100 and rss < 300, f"{complete}, p99 {p99:,.1f} ms, {rss:,.0f} MB"


def render_sse(results: list[dict], args: argparse.Namespace) -> str:
    by_scenario: dict[str, list[dict]] = {}
    for result in results:
        by_scenario.setdefault(result["scenario"], []).append(result)
    out = br.header(results, args, SSE_BEGIN)
    out += ["| scenario | target | result | pass | msgs/s | MB/s | p50 / p99 / max ms | gaps / dup "
            "/ id mismatches | server peak RSS MB | server CPU | bench CPU | all cores busy | "
            "connect s | stopped by |",
            "|---|---|---|---|---:|---:|---|---|---:|---:|---:|---:|---:|---|"]
    for scenario, runs in by_scenario.items():
        key, text = SSE_TARGETS[scenario]
        med = br.median_run(runs, key)
        passed, result = verdict(scenario, med, runs)
        out.append(
            f"| {scenario} | {text} | {result} | {'pass' if passed else '**fail**'} | "
            f"{br.fmt(med.get('msgs_per_s'))} | {br.fmt(med.get('MB_per_s'), 1)} | "
            f"{br.fmt(med.get('p50_ms'), 1)} / {br.fmt(med.get('p99_ms'), 1)} / "
            f"{br.fmt(med.get('max_ms'), 1)} | {br.fmt(med.get('gaps'))} / "
            f"{br.fmt(med.get('duplicates'))} / {br.fmt(med.get('id_mismatches'))} | "
            f"{br.fmt(br.peak_rss(med), 1)} | "
            f"{br.pct(med.get('server_cpu_s'), med.get('seconds'))} | "
            f"{br.pct(med.get('bench_cpu_s'), med.get('seconds'))} | "
            f"{br.fmt(med.get('machine_busy_pct'))} % | {br.fmt(med.get('setup_s'), 1)} | "
            f"{med.get('stopped_by')} |")
    out += ["", "Gaps and duplicates come from the event ids alone (each id names, for every "
            "partition, the offset after the last message sent from it: the entry that moved must "
            "move by one); \"id mismatches\" counts events whose id does not name the offset after "
            "their data's `_kafka` one. Latencies are receive time minus the Kafka timestamp: in "
            "sse_replay the age of the data, in sse_fanout the delay from the producer.", ""]
    out += ["Every run (abridged):", "",
            "| scenario | run | complete | per client (expected) | messages | seconds | msgs/s | "
            "p99 ms | gaps | dup | id mismatches | server RSS MB | server CPU s | bench CPU s | "
            "connect s | failure |",
            "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        expected = r.get("expected_per_client") or [None, None]
        got = r.get("received_per_client") or [None, None]
        out.append(
            f"| {r['scenario']} | {r.get('run')} | {br.fmt(r.get('clients_complete'))}/"
            f"{br.fmt(r.get('clients'))} | {br.fmt(got[0])}-{br.fmt(got[1])} "
            f"({br.fmt(expected[0])}-{br.fmt(expected[1])}) | {br.fmt(r.get('messages'))} | "
            f"{br.fmt(r.get('seconds'), 2)} | {br.fmt(r.get('msgs_per_s'))} | "
            f"{br.fmt(r.get('p99_ms'), 1)} | {br.fmt(r.get('gaps'))} | "
            f"{br.fmt(r.get('duplicates'))} | {br.fmt(r.get('id_mismatches'))} | "
            f"{br.fmt(br.peak_rss(r), 1)} | {br.fmt(r.get('server_cpu_s'), 2)} | "
            f"{br.fmt(r.get('bench_cpu_s'), 2)} | {br.fmt(r.get('setup_s'), 1)} | "
            f"{r.get('failure', '')} |")
    commands = {}
    for r in results:
        commands.setdefault(r["scenario"], (r.get("server_command", ""), r.get("command", "")))
    out += ["", "Commands (URL is `http://127.0.0.1:<free port>`, PID the server's; a fresh "
            "server per run):", "", "```sh", args.invocation.strip(), "# what it ran, per scenario:"]
    for server, bench in commands.values():
        out += [f"build-release/cli/{server}", f"build-release/cli/{bench}"]
    out += ["```", "", SSE_END]
    return "\n".join(out)
