#!/usr/bin/env bash
# The whole test run, as CI does it: setup, build, unit tests, Kafka + fixtures, e2e suite, and a
# sanitizer build of the unit tests. Does I/O: installs, builds, starts a broker (left running;
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
  # shellcheck disable=SC2086 # PYTEST_ARGS is a list of words on purpose
  KASOCKI_BUILD_DIR="$root/build" .venv/bin/pytest e2e -q ${PYTEST_ARGS:-}
}

# Only the unit test binaries: the sanitizers find the most in the pure parsers, and building the
# whole tree twice would double the run on two cores. Debug (-O0) compiles the Beast/Asio-heavy
# sources much faster than the default -O2, and the unit tests need no speed.
stage_asan() {
  configure build-asan -DKASOCKI_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  local targets
  mapfile -t targets < <(ninja -C build-asan -t targets all | sed -n 's/^\([a-z0-9]*_tests\): phony$/\1/p')
  if ((${#targets[@]} == 0)); then
    say "no unit test targets to build"
    return 1
  fi
  ninja -C build-asan -j"$jobs" "${targets[@]}"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest --test-dir build-asan --output-on-failure -j"$jobs"
}

stages=(setup build unit kafka e2e asan)
# A stage whose prerequisite failed is skipped, not run against a missing build or broker.
declare -A needs=([unit]=build [kafka]=setup [e2e]="build kafka" [asan]=setup [build]=setup)

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
    summary+=("$(printf '%-6s skipped (%s failed)' "$name" "$blocked")")
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
  summary+=("$(printf '%-6s %-7s %4ds' "$name" "${result[$name]}" $((SECONDS - started)))")
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
