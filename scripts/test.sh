#!/usr/bin/env bash
# The whole test run, as CI does it: setup, build, unit tests, Kafka + fixtures, e2e suite, a
# sanitizer build of the unit tests, the hardest e2e suites against that sanitizer build, and a
# bounded run of every fuzz target. Does I/O: installs, builds, starts a broker (left running;
# .ci/run stops it), runs the tests. Prints which stages failed; exits non-zero if any did.
#
#   scripts/test.sh                 every stage
#   scripts/test.sh unit e2e        only those stages (setup is still run unless skipped)
#
# Environment:
#   KASOCKI_SKIP_SETUP=1   do not run scripts/setup.sh
#   KASOCKI_WERROR=1       warnings are errors (always on when CI is set)
#   KASOCKI_JOBS           build parallelism (default 2: the machines have 2 cores)
#   KAFKA_BOOTSTRAP        test against that cluster instead of starting one
#   PYTEST_ARGS            extra arguments to pytest (e.g. "-k subscribe -x")
#   KASOCKI_FUZZ_SECONDS   how long each fuzz target runs (default 10)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
jobs=${KASOCKI_JOBS:-2}
werror=OFF
[[ ${KASOCKI_WERROR:-0} == 1 || -n ${CI:-} ]] && werror=ON

say() { echo "=== test.sh: $*" >&2; }

# ccache (when installed) makes repeated runs cheap; the base dir makes its hits independent of
# where the tree is checked out (CI builds a fresh clone in another folder).
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR=$root
fi

configure() {
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja -DKASOCKI_WERROR="$werror" "${launcher[@]}" "$@"
}

# ---- stages: each is a function run with errexit in a subshell; add new ones to `stages` ----

stage_setup() {
  if [[ ${KASOCKI_SKIP_SETUP:-0} == 1 ]]; then
    say "setup skipped (KASOCKI_SKIP_SETUP=1)"
    return 0
  fi
  scripts/setup.sh
}

stage_build() {
  configure build
  ninja -C build -j"$jobs"
}

stage_unit() {
  ctest --test-dir build --output-on-failure -j"$jobs"
}

stage_kafka() {
  scripts/kafka.sh start
  scripts/clean_kafka.sh
}

stage_e2e() {
  # The slowest tests are listed at the end: the stage is the longest of the run, and CI has a
  # time budget (40 minutes from a cold cache on 2 cores).
  # shellcheck disable=SC2086 # PYTEST_ARGS is a list of words on purpose
  KASOCKI_BUILD_DIR="$root/build" .venv/bin/pytest e2e -q --durations=15 ${PYTEST_ARGS:-}
}

# The sanitizer build: one clang build folder for the three stages below (the unit tests, the
# e2e suites' server and the fuzz targets share its objects; a second build of the tree would
# double the run on two cores). Debug (-O0) compiles the Beast/Asio-heavy sources much faster
# than -O2, and line tables (-g1) are all a sanitizer report needs.
san=build-san
configure_san() {
  configure "$san" -DKASOCKI_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG=-g1
}

# phony targets of the sanitizer build whose names match a pattern (unit tests, fuzz targets)
san_targets() {
  ninja -C "$san" -t targets all | sed -n "s/^\($1\): phony\$/\1/p"
}

# Only the unit test binaries: the sanitizers find the most in the pure parsers.
stage_asan() {
  configure_san
  local targets
  mapfile -t targets < <(san_targets '[a-z0-9]*_tests')
  if ((${#targets[@]} == 0)); then
    say "no unit test targets to build"
    return 1
  fi
  ninja -C "$san" -j"$jobs" "${targets[@]}"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest --test-dir "$san" --output-on-failure -j"$jobs" -LE needs_programs
}

# The e2e suites that exercise the server hardest, once more against the sanitizer build of the
# whole tree (kasocki_cli on top of what `asan` built): any AddressSanitizer or UBSan report of
# any kasocki process fails the stage, even when the test around it passed (reports go to log
# files, since the suites keep only the output of failed tests). Leak checks stay with the unit
# tests: a server stopped by SIGTERM mid-stream leaves librdkafka's threads and buffers.
asan_e2e_suites=(e2e/test_gateway_*.py e2e/test_engineio_conformance.py
  e2e/test_socketio_conformance.py e2e/test_limits.py e2e/test_hostile.py)
stage_asan_e2e() {
  configure_san
  ninja -C "$san" -j"$jobs" kasocki_cli
  local logs=$root/$san/sanitizer-logs
  rm -rf "$logs" && mkdir -p "$logs"
  local status=0
  # shellcheck disable=SC2086 # PYTEST_ARGS is a list of words on purpose
  KASOCKI_BUILD_DIR="$root/$san" KASOCKI_SANITIZED=1 \
    ASAN_OPTIONS="detect_leaks=0:log_path=$logs/asan" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan" \
    .venv/bin/pytest "${asan_e2e_suites[@]}" -q ${PYTEST_ARGS:-} || status=$?
  if grep -lE "ERROR: AddressSanitizer|runtime error:" "$logs"/* 2>/dev/null; then
    say "sanitizer reports (above files):"
    grep -hE -A30 "ERROR: AddressSanitizer|runtime error:" "$logs"/* | head -n 120 >&2
    return 1
  fi
  return "$status"
}

# Every libFuzzer target for a bounded time (KASOCKI_FUZZ_SECONDS each, default 10) from its
# seed corpus in tests/fuzz/corpus/<target>. New inputs go to a scratch folder, not the tree; a
# crash, sanitizer report, leak or 10 s hang fails the stage and leaves the input in
# build-san/artifacts/.
stage_fuzz() {
  configure_san
  local targets
  mapfile -t targets < <(san_targets 'fuzz_[a-z0-9_]*')
  if ((${#targets[@]} == 0)); then
    say "no fuzz targets to build"
    return 1
  fi
  ninja -C "$san" -j"$jobs" "${targets[@]}"
  local seconds=${KASOCKI_FUZZ_SECONDS:-10} scratch=$root/$san/scratch failed=()
  mkdir -p "$root/$san/artifacts"
  for target in "${targets[@]}"; do
    local binary
    binary=$(find "$san" -type f -name "$target" -perm -u+x | head -n 1)
    rm -rf "${scratch:?}/$target" && mkdir -p "$scratch/$target"
    local seeds=()
    [[ -d tests/fuzz/corpus/$target ]] && seeds=("tests/fuzz/corpus/$target")
    say "fuzz $target for ${seconds}s"
    if ! "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$root/$san/artifacts/$target-" -print_final_stats=1 \
      "$scratch/$target" "${seeds[@]}" >"$root/$san/$target.log" 2>&1; then
      tail -n 40 "$root/$san/$target.log" >&2
      failed+=("$target")
    else
      grep -E "^stat::number_of_executed_units" "$root/$san/$target.log" >&2 || true
    fi
  done
  ((${#failed[@]} == 0)) || {
    say "fuzz targets that failed: ${failed[*]}"
    return 1
  }
}

stages=(setup build unit kafka e2e asan asan_e2e fuzz)
# A stage whose prerequisite failed is skipped, not run against a missing build or broker.
declare -A needs=([unit]=build [kafka]=setup [e2e]="build kafka" [asan]=setup [build]=setup
  [asan_e2e]="setup kafka" [fuzz]=setup)

selected=("$@")
((${#selected[@]})) || selected=("${stages[@]}")
for name in "${selected[@]}"; do
  declare -F "stage_$name" >/dev/null || {
    say "unknown stage '$name' (stages: ${stages[*]})"
    exit 2
  }
done
[[ " ${selected[*]} " == *" setup "* ]] || selected=(setup "${selected[@]}")

declare -A result=()
summary=()
for name in "${stages[@]}"; do
  [[ " ${selected[*]} " == *" $name "* ]] || continue
  blocked=""
  for need in ${needs[$name]:-}; do
    [[ ${result[$need]:-ok} == ok ]] || blocked=$need
  done
  if [[ -n $blocked ]]; then
    result[$name]=skipped
    summary+=("$(printf '%-8s skipped (%s failed)' "$name" "$blocked")")
    continue
  fi
  say "stage $name"
  started=$SECONDS
  set +e
  (
    set -euo pipefail
    "stage_$name"
  )
  status=$?
  set -e
  if ((status == 0)); then result[$name]=ok; else result[$name]=failed; fi
  summary+=("$(printf '%-8s %-7s %4ds' "$name" "${result[$name]}" $((SECONDS - started)))")
done

echo >&2
say "summary"
printf '  %s\n' "${summary[@]}" >&2
for name in "${!result[@]}"; do
  [[ ${result[$name]} == ok ]] || {
    say "FAILED"
    exit 1
  }
done
say "all stages passed"
