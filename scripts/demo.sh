#!/usr/bin/env bash
# A live demo: sets up, builds the kasocki binary, starts Kafka when it is not running, produces
# wiki-edit-like events to kasocki_demo (3 partitions) in the background and runs `kasocki serve`
# on port 6927 in the foreground; its live page is http://localhost:6927/. Ctrl-C stops kasocki,
# the producer, and Kafka if this script started it. Does I/O.
#
# Environment: KASOCKI_SKIP_SETUP=1, KASOCKI_BUILD_DIR (build), KAFKA_BOOTSTRAP, DEMO_TOPIC
# (kasocki_demo), DEMO_RATE (10/s), DEMO_PORT (6927).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
topic=${DEMO_TOPIC:-kasocki_demo}
rate=${DEMO_RATE:-10}
port=${DEMO_PORT:-6927}
build=${KASOCKI_BUILD_DIR:-build}

say() { echo "demo.sh: $*" >&2; }

[[ ${KASOCKI_SKIP_SETUP:-0} == 1 ]] || scripts/setup.sh
cmake -S . -B "$build" -G Ninja >/dev/null
ninja -C "$build" -j"${KASOCKI_JOBS:-2}" kasocki_cli

started_kafka=0
if ! scripts/kafka.sh status >/dev/null; then
  scripts/kafka.sh start
  started_kafka=1
fi
bootstrap=$(scripts/kafka.sh bootstrap)

producer=""
# shellcheck disable=SC2317 # called through the trap
cleanup() {
  trap - INT TERM EXIT
  if [[ -n $producer ]] && kill -0 "$producer" 2>/dev/null; then
    kill -TERM "$producer" 2>/dev/null || true
    wait "$producer" 2>/dev/null || true
  fi
  if ((started_kafka)); then scripts/kafka.sh stop; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

.venv/bin/python scripts/demo_producer.py --bootstrap "$bootstrap" --topic "$topic" \
  --rate "$rate" &
producer=$!

cat >&2 <<EOF

demo.sh: Kasocki serves topic $topic (from $bootstrap) on port $port.
demo.sh: open the live page:  http://localhost:$port/
demo.sh: or try, in another terminal:
    $build/cli/kasocki client consume --url http://localhost:$port --topic $topic -n 5
    $build/cli/kasocki client start --url http://localhost:$port --topic $topic --filter meta.domain=en.wikipedia.org --duration 10
demo.sh: Ctrl-C stops everything this script started.

EOF

# In the foreground: Ctrl-C reaches it too, and it shuts down cleanly before the cleanup runs.
set +e
"$build/cli/kasocki" serve --listen "0.0.0.0:$port" --brokers "$bootstrap"
status=$?
set -e
((status == 0 || status == 130)) || say "kasocki serve exited with $status"
exit "$status"
