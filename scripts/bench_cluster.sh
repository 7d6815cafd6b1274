# The cluster scenarios of scripts/bench.sh (sourced by it, not run alone): two `kasocki serve`
# on this machine, reached directly or through HAProxy running deploy/haproxy.cfg, 1,000
# websocket clients at the end of the live topic while scripts/bench_rate_producer.py writes
# 100 msgs/s:
#   cluster_direct    the clients split over the two gateways' own ports (the baseline)
#   cluster_balanced  the same clients through HAProxy
#   cluster_failover  through HAProxy, and the bench SIGKILLs the first gateway halfway: its
#                     clients reconnect through the balancer (to the other gateway) and
#                     subscribe after the last offset each received (--resume-on-close)
# Every client must end with every message produced, once each and in order. The bench reports
# each gateway's and HAProxy's CPU seconds (--watch-pid) so the report can put the balancer's
# cost per delivered message against the direct runs. Does I/O: child processes (the gateways,
# HAProxy), a scratch folder, network.
#
# Uses from bench.sh: $kasocki $bootstrap $work $root, live_server_args, start_server,
# free_port, say. Sets server_pid (the gateway that survives: the bench samples it for its
# safety stops), server_url, cluster_pids (the other processes, stopped by stop_server) and
# cluster_url_args.

cluster_scenarios=(cluster_direct cluster_balanced cluster_failover)
cluster_clients=${BENCH_CLUSTER_CLIENTS:-1000}
cluster_kill_after=${BENCH_CLUSTER_KILL_AFTER:-15}
cluster_pids=()
# Each gateway trusts the balancer's X-Forwarded-For (docs/DEPLOYMENT.md); direct runs use the
# same command, so only the balancer differs.
cluster_server_args=(--trusted-proxy 127.0.0.1)

is_cluster() { [[ $1 == cluster_* ]]; }

haproxy_bin() { command -v haproxy || echo /usr/sbin/haproxy; }

# Until HAProxy's health checks have both gateways UP (its admin socket's `show stat`).
wait_balancer_up() {
  "$python" - "$1" <<'EOF'
import socket, sys, time
deadline = time.monotonic() + 30
while True:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(sys.argv[1])
            s.sendall(b"show stat\n")
            text = b"".join(iter(lambda: s.recv(65536), b"")).decode()
        lines = text.splitlines()
        header = lines[0].lstrip("# ").split(",")
        px, sv, st = (header.index(k) for k in ("pxname", "svname", "status"))
        states = [f[st] for f in (l.split(",") for l in lines[1:] if l)
                  if f[px] == "kasocki" and f[sv] not in ("FRONTEND", "BACKEND")]
        if states == ["UP", "UP"]:
            sys.exit(0)
    except (OSError, ValueError, IndexError):
        pass
    if time.monotonic() > deadline:
        sys.exit("haproxy: the gateways are not both UP after 30 s")
    time.sleep(0.1)
EOF
}

# Starts the two gateways, and HAProxy in front of them unless the scenario is direct.
start_cluster() {
  local scenario=$1 gw1_pid gw1_url port
  start_server "${live_server_args[@]}" "${cluster_server_args[@]}"
  gw1_pid=$server_pid gw1_url=$server_url
  start_server "${live_server_args[@]}" "${cluster_server_args[@]}"
  cluster_names=("$gw1_url" GW1_URL "$server_url" GW2_URL "$gw1_pid" GW1_PID "$server_pid" GW2_PID)
  cluster_pids=("$gw1_pid")
  cluster_watch_args=(--watch-pid "gw1=$gw1_pid" --watch-pid "gw2=$server_pid")
  if [[ $scenario == cluster_direct ]]; then
    cluster_url_args=(--url "$gw1_url" --url "$server_url")
    return
  fi
  port=$(free_port)
  KASOCKI_LB_BIND=127.0.0.1:$port KASOCKI_LB_STATS=$work/haproxy.sock \
    KASOCKI_GW1=${gw1_url#http://} KASOCKI_GW2=${server_url#http://} \
    "$(haproxy_bin)" -db -f deploy/haproxy.cfg >>"$work/haproxy.log" 2>&1 &
  cluster_pids+=("$!")
  cluster_watch_args+=(--watch-pid "haproxy=$!")
  cluster_url_args=(--url "http://127.0.0.1:$port")
  cluster_names+=("http://127.0.0.1:$port" LB_URL "$!" HAPROXY_PID)
  wait_balancer_up "$work/haproxy.sock" || {
    tail -20 "$work/haproxy.log" >&2
    exit 1
  }
  if [[ $scenario == cluster_failover ]]; then
    cluster_url_args+=(--resume-on-close --kill-pid "$gw1_pid" --kill-after "$cluster_kill_after")
  fi
}

# An argument of the bench as the results show it: ports and pids by name (a URL or pid that
# is the whole argument, or the PID of NAME=PID).
cluster_placeholders() {
  local text=$1 i
  for ((i = 0; i < ${#cluster_names[@]}; i += 2)); do
    if [[ $text == "${cluster_names[i]}" ]]; then
      text=${cluster_names[i + 1]}
    elif [[ $text == *"=${cluster_names[i]}" ]]; then
      text=${text%=*}=${cluster_names[i + 1]}
    fi
  done
  printf '%s' "$text"
}

# What runs besides the two `kasocki serve` of the server command, for the results.
cluster_server_note() {
  printf ' %s' "${cluster_server_args[@]}"
  printf ' (twice: GW1_URL, GW2_URL)'
  [[ $1 == cluster_direct ]] ||
    printf '; KASOCKI_LB_BIND=127.0.0.1:<port> KASOCKI_GW1=... KASOCKI_GW2=... haproxy -db -f deploy/haproxy.cfg'
}

# The bench options shared by the three (the URLs and the kill come from start_cluster).
cluster_bench_args() {
  echo "--from end --mode start --clients $cluster_clients --connect-concurrency 100" \
    "--duration 300 --drain-timeout 60 --max-server-threads 6000" \
    "--max-server-rss-mb ${BENCH_MAX_RSS_MB:-2000}"
}

stop_cluster() {
  local pid
  for pid in "${cluster_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  cluster_pids=()
  rm -f "$work/haproxy.sock"
}
