#!/usr/bin/env bash
# A live demo: sets up, builds the kasocki binary, starts Kafka when it is not running, produces
# wiki-edit-like events to kasocki_demo in the background and runs `kasocki serve` on port 6927
# in the foreground. Ctrl-C stops the producer, and Kafka if this script started it. Does I/O.
#
# Environment: KASOCKI_SKIP_SETUP=1, KAFKA_BOOTSTRAP, DEMO_TOPIC (kasocki_demo), DEMO_RATE (10/s),
# DEMO_PORT (6927).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
topic=${DEMO_TOPIC:-kasocki_demo}
rate=${DEMO_RATE:-10}
port=${DEMO_PORT:-6927}

say() { echo "demo.sh: $*" >&2; }

[[ ${KASOCKI_SKIP_SETUP:-0} == 1 ]] || scripts/setup.sh
cmake -S . -B build -G Ninja >/dev/null
ninja -C build -j"${KASOCKI_JOBS:-2}" kasocki_cli

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

demo.sh: Kasocki on http://localhost:$port/ (socket.io path /socket.io/), topic $topic at $bootstrap
demo.sh: try, in another terminal:
    build/cli/kasocki client consume --url http://localhost:$port --topic $topic -n 5
    build/cli/kasocki client start --url http://localhost:$port --topic $topic --filter meta.domain=en.wikipedia.org --duration 10
demo.sh: Ctrl-C stops everything this script started.

EOF

log=$(mktemp)
set +e
# stderr goes through tee (a pipeline, so $log is complete when it ends); stdout stays as is.
{ build/cli/kasocki serve --listen "0.0.0.0:$port" --brokers "$bootstrap" 2>&1 1>&3 |
  tee "$log" >&2; } 3>&1
status=${PIPESTATUS[0]}
set -e
if grep -q "not implemented" "$log"; then
  say "kasocki serve is not implemented yet; the producer keeps running until Ctrl-C"
  rm -f "$log"
  wait "$producer"
  exit 0
fi
rm -f "$log"
say "kasocki serve exited with $status"
exit "$status"
