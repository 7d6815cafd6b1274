#!/usr/bin/env bash
# Installs everything the build and the tests need, skipping what is already there: Debian
# packages, librdkafka built from source (.deps/librdkafka), the Python venv (.venv) with
# e2e/requirements.txt, the npm packages of e2e/js, and the Kafka jars (scripts/kafka.sh fetch).
# Does I/O: apt, crates.io, pip, npm, Maven Central.
#
# Environment:
#   KASOCKI_SETUP_NO_APT=1   skip the Debian packages (e.g. on a machine without apt)
#   PYTHON                   interpreter the venv is made from (default python3)
#   KASOCKI_CACHE            where built dependencies are kept between clones
#                            (default ~/.cache/kasocki)
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
    zlib1g-dev libzstd-dev libsasl2-dev
    clang clang-format libclang-rt-14-dev kcat jq chromium python3-venv ccache
    haproxy nginx-light dpkg-dev)
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

# librdkafka 2.12.1, built from its release sources. Debian 12's librdkafka is 2.0.2, whose
# fetcher leaves a partition with a full queue alone for a whole second; 2.2 added
# fetch.queue.backoff.ms (docs/PERFORMANCE.md, replay). The sources come from the Rust crate that
# vendors them (crates.io is a registry we reach; the crate's librdkafka/ folder is the upstream
# release tree), checked against a pinned hash. Built once into the cache, linked as
# .deps/librdkafka, which cmake/dependencies.cmake prefers to the system's librdkafka.
librdkafka_version=2.12.1
librdkafka_crate=rdkafka-sys-4.10.0+2.12.1
librdkafka_crate_sha256=e234cf318915c1059d4921ef7f75616b5219b10b46e9f3a511a15eb4b56a3f77
librdkafka_from_source() {
  local cache=${KASOCKI_CACHE:-$HOME/.cache/kasocki}
  local prefix=$cache/librdkafka-$librdkafka_version
  if [[ ! -f $prefix/lib/pkgconfig/rdkafka.pc ]]; then
    local work
    work=$(mktemp -d)
    curl -fsSL --retry 3 -o "$work/crate.tar.gz" \
      "https://static.crates.io/crates/rdkafka-sys/${librdkafka_crate/+/%2B}.crate"
    echo "$librdkafka_crate_sha256  $work/crate.tar.gz" | sha256sum -c --quiet -
    tar xzf "$work/crate.tar.gz" -C "$work" "$librdkafka_crate/librdkafka"
    (cd "$work/$librdkafka_crate/librdkafka" &&
      ./configure --prefix="$prefix.tmp" --enable-ssl --enable-zlib --enable-zstd \
        --enable-gssapi --disable-lz4-ext --disable-curl >"$work/configure.log" 2>&1 &&
      make -j"$(nproc)" libs >"$work/make.log" 2>&1 &&
      make install-subdirs >"$work/install.log" 2>&1) || {
      tail -n 40 "$work"/*.log >&2
      rm -rf "$work" "$prefix.tmp"
      return 1
    }
    rm -rf "$prefix"
    mv "$prefix.tmp" "$prefix"
    # pkg-config and the library path name the folder it was installed to.
    sed -i "s|$prefix.tmp|$prefix|g" "$prefix"/lib/pkgconfig/*.pc
    rm -rf "$work"
  else
    say "librdkafka $librdkafka_version: built already"
  fi
  mkdir -p .deps
  ln -sfn "$prefix" .deps/librdkafka
}

started=$SECONDS
step "Debian packages" apt_packages
# The others wait mostly on their registries (librdkafka's build on the CPU, alone): run them
# side by side, each into its own log, shown once it is done.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
names=("librdkafka" "Python venv" "npm packages" "Kafka jars")
steps=(librdkafka_from_source python_venv npm_packages kafka_jars)
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
