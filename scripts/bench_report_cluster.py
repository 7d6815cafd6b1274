"""The cluster section of docs/PERFORMANCE.md (scenarios cluster_direct, cluster_balanced and
cluster_failover of scripts/bench.sh: two gateways, directly or behind HAProxy, one killed in
cluster_failover), rendered by scripts/bench_report.py with its helpers. Pure: results in,
Markdown out.
"""

from __future__ import annotations

import argparse

import bench_report as br

CLUSTER_BEGIN = ("<!-- bench-cluster-results:begin (written by scripts/bench.sh; edits here are "
                 "overwritten) -->")
CLUSTER_END = "<!-- bench-cluster-results:end -->"

# scenario: (figure the median run is chosen by, what the target says). All three also require
# every client to receive every message produced, exactly once and in order.
CLUSTER_TARGETS = {
    "cluster_direct": ("p99_ms", "1,000 clients split over the 2 gateways' own ports, 100 "
                                 "msgs/s: all delivered (the baseline)"),
    "cluster_balanced": ("p99_ms", "the same through HAProxy: all delivered; overhead reported"),
    "cluster_failover": ("closed_recovery_s", "the same, one gateway SIGKILLed halfway: all "
                                              "delivered, recovery time reported"),
}


def process_cpu(result: dict, names: tuple[str, ...]) -> float | None:
    """CPU seconds of the watched processes `names` (gateways, HAProxy); None when unknown."""
    watched = result.get("watched") or {}
    values = [(watched.get(n) or {}).get("cpu_s") for n in names if n in watched]
    if not values or any(not isinstance(v, (int, float)) for v in values):
        return None
    return float(sum(values))


def cpu_per_message_us(result: dict, names: tuple[str, ...]) -> float | None:
    cpu = process_cpu(result, names)
    messages = result.get("messages") or 0
    return None if cpu is None or not messages else cpu / messages * 1e6


def served_cpu_us(result: dict) -> float | None:
    """Gateways' and (when there is one) the balancer's CPU per delivered message, µs."""
    names = ("gw1", "gw2", "haproxy") if "haproxy" in (result.get("watched") or {}) else \
        ("gw1", "gw2")
    return cpu_per_message_us(result, names)


def ratio(a, b) -> str:
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or not b:
        return "-"
    return f"{a / b:.2f}x"


def median_of(runs: list[dict], value) -> float | None:
    values = sorted(v for v in (value(r) for r in runs) if v is not None)
    return values[(len(values) - 1) // 2] if values else None


def verdict(scenario: str, med: dict, runs: list[dict]) -> tuple[bool, str]:
    ok = all(br.delivered(r) for r in runs)
    complete = f"{br.fmt(med.get('clients_complete'))}/{br.fmt(med.get('clients'))} complete"
    if med.get("stopped_by") == "safety":
        return False, "safety stop: " + med.get("failure", "").split("reached ", 1)[-1]
    if scenario != "cluster_failover":
        return ok, complete
    recovered = med.get("closed_recovered")
    ok = ok and bool(med.get("closed")) and recovered == med.get("closed")
    return ok, (f"{complete}; {br.fmt(med.get('closed'))} moved, recovered in "
                f"{br.fmt(med.get('closed_recovery_s'), 2)} s max / "
                f"{br.fmt(med.get('closed_recovery_p50_s'), 2)} s median")


def overhead(by_scenario: dict[str, list[dict]]) -> list[str]:
    """The balancer against direct connections: medians over the runs, as ratios."""
    direct, balanced = by_scenario.get("cluster_direct"), by_scenario.get("cluster_balanced")
    if not direct or not balanced:
        return []
    rows = [("latency p50 ms", lambda r: r.get("p50_ms"), 1),
            ("latency p99 ms", lambda r: r.get("p99_ms"), 1),
            ("gateways' CPU µs per delivered message", lambda r: cpu_per_message_us(
                r, ("gw1", "gw2")), 2),
            ("HAProxy's CPU µs per delivered message", lambda r: cpu_per_message_us(
                r, ("haproxy",)), 2),
            ("gateways' + HAProxy's CPU µs per delivered message", served_cpu_us, 2)]
    out = ["The balancer's overhead (median of each figure over the runs; direct has no "
           "HAProxy, so its total is the gateways'):", "",
           "| figure | direct | through HAProxy | ratio |", "|---|---:|---:|---:|"]
    for name, value, digits in rows:
        d, b = median_of(direct, value), median_of(balanced, value)
        out.append(f"| {name} | {br.fmt(d, digits)} | {br.fmt(b, digits)} | "
                   f"{ratio(b, d) if d else '-'} |")
    return out + [""]


def render_cluster(results: list[dict], args: argparse.Namespace) -> str:
    by_scenario: dict[str, list[dict]] = {}
    for result in results:
        by_scenario.setdefault(result["scenario"], []).append(result)
    out = br.header(results, args, CLUSTER_BEGIN)
    out += ["| scenario | target | result | pass | deliveries/s | p50 / p99 / max ms | gaps / dup "
            "| CPU µs per delivered message (gateways + HAProxy) | bench CPU | all cores busy | "
            "connect s | stopped by |",
            "|---|---|---|---|---:|---|---|---:|---:|---:|---:|---|"]
    for scenario, runs in by_scenario.items():
        key, text = CLUSTER_TARGETS[scenario]
        med = br.median_run(runs, key)
        passed, result = verdict(scenario, med, runs)
        out.append(
            f"| {scenario} | {text} | {result} | {'pass' if passed else '**fail**'} | "
            f"{br.fmt(med.get('msgs_per_s'))} | {br.fmt(med.get('p50_ms'), 1)} / "
            f"{br.fmt(med.get('p99_ms'), 1)} / {br.fmt(med.get('max_ms'), 1)} | "
            f"{br.fmt(med.get('gaps'))} / {br.fmt(med.get('duplicates'))} | "
            f"{br.fmt(served_cpu_us(med), 2)} | "
            f"{br.pct(med.get('bench_cpu_s'), med.get('seconds'))} | "
            f"{br.fmt(med.get('machine_busy_pct'))} % | {br.fmt(med.get('setup_s'), 1)} | "
            f"{med.get('stopped_by')} |")
    out += ["", *overhead(by_scenario)]
    out += ["Latencies are receive time minus the Kafka timestamp, over every message of the run "
            "(in cluster_failover the messages a moved client caught up on after its resumption "
            "count with their full delay). \"moved\" counts the clients whose gateway was killed "
            "(the server closed them); their recovery runs from the kill until each received a "
            "message produced after it had subscribed again through the balancer, after the "
            "last offset it had received. CPU per delivered message is the processes' CPU "
            "seconds over the run (`/proc/PID/stat`, from the start to the last message) over "
            "the messages all clients received; in cluster_failover the killed gateway's CPU is "
            "unknown, so it has none.", ""]
    out += ["Every run (abridged):", "",
            "| scenario | run | complete | per client (expected) | deliveries | p50 / p99 ms | "
            "gaps | dup | CPU s gw1 / gw2 / HAProxy | moved / recovered | resubscribed / "
            "recovery max / median s | retries | failure |",
            "|---|---:|---:|---|---:|---|---:|---:|---|---|---|---:|---|"]
    for r in results:
        expected = r.get("expected_per_client") or [None, None]
        got = r.get("received_per_client") or [None, None]
        watched = r.get("watched") or {}
        cpu = " / ".join(br.fmt((watched.get(n) or {}).get("cpu_s"), 2)
                         for n in ("gw1", "gw2", "haproxy"))
        failover = "closed" in r
        moved = f"{br.fmt(r.get('closed'))} / {br.fmt(r.get('closed_recovered'))}" \
            if failover else ""
        times = (f"{br.fmt(r.get('closed_resubscribed_s'), 2)} / "
                 f"{br.fmt(r.get('closed_recovery_s'), 2)} / "
                 f"{br.fmt(r.get('closed_recovery_p50_s'), 2)}") if failover else ""
        out.append(
            f"| {r['scenario']} | {r.get('run')} | {br.fmt(r.get('clients_complete'))}/"
            f"{br.fmt(r.get('clients'))} | {br.fmt(got[0])}-{br.fmt(got[1])} "
            f"({br.fmt(expected[0])}-{br.fmt(expected[1])}) | {br.fmt(r.get('messages'))} | "
            f"{br.fmt(r.get('p50_ms'), 1)} / {br.fmt(r.get('p99_ms'), 1)} | "
            f"{br.fmt(r.get('gaps'))} | {br.fmt(r.get('duplicates'))} | {cpu} | {moved} | "
            f"{times} | {br.fmt(r.get('reconnect_retries')) if failover else ''} | "
            f"{r.get('failure', '')} |")
    commands = {}
    for r in results:
        commands.setdefault(r["scenario"], (r.get("server_command", ""), r.get("command", "")))
    out += ["", "Commands (GW1_URL, GW2_URL, LB_URL are `http://127.0.0.1:<free port>`, the "
            "PIDs those of the gateways and HAProxy, PID the second gateway's; fresh processes "
            "per run):", "", "```sh", args.invocation.strip(), "# what it ran, per scenario:"]
    for server, bench in commands.values():
        out += [f"build-release/cli/{server}", f"build-release/cli/{bench}"]
    out += ["```", "", CLUSTER_END]
    return "\n".join(out)
