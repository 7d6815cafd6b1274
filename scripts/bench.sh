#!/usr/bin/env bash
# Benchmarks of the Kasocki gateway: starts Kafka, preloads the bench topic (1,000,000 wiki
# recent-change events in 6 partitions, once), builds a Release binary, then for each scenario
# and run starts a fresh `kasocki serve` (so peak memory is per run), drives it with
# `kasocki bench`, and finally writes the results into docs/PERFORMANCE.md (between the
# results markers; the rest of the file is kept). Does I/O: Kafka, a build folder, a server
# process on a free local port, the docs file.
#
# The live scenarios (fanout connections reconnect stalled stalled_baseline) read the end of
# a second topic while `kasocki bench` runs scripts/bench_rate_producer.py at a fixed rate;
# their server runs without per-address admission limits (every bench client comes from
# 127.0.0.1). Their results go to a section of their own.
#
# The SSE scenarios (sse_replay sse_fanout) are replay and fanout over Server-Sent Events
# (`kasocki bench --transport sse`): one client reading the preloaded topic from its start, and
# 1,000 clients at the end of the live topic as fanout's. Their results go to a section of their
# own.
#
# The history scenarios (history history_same storm_deep) have many clients read history at
# once: the first two replay parts of the preloaded topic, storm_deep resubscribes every client
# of the live topic behind a backlog produced while they were away. Their server runs like the
# live scenarios'; the bytes it fetched from Kafka come from its /metrics, twice: what its
# fetchers stored (kasocki_history_fetched_bytes_total) and what librdkafka received for the
# topic (its statistics), read-ahead dropped at the end of a fetch included.
#
# The cluster scenarios (cluster_direct cluster_balanced cluster_failover, scripts/bench_cluster.sh)
# run two gateways, directly or behind HAProxy (deploy/haproxy.cfg), with 1,000 live clients;
# in cluster_failover one gateway is killed halfway and its clients resume on the other. Their
# results go to a section of their own.
#
#   scripts/bench.sh [SCENARIO...]     default: every scenario; "live" / "replays" / "histories" /
#                                      "sse" / "cluster": one group
#
# Environment:
#   BENCH_RUNS      runs per scenario (default 3); the table shows the median run
#   BENCH_BUILD     build folder (default build-release)
#   BENCH_KASOCKI   use this kasocki binary instead of building one (e.g. to compare two builds)
#   BENCH_COMMIT    what that binary was built from, for the results header (default: HEAD)
#   BENCH_OUTPUT    the results file (default docs/PERFORMANCE.md)
#   BENCH_TOPIC     topic (default kasocki_bench); BENCH_COUNT events in it (default 1000000)
#   BENCH_LIVE_TOPIC  topic of the live scenarios (default kasocki_live, 6 partitions)
#   BENCH_CONNECTIONS_RUNS  runs of the 10,000-client scenario (default 1; capped by BENCH_RUNS)
#   BENCH_RESULTS   also keep the JSON lines of every run in this file
#   BENCH_KEEP      keep each run's server stderr and /metrics samples (every 2 s: tail, history
#                   store, bytes read from Kafka per partition, sessions, connections, deliveries,
#                   limit rejections) in this folder, as SCENARIO-RUN.serve.log and
#                   SCENARIO-RUN.metrics
#   BENCH_HISTORY_CLIENTS, BENCH_HISTORY_SAME_CLIENTS, BENCH_STORM_CLIENTS  clients of the
#                   history scenarios (default 1000, 2000, 2000: the targets'; fewer for a
#                   server that spends memory per replaying client)
#   BENCH_STORM_BACKLOG  messages produced during storm_deep's pause (default 200000)
#   BENCH_CLUSTER_CLIENTS  clients of the cluster scenarios (default 1000)
#   BENCH_CLUSTER_KILL_AFTER  seconds into cluster_failover's production when the first gateway
#                   is killed (default 15, of 30)
#   BENCH_MAX_RSS_MB  the bench's safety stop on the server's memory (default 2000; the history
#                   scenarios 3000)
#   KAFKA_BOOTSTRAP another cluster instead of the local broker of scripts/kafka.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
runs=${BENCH_RUNS:-3}
build=${BENCH_BUILD:-build-release}
output=${BENCH_OUTPUT:-docs/PERFORMANCE.md}
topic=${BENCH_TOPIC:-kasocki_bench}
count=${BENCH_COUNT:-1000000}
python=$root/.venv/bin/python
[[ -x $python ]] || python=python3
live_topic=${BENCH_LIVE_TOPIC:-kasocki_live}
replay_scenarios=(replay consume1 consume64 filtered polling)
live_scenarios=(fanout connections reconnect stalled_baseline stalled)
history_scenarios=(history history_same storm_deep)
sse_scenarios=(sse_replay sse_fanout)
# shellcheck source=scripts/bench_cluster.sh
source scripts/bench_cluster.sh
all_scenarios=("${replay_scenarios[@]}" "${live_scenarios[@]}" "${history_scenarios[@]}" "${sse_scenarios[@]}"
  "${cluster_scenarios[@]}")
scenarios=()
for a in "$@"; do
  case $a in
    live) scenarios+=("${live_scenarios[@]}") ;;
    replays) scenarios+=("${replay_scenarios[@]}") ;;
    histories) scenarios+=("${history_scenarios[@]}") ;;
    sse) scenarios+=("${sse_scenarios[@]}") ;;
    cluster) scenarios+=("${cluster_scenarios[@]}") ;;
    *) scenarios+=("$a") ;;
  esac
done
((${#scenarios[@]})) || scenarios=("${all_scenarios[@]}")

say() { echo "bench.sh: $*" >&2; }

# The bench options of each scenario. Every scenario has a --duration cap so a slow server
# still finishes the whole run in about ten minutes; the figures stay rates.
scenario_args() {
  case $1 in
    replay) echo "--from beginning --mode start --until-end --duration 30" ;;
    consume1) echo "--from beginning --mode consume --outstanding 1 --messages 200000 --duration 15 --busy-poll-us 50" ;;
    consume64) echo "--from beginning --mode consume --outstanding 64 --messages 1000000 --duration 15 --busy-poll-us 50" ;;
    filtered)
      echo "--from beginning --mode start --until-end --duration 30" \
        "--filter meta.domain=commons.wikimedia.org --filter title=/^Category:/"
      ;;
    polling) echo "--from beginning --mode start --transport polling --until-end --duration 20" ;;
    sse_replay) echo "--from beginning --transport sse --until-end --duration 30" ;;
    # Live: every client subscribes at the end, the producer starts once all are set up; the
    # run ends when every client has received every message produced (or the caps hit). The
    # safety stops keep a server with a Kafka consumer per client from exhausting the machine.
    fanout | connections | reconnect | stalled | stalled_baseline | sse_fanout)
      local clients=1000 concurrency=100 extra=""
      case $1 in
        sse_fanout) extra="--transport sse" ;;
        connections) clients=10000 concurrency=200 ;;
        reconnect) concurrency=1000 extra="--reconnect-after 10" ;; # every client at once
        stalled) clients=100 extra="--stalled 1" ;;
        stalled_baseline) clients=100 ;;
      esac
      echo "--from end --mode start --clients $clients --connect-concurrency $concurrency" \
        "--duration 300 --drain-timeout 30 --max-server-threads 6000" \
        "--max-server-rss-mb ${BENCH_MAX_RSS_MB:-2000} $extra"
      ;;
    # History: every client reads 20,000 messages and leaves; the run ends when all have. The
    # bench counts the distinct messages asked for and their key + value bytes (range_bytes).
    history | history_same)
      local clients=${BENCH_HISTORY_CLIENTS:-1000} from=spread
      [[ $1 == history_same ]] && clients=${BENCH_HISTORY_SAME_CLIENTS:-2000} from=middle
      echo "--from $from --per-client 20000 --mode start --clients $clients" \
        "--connect-concurrency 200 --duration 300 --max-server-threads 6000" \
        "--max-server-rss-mb ${BENCH_MAX_RSS_MB:-3000}"
      ;;
    # Live clients at the end of the live topic with a producer at 500 msgs/s; 10 s in, all
    # disconnect at once, the pause command produces the backlog, then all resubscribe at once
    # after the last offset each received; once every client has a message produced after its
    # resubscription the producer is stopped and every client must reach the end. The drain
    # is long: "live" is the first message produced after the resubscription, and the clients
    # are then as far behind as the production since (2,000 clients, 500 msgs/s: a million
    # deliveries a second to keep up, of the 1.7 million this machine makes in all).
    storm_deep)
      local clients=${BENCH_STORM_CLIENTS:-2000}
      echo "--from end --mode start --clients $clients --connect-concurrency $clients" \
        "--reconnect-after 10 --producer-until-live --duration 1200 --drain-timeout 600" \
        "--max-server-threads 6000 --max-server-rss-mb ${BENCH_MAX_RSS_MB:-3000}"
      ;;
    cluster_*) cluster_bench_args ;;
    *) return 1 ;;
  esac
}

# The producer of a live scenario: messages per second and seconds.
scenario_rate() {
  case $1 in
    fanout | stalled | stalled_baseline | sse_fanout) echo "500 30" ;;
    connections) echo "10 30" ;;
    reconnect | cluster_*) echo "100 30" ;;
    storm_deep) echo "500 1200" ;; # stopped once every client is live again
    *) return 1 ;;
  esac
}
is_live() { scenario_rate "$1" >/dev/null; }
is_history() { [[ $1 == history || $1 == history_same || $1 == storm_deep ]]; }
# storm_deep's pause: the backlog as fast as one producer goes (about 2 s asked).
storm_backlog=${BENCH_STORM_BACKLOG:-200000}
for s in "${scenarios[@]}"; do
  scenario_args "$s" >/dev/null || {
    say "unknown scenario '$s' (known: ${all_scenarios[*]})"
    exit 2
  }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/kasocki-bench.XXXXXX")
keep=${BENCH_KEEP:-}
[[ -z $keep ]] || mkdir -p "$keep"
server_pid=""
sampler_pid=""
stop_server() {
  if [[ -n $sampler_pid ]]; then
    kill "$sampler_pid" 2>/dev/null || true
    wait "$sampler_pid" 2>/dev/null || true
    sampler_pid=""
  fi
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
  stop_cluster
}
trap 'stop_server; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

say "kafka"
scripts/kafka.sh start >&2
bootstrap=$(scripts/kafka.sh bootstrap)
# The broker's CPU time is reported too: on a small machine it shares the cores with the server.
kafka_pid=$(scripts/kafka.sh status 2>/dev/null | sed -n 's/^running (pid \([0-9]*\),.*/\1/p' || true)
hz=$(getconf CLK_TCK)

producer_command=("$python" scripts/bench_producer.py --topic "$topic" --count "$count" --partitions 6 --bootstrap "$bootstrap")
any_replay=0 any_live=0
for s in "${scenarios[@]}"; do
  if [[ $s == storm_deep ]]; then any_live=1; elif is_live "$s"; then any_live=1; else any_replay=1; fi
done
if ((any_replay)); then
  say "preloading $topic (skipped when complete)"
  "${producer_command[@]}"
fi
if ((any_live)); then
  "$python" scripts/bench_rate_producer.py --topic "$live_topic" --partitions 6 \
    --bootstrap "$bootstrap" --rate 1 --seconds 0 --create-only
fi

if [[ -n ${BENCH_KASOCKI:-} ]]; then
  kasocki=$BENCH_KASOCKI
  build_note="BENCH_KASOCKI=$kasocki (not built by bench.sh)"
else
  say "release build in $build"
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKASOCKI_TESTS=OFF >/dev/null
  ninja -C "$build" -j2 kasocki_cli >&2
  kasocki=$build/cli/kasocki
  build_note="Release build in $build"
fi

free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# More `kasocki serve` options of a replay scenario. The request/reply ones (consume) busy-poll
# 50 us before sleeping, in the server and in the bench (scenario_args): each round trip then
# costs no wake-up, which on this virtual machine costs more than the reply (PERFORMANCE.md).
scenario_serve_args() {
  case $1 in
    consume1 | consume64) echo "--busy-poll-us 50" ;;
    *) echo "" ;;
  esac
}

# Live scenarios: every client is 127.0.0.1, so the per-address limits go (and the
# total one is raised above the 10,000 clients).
live_server_args=(--max-connections 20000 --max-connections-per-ip 0 --max-sockets-per-ip 0
  --new-sessions-per-ip-per-second 0)
# BENCH_SERVE_ARGS: more `kasocki serve` options for every run (e.g. --send-queue-kib 256).
read -ra extra_serve_args <<<"${BENCH_SERVE_ARGS:-}"
live_server_args+=("${extra_serve_args[@]}")

start_server() {
  local port
  port=$(free_port)
  "$kasocki" serve --listen "127.0.0.1:$port" --brokers "$bootstrap" --log-level warn --no-ui \
    "$@" 2>>"$work/serve.log" &
  server_pid=$!
  server_url=http://127.0.0.1:$port
  for _ in $(seq 100); do
    curl -fs "$server_url/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  say "kasocki serve did not come up; its log:"
  tail -20 "$work/serve.log" >&2
  exit 1
}

# With BENCH_KEEP: the server's gauges every 2 s while it runs, to see what the shared tail and
# the private readers did in a run whose figures look wrong (RSS and threads come from the bench).
sample_metrics() {
  local out=$1
  while kill -0 "$server_pid" 2>/dev/null; do
    {
      echo "# $(date -u +%H:%M:%S.%N | cut -c1-12) rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$server_pid/status" 2>/dev/null) threads=$(awk '/^Threads:/ { print $2 }' "/proc/$server_pid/status" 2>/dev/null)"
      curl -fs --max-time 2 "$server_url/metrics" |
        grep -E '^kasocki_(tail|private|history|sessions|connections|kafka_consumers|kafka_fetched_bytes|messages_delivered|bytes_delivered|limit_rejections)' || true
    } >>"$out"
    sleep 2
  done
}

# The sum of a /metrics family's samples (with a label filter such as topic="t"), or "" when
# the server does not export it.
metric_sum() {
  curl -fs --max-time 5 "$server_url/metrics" | awk -v name="$1" -v label="${2:-}" '
    $1 == name || index($1, name "{") == 1 { if (label == "" || index($1, label)) { found = 1; s += $2 } }
    /^# TYPE / && $3 == name { found = 1 }
    END { if (found) printf "%.0f\n", s }'
}
# Bytes the server fetched from Kafka for history so far, as two figures: "STORE RDKAFKA".
# STORE is its own counter (kasocki_history_fetched_bytes_total: what the fetchers put in the
# store), RDKAFKA librdkafka's statistics of the history fetchers for the topic (role="fetcher":
# what came from the broker, read-ahead that was dropped included; reported every 5 s, and a
# consumer closed before its next report is missing). Not the live reader's: the backfill it
# reads when the first client subscribes is not history. A server whose counters have no role
# counts every consumer of the topic. "-" where the server has no such figure.
fetched_bytes() {
  local store rdkafka filter="topic=\"$1\""
  store=$(metric_sum kasocki_history_fetched_bytes_total)
  if curl -fs --max-time 5 "$server_url/metrics" |
    grep -q '^kasocki_kafka_fetched_bytes_total{.*role="'; then
    filter="role=\"fetcher\",$filter"
  fi
  rdkafka=$(metric_sum kasocki_kafka_fetched_bytes_total "$filter" || true)
  echo "${store:--} ${rdkafka:--}"
}

# utime + stime of a process in clock ticks (fields 14 and 15 after the command name).
process_ticks() {
  [[ -n $1 && -r /proc/$1/stat ]] || {
    echo 0
    return
  }
  sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
# "busy total" ticks of the whole machine, from the first line of /proc/stat.
machine_ticks() {
  awk '/^cpu / { idle = $5 + $6; total = 0; for (i = 2; i <= NF; i++) total += $i; print total - idle, total }' /proc/stat
}

results=$work/results.jsonl
: >"$results"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
failures=0
# The runs in order, as SCENARIO:RUN: scenario after scenario, except the cluster group, whose
# scenarios take turns (run 1 of each, then run 2, ...) so that the load of a shared machine,
# which drifts, weighs alike on the ratios between them.
runs_of() {
  if [[ $1 == connections ]]; then
    echo $((runs < ${BENCH_CONNECTIONS_RUNS:-1} ? runs : ${BENCH_CONNECTIONS_RUNS:-1}))
  else
    echo "$runs"
  fi
}
plan=()
cluster_planned=0
for s in "${scenarios[@]}"; do
  if ! is_cluster "$s"; then
    for run in $(seq "$(runs_of "$s")"); do plan+=("$s:$run"); done
  elif ((!cluster_planned)); then
    cluster_planned=1
    for run in $(seq "$runs"); do
      for c in "${scenarios[@]}"; do is_cluster "$c" && plan+=("$c:$run"); done
    done
  fi
done
for item in "${plan[@]}"; do
  s=${item%:*} run=${item##*:}
  scenario_runs=$(runs_of "$s")
  read -ra extra <<<"$(scenario_args "$s")"
  run_topic=$topic
  if [[ $s == storm_deep ]]; then
    run_topic=$live_topic
    start_server "${live_server_args[@]}"
    read -r rate seconds <<<"$(scenario_rate "$s")"
    # exec: the bench's SIGTERM then reaches the producer, which flushes and exits 0.
    producer="exec ${python#"$root"/} scripts/bench_rate_producer.py --topic $live_topic --rate $rate --seconds $seconds --bootstrap $bootstrap"
    pause="${python#"$root"/} scripts/bench_rate_producer.py --topic $live_topic --rate $((storm_backlog / 2)) --seconds 2 --bootstrap $bootstrap"
    args=(--url "$server_url" --topic "$live_topic" --scenario "$s" "${extra[@]}" --producer "$producer" --pause-producer "$pause")
    args_shown=("${args[@]:0:${#args[@]}-4}" --producer "'$producer'" --pause-producer "'$pause'")
  elif is_cluster "$s"; then
    start_cluster "$s"
    read -r rate seconds <<<"$(scenario_rate "$s")"
    producer="${python#"$root"/} scripts/bench_rate_producer.py --topic $live_topic --rate $rate --seconds $seconds --bootstrap $bootstrap"
    args=("${cluster_url_args[@]}" --topic "$live_topic" --scenario "$s" "${extra[@]}"
      "${cluster_watch_args[@]}" --producer "$producer")
    args_shown=()
    for a in "${args[@]:0:${#args[@]}-1}" "'$producer'"; do args_shown+=("$(cluster_placeholders "$a")"); done
  elif is_history "$s"; then
    start_server "${live_server_args[@]}"
    args=(--url "$server_url" --topic "$topic" --scenario "$s" "${extra[@]}")
    args_shown=("${args[@]}")
  elif is_live "$s"; then
    start_server "${live_server_args[@]}"
    read -r rate seconds <<<"$(scenario_rate "$s")"
    producer="${python#"$root"/} scripts/bench_rate_producer.py --topic $live_topic --rate $rate --seconds $seconds --bootstrap $bootstrap"
    args=(--url "$server_url" --topic "$live_topic" --scenario "$s" "${extra[@]}" --producer "$producer")
    args_shown=("${args[@]:0:${#args[@]}-1}" "'$producer'")
  else
    read -ra serve_extra <<<"$(scenario_serve_args "$s")"
    start_server "${serve_extra[@]}"
    args=(--url "$server_url" --topic "$topic" --scenario "$s" "${extra[@]}")
    args_shown=("${args[@]}")
  fi
  say "$s run $run/$scenario_runs: kasocki bench ${args[*]}"
  if [[ -n $keep ]]; then
    sample_metrics "$keep/$s-$run.metrics" &
    sampler_pid=$!
  fi
  is_history "$s" && read -r store_before rdkafka_before <<<"$(fetched_bytes "$run_topic")"
  kafka_before=$(process_ticks "$kafka_pid")
  read -r busy_before total_before < <(machine_ticks)
  if line=$("$kasocki" bench "${args[@]}" --server-pid "$server_pid"); then :; else
    failures=$((failures + 1))
  fi
  kafka_after=$(process_ticks "$kafka_pid")
  read -r busy_after total_after < <(machine_ticks)
  echo "$line" >&2
  fetched=null kafka_read=null
  if is_history "$s" && kill -0 "$server_pid" 2>/dev/null; then
    sleep 6 # librdkafka's statistics come every 5 s: one more report before reading them
    read -r store_after rdkafka_after <<<"$(fetched_bytes "$run_topic")"
    [[ $store_before != - && $store_after != - ]] && fetched=$((store_after - store_before))
    [[ $rdkafka_before != - && $rdkafka_after != - ]] &&
      kafka_read=$((rdkafka_after - rdkafka_before))
  fi
  kafka_centis=null
  [[ -n $kafka_pid ]] && kafka_centis=$(((kafka_after - kafka_before) * 100 / hz))
  # Whole-process figures (setup included): the broker's CPU seconds and how busy all cores
  # were, to tell a saturated machine from a server that waits.
  [[ -n $line ]] && printf '%s\n' "$line" | jq -c --argjson run "$run" \
    --arg command "kasocki bench ${args_shown[*]/$server_url/URL} --server-pid PID" \
    --arg server "kasocki serve --listen 127.0.0.1:<port> --brokers $bootstrap --log-level warn --no-ui$(if is_live "$s" || is_history "$s"; then printf ' %s' "${live_server_args[@]}"; elif ((${#serve_extra[@]})); then printf ' %s' "${serve_extra[@]}"; fi)$(is_cluster "$s" && cluster_server_note "$s")" \
    --argjson kafka "$kafka_centis" \
    --argjson busy "$(((busy_after - busy_before) * 1000 / (total_after - total_before + 1)))" \
    --argjson fetched "$fetched" --argjson kafka_read "$kafka_read" \
    '. + {kafka_cpu_s: (if $kafka == null then null else $kafka / 100 end), machine_busy_pct: ($busy / 10), run: $run,
          command: $command, server_command: $server}
       + (if $fetched == null then {} else {fetched_bytes: $fetched,
          fetched_ratio: (if (.range_bytes // 0) > 0 then ($fetched / .range_bytes * 1000 | round / 1000) else null end)} end)
       + (if $kafka_read == null then {} else {kafka_read_bytes: $kafka_read,
          kafka_read_ratio: (if (.range_bytes // 0) > 0 then ($kafka_read / .range_bytes * 1000 | round / 1000) else null end)} end)' >>"$results"
  stop_server
  if [[ -n $keep ]]; then
    cp "$work/serve.log" "$keep/$s-$run.serve.log"
    : >"$work/serve.log"
  fi
done

[[ -n ${BENCH_RESULTS:-} ]] && cp "$results" "$BENCH_RESULTS"
"$python" scripts/bench_report.py --results "$results" --output "$output" \
  --runs "$runs" --producer "${producer_command[*]/$python/.venv/bin/python}" \
  --invocation "scripts/bench.sh $*" --build "$build_note" --commit "${BENCH_COMMIT:-}" \
  --load "$load_before before the runs, $(cut -d' ' -f1-3 /proc/loadavg) after"
say "results written to $output"
((failures == 0)) || {
  say "$failures run(s) failed"
  exit 1
}
