#!/usr/bin/env bash
# Deletes and re-creates the e2e fixture topics and loads them from e2e/fixtures/ (one message per
# line, file kasocki_test_<name>.jsonl per topic). Does I/O against the broker of scripts/kafka.sh
# (or KAFKA_BOOTSTRAP). Idempotent; fails loudly when a topic does not end up exactly as described.
#
# Topics (name: partitions, keys):
#   kasocki_test_one      1  no keys; ~10 wiki-edit events
#   kasocki_test_two      1  no keys; other events (page create/delete/move)
#   kasocki_test_multi    3  each line goes to the partition in its "fixture_partition" field,
#                            keyed by its "user" field (Alice→0, Bob→1, Carol→2)
#   kasocki_test_invalid  1  valid JSON object, a line that is not JSON, valid JSON object
#   kasocki_test_empty    1  no messages
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fixtures=$here/../e2e/fixtures
kafka=$here/kafka.sh
bootstrap=$("$kafka" bootstrap)
timeout=${KASOCKI_CLEAN_TIMEOUT:-60}

declare -A partitions=([one]=1 [two]=1 [multi]=3 [invalid]=1 [empty]=1)
names=(one two multi invalid empty)

say() { echo "clean_kafka.sh: $*" >&2; }
die() {
  say "$*"
  exit 1
}

command -v kcat >/dev/null || die "kcat is needed: run scripts/setup.sh"
command -v jq >/dev/null || die "jq is needed: run scripts/setup.sh"

# topic -> partition count, for every topic the cluster lists.
list_topics() {
  kcat -L -b "$bootstrap" -m 10 -J | jq -r '.topics[] | "\(.topic) \(.partitions | length)"'
}

# Waits until `predicate` (a function of the topic listing on stdin) holds.
wait_for() {
  local what=$1 predicate=$2 deadline=$((SECONDS + timeout))
  until list_topics | "$predicate"; do
    ((SECONDS < deadline)) || die "timed out after ${timeout}s waiting until $what"
    sleep 0.2
  done
}

none_left() { ! grep -qE '^kasocki_test_(one|two|multi|invalid|empty) '; }
all_created() {
  local listing
  listing=$(cat)
  for name in "${names[@]}"; do
    grep -qx "kasocki_test_$name ${partitions[$name]}" <<<"$listing" || return 1
  done
}

# One kafka-topics run deletes them all (it takes a regular expression); deletion is
# asynchronous, so creating before the names are gone from the metadata would fail.
"$kafka" topics --delete --if-exists --topic 'kasocki_test_(one|two|multi|invalid|empty)' >/dev/null
wait_for "the old fixture topics are deleted" none_left

# Each kafka-topics run is a JVM start; run the creations side by side.
pids=()
for name in "${names[@]}"; do
  "$kafka" topics --create --topic "kasocki_test_$name" --partitions "${partitions[$name]}" \
    --replication-factor 1 >/dev/null &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || die "creating a fixture topic failed"; done
wait_for "the fixture topics exist with their partition counts" all_created

# The metadata names a leader before that broker acts as one: a batch it refuses is retried and
# can land after a later batch (lines out of order). ListOffsets needs the leader as a produce
# does, and writes nothing.
take_writes() {
  local name p
  cat >/dev/null  # the topic listing wait_for passes: not needed here
  for name in "${names[@]}"; do
    for ((p = 0; p < ${partitions[$name]}; p++)); do
      kcat -Q -b "$bootstrap" -t "kasocki_test_$name:$p:-1" 2>/dev/null |
        grep -qE ' offset [0-9]+$' || return 1
    done
  done
}
wait_for "every fixture partition takes writes" take_writes

produce() { kcat -P -b "$bootstrap" -t "$1" -p "$2" "${@:3}"; }

for name in one two invalid empty; do
  file=$fixtures/kasocki_test_$name.jsonl
  [[ -f $file ]] || die "missing fixture $file"
  if [[ -s $file ]]; then produce "kasocki_test_$name" 0 <"$file"; fi
done
for p in 0 1 2; do
  jq -r --argjson p "$p" 'select(.fixture_partition == $p) | "\(.user)\t\(tojson)"' \
    "$fixtures/kasocki_test_multi.jsonl" | produce kasocki_test_multi "$p" -K $'\t'
done

# The end offsets must equal the line counts: catches a lost, split or merged line.
end_offset() { kcat -Q -b "$bootstrap" -t "$1:$2:-1" | awk '{print $NF}'; }
check() {
  local topic=$1 partition=$2 want=$3 got
  got=$(end_offset "$topic" "$partition")
  [[ $got == "$want" ]] || die "$topic [$partition] holds $got messages, expected $want"
}
for name in one two invalid empty; do
  check "kasocki_test_$name" 0 "$(wc -l <"$fixtures/kasocki_test_$name.jsonl")"
done
for p in 0 1 2; do
  check kasocki_test_multi "$p" \
    "$(jq --argjson p "$p" 'select(.fixture_partition == $p)' -c "$fixtures/kasocki_test_multi.jsonl" | wc -l)"
done
say "fixture topics loaded at $bootstrap"
