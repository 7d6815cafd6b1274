#!/usr/bin/env bash
# Installs everything the build and the tests need, skipping what is already there: Debian
# packages, the Python venv (.venv) with e2e/requirements.txt, the npm packages of e2e/js, and the
# Kafka jars (scripts/kafka.sh fetch). Does I/O: apt, pip, npm, Maven Central.
#
# Environment:
#   KASOCKI_SETUP_NO_APT=1   skip the Debian packages (e.g. on a machine without apt)
#   PYTHON                   interpreter the venv is made from (default python3)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

say() { echo "setup.sh: $*" >&2; }
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)

# Runs one step and reports its wall time, so a slow cold setup shows where the time goes.
step() {
  local name=$1 started=$SECONDS
  shift
  "$@"
  say "$name done in $((SECONDS - started))s"
}

installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }

apt_packages() {
  [[ ${KASOCKI_SETUP_NO_APT:-0} == 1 ]] && return 0
  local wanted=(build-essential cmake ninja-build pkg-config
    libboost1.81-dev libboost-program-options1.81-dev libboost-url1.81-dev
    librdkafka-dev nlohmann-json3-dev libgtest-dev libre2-dev libsimdjson-dev libssl-dev
    clang clang-format libclang-rt-14-dev kcat jq chromium python3-venv ccache)
  # Tools that may come from elsewhere than Debian (a JDK, a newer node) count when on PATH.
  command -v java >/dev/null || wanted+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || wanted+=(maven)
  command -v node >/dev/null || wanted+=(nodejs)
  command -v npm >/dev/null || wanted+=(npm)
  local missing=() pkg
  for pkg in "${wanted[@]}"; do installed "$pkg" || missing+=("$pkg"); done
  if ((${#missing[@]} == 0)); then
    say "Debian packages: all present"
    return 0
  fi
  say "installing Debian packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
}

# A stamp holding the hash of the requirements makes a re-run a no-op until they change.
python_venv() {
  local python=${PYTHON:-python3} stamp=.venv/.requirements.sha256 want
  want=$(sha256sum e2e/requirements.txt | cut -d' ' -f1)
  [[ -x .venv/bin/python ]] || "$python" -m venv .venv
  if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then
    say "Python venv: up to date"
    return 0
  fi
  .venv/bin/python -m pip install -q --disable-pip-version-check -r e2e/requirements.txt
  echo "$want" >"$stamp"
}

npm_packages() {
  local stamp=e2e/js/node_modules/.kasocki-lock.sha256 want
  cd e2e/js
  if [[ ! -f package-lock.json ]]; then
    npm install --no-audit --no-fund --loglevel=error
    cd "$root"
    return 0
  fi
  cd "$root"
  want=$(sha256sum e2e/js/package-lock.json | cut -d' ' -f1)
  if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then
    say "npm packages: up to date"
    return 0
  fi
  (cd e2e/js && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
}

kafka_jars() { "$root/scripts/kafka.sh" fetch; }

started=$SECONDS
step "Debian packages" apt_packages
# The other three wait mostly on their registries, not on the CPU: run them side by side, each
# into its own log, shown once it is done.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
names=("Python venv" "npm packages" "Kafka jars")
steps=(python_venv npm_packages kafka_jars)
pids=()
for i in "${!steps[@]}"; do
  step "${names[$i]}" "${steps[$i]}" >"$logs/$i" 2>&1 &
  pids+=($!)
done
failed=()
for i in "${!steps[@]}"; do
  wait "${pids[$i]}" || failed+=("${names[$i]}")
  cat "$logs/$i" >&2
done
if ((${#failed[@]})); then
  say "FAILED: ${failed[*]}"
  exit 1
fi
say "all done in $((SECONDS - started))s"
