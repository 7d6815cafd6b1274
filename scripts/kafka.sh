#!/usr/bin/env bash
# A real single-node Apache Kafka 4.x broker (KRaft, combined broker+controller) for development
# and the e2e tests, run straight from the jars on Maven Central. Does I/O: downloads jars once,
# starts/stops a java process, writes a data folder outside the git tree.
#
#   scripts/kafka.sh start     start on localhost:9092 and return once it answers metadata requests
#                              (no-op when already running)
#   scripts/kafka.sh stop      stop it; no process is left behind
#   scripts/kafka.sh status    print running/stopped; exit 0 when running, 3 when stopped
#   scripts/kafka.sh restart   stop, then start
#   scripts/kafka.sh reset     stop and delete all data (topics, offsets); the next start is fresh
#   scripts/kafka.sh fetch     download the jars into the cache (what setup.sh calls)
#   scripts/kafka.sh topics …  run Kafka's kafka-topics tool (TopicCommand) against the broker
#   scripts/kafka.sh logs      print the tail of the broker log
#   scripts/kafka.sh bootstrap print the bootstrap address in use
#   scripts/kafka.sh pids      print "<node id> <pid> <client port>" for every running node
#
# With --nodes N (N >= 2; before or after the command, or KASOCKI_KAFKA_NODES=N) every command
# acts on a separate N-node cluster instead of the single node: combined broker+controller nodes
# with their own ports and data folders, so it runs beside the single node. Its topics default to
# replication factor N (at most 3) and min.insync.replicas 2. `start` starts every node that is
# not running (also one killed on purpose) and returns once all N are in the metadata.
#
# Environment:
#   KAFKA_BOOTSTRAP              use this cluster instead: start/stop/reset do nothing
#   KASOCKI_KAFKA_VERSION        Kafka version from Maven Central (default 4.1.2)
#   KASOCKI_CACHE                cache root (default ~/.cache/kasocki)
#   KASOCKI_KAFKA_LIBS           jar folder (default $KASOCKI_CACHE/kafka-<version>/libs)
#   KASOCKI_KAFKA_WORK           config, data, log and pid file (default $KASOCKI_CACHE/kafka-work)
#   KASOCKI_KAFKA_PORT           client port (default 9092); the controller uses the next port
#   KASOCKI_KAFKA_START_TIMEOUT  seconds to wait for the broker to answer (default 90)
#   KASOCKI_KAFKA_CLUSTER_WORK   root of the cluster's node folders (default
#                                $KASOCKI_CACHE/kafka-cluster-work; node<i>/ in it)
#   KASOCKI_KAFKA_CLUSTER_PORT   client port of node 1 (default 19092); node i listens on that
#                                port + i - 1 and its controller on that port + 10 + i - 1
set -euo pipefail

# --nodes N comes before or after the command; the rest of the arguments are the command's.
nodes=${KASOCKI_KAFKA_NODES:-1}
args=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --nodes)
      [[ $# -ge 2 ]] || { echo "kafka.sh: --nodes needs a number" >&2; exit 2; }
      nodes=$2
      shift 2
      ;;
    --nodes=*)
      nodes=${1#--nodes=}
      shift
      ;;
    *)
      args+=("$1")
      shift
      ;;
  esac
done
set -- "${args[@]+"${args[@]}"}"
[[ $nodes =~ ^[1-9]$ ]] || { echo "kafka.sh: --nodes must be 1 to 9, not '$nodes'" >&2; exit 2; }

version=${KASOCKI_KAFKA_VERSION:-4.1.2}
cache=${KASOCKI_CACHE:-$HOME/.cache/kasocki}
libs=${KASOCKI_KAFKA_LIBS:-$cache/kafka-$version/libs}
work=${KASOCKI_KAFKA_WORK:-$cache/kafka-work}
port=${KASOCKI_KAFKA_PORT:-9092}
controller_port=$((port + 1))
start_timeout=${KASOCKI_KAFKA_START_TIMEOUT:-90}
bootstrap=${KAFKA_BOOTSTRAP:-localhost:$port}
pid_file=$work/kafka.pid
log_file=$work/kafka.log
heap=512m
cluster_work=${KASOCKI_KAFKA_CLUSTER_WORK:-$cache/kafka-cluster-work}
cluster_port=${KASOCKI_KAFKA_CLUSTER_PORT:-19092}
node_id=1
if ((nodes > 1)); then
  # Three JVMs share the machine with builds and tests: each gets a smaller heap than the single
  # node, which is plenty for test traffic.
  heap=320m
  bootstrap=$(for ((i = 0; i < nodes; i++)); do printf 'localhost:%d,' $((cluster_port + i)); done)
  bootstrap=${KAFKA_BOOTSTRAP:-${bootstrap%,}}
fi

# Points the per-node globals (work folder, ports, pid and log file) at node $1 of the cluster.
select_node() {
  node_id=$1
  work=$cluster_work/node$1
  port=$((cluster_port + $1 - 1))
  controller_port=$((cluster_port + 10 + $1 - 1))
  pid_file=$work/kafka.pid
  log_file=$work/kafka.log
}

say() { echo "kafka.sh: $*" >&2; }
die() {
  say "$*"
  exit 1
}

# The Maven log4j2 binding (slf4j 1.x, as Kafka 4.1 uses) is added because the server jars bring
# slf4j-api without any binding. connect-runtime is excluded: kafka-tools only needs it for
# Connect's own tools, and it would triple the download.
write_pom() {
  cat >"$1" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.kasocki.dev</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>$version</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$version</version>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$version</version>
      <exclusions>
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion>
        <exclusion><groupId>com.fasterxml.jackson.jakarta.rs</groupId><artifactId>*</artifactId></exclusion>
      </exclusions>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.25.3</version>
    </dependency>
  </dependencies>
</project>
EOF
}

# Downloads the jars once; a marker file says the folder is complete, so an interrupted download
# is redone rather than half used.
fetch() {
  [[ -f $libs/.complete ]] && return 0
  command -v mvn >/dev/null || die "maven (mvn) is needed to fetch the Kafka jars: run scripts/setup.sh"
  local dir
  dir=$(dirname "$libs")
  mkdir -p "$dir"
  write_pom "$dir/pom.xml"
  rm -rf "$libs.tmp"
  say "fetching Kafka $version jars from Maven Central into $libs"
  if ! mvn -B -q -f "$dir/pom.xml" -Dmaven.repo.local="$cache/m2" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs.tmp" \
    >"$dir/mvn.log" 2>&1; then
    tail -n 30 "$dir/mvn.log" >&2
    die "maven could not fetch Kafka $version (log: $dir/mvn.log)"
  fi
  rm -rf "$libs"
  mv "$libs.tmp" "$libs"
  touch "$libs/.complete"
}

java_opts=(-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError
  -Djava.awt.headless=true -Dlog4j2.disable.jmx=true)

# Short-lived tools start faster with the client compiler only and a small serial heap.
run_tool() {
  local main=$1
  shift
  fetch
  write_logging
  java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$work/tools-log4j2.properties" -cp "$libs/*" "$main" "$@"
}

write_logging() {
  mkdir -p "$work"
  cat >"$work/log4j2.properties" <<'EOF'
rootLogger.level=INFO
rootLogger.appenderRef.out.ref=out
appender.out.type=Console
appender.out.name=out
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
logger.state.name=state.change.logger
logger.state.level=WARN
logger.cleaner.name=kafka.log.LogCleaner
logger.cleaner.level=WARN
EOF
  cat >"$work/tools-log4j2.properties" <<'EOF'
rootLogger.level=WARN
rootLogger.appenderRef.err.ref=err
appender.err.type=Console
appender.err.name=err
appender.err.target=SYSTEM_ERR
appender.err.layout.type=PatternLayout
appender.err.layout.pattern=[%d] %p %m (%c)%n
EOF
}

# Every setting a test relies on is explicit here rather than left to a default.
write_config() {
  if ((nodes > 1)); then
    write_cluster_config
    return
  fi
  cat >"$work/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:$controller_port
listeners=PLAINTEXT://localhost:$port,CONTROLLER://localhost:$controller_port
advertised.listeners=PLAINTEXT://localhost:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$work/data
num.partitions=1
delete.topic.enable=true
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=-1
log.retention.bytes=-1
EOF
}

# The cluster: a static quorum of every node. Replication factor and min.insync.replicas are
# the defaults of every topic, the internal ones included, so a topic survives one node lost
# and a write acknowledged by all in-sync replicas is on at least two nodes. The broker session
# is shorter than the default 9 s so that a killed node's partitions get a new leader sooner,
# yet long enough for a loaded machine's pauses.
write_cluster_config() {
  local voters="" i rf=$((nodes < 3 ? nodes : 3))
  for ((i = 1; i <= nodes; i++)); do voters+="$i@localhost:$((cluster_port + 10 + i - 1)),"; done
  cat >"$work/server.properties" <<EOF
process.roles=broker,controller
node.id=$node_id
controller.quorum.voters=${voters%,}
listeners=PLAINTEXT://localhost:$port,CONTROLLER://localhost:$controller_port
advertised.listeners=PLAINTEXT://localhost:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$work/data
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=2
unclean.leader.election.enable=false
delete.topic.enable=true
auto.create.topics.enable=false
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=2
group.initial.rebalance.delay.ms=0
broker.session.timeout.ms=6000
broker.heartbeat.interval.ms=1000
log.retention.hours=-1
log.retention.bytes=-1
EOF
}

# A pid counts only when it is still our broker: pids get reused.
our_pid() {
  [[ -f $pid_file ]] || return 1
  local pid
  pid=$(<"$pid_file")
  [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "kafka.Kafka $work/server.properties" || return 1
  echo "$pid"
}

# The TCP probe first: kcat keeps retrying a refused connection until its timeout, which would
# make every poll during startup cost the whole timeout.
port_open() {
  local first=${bootstrap%%,*}
  (exec 3<>"/dev/tcp/${first%:*}/${first##*:}") 2>/dev/null
}
answers() { port_open && kcat -L -b "$bootstrap" -m 5 2>/dev/null | grep -q ' brokers:'; }

start() {
  if [[ -n ${KAFKA_BOOTSTRAP:-} ]]; then
    answers || die "KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP does not answer metadata requests"
    say "using KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP; nothing started"
    return 0
  fi
  fetch
  mkdir -p "$work"
  exec 9>"$work/.lock"
  flock 9
  if our_pid >/dev/null && answers; then
    say "already running at $bootstrap"
    return 0
  fi
  if ! our_pid >/dev/null && answers; then
    say "a broker not started by kafka.sh already answers at $bootstrap; using it"
    return 0
  fi
  write_logging
  write_config
  if [[ ! -f $work/data/meta.properties ]]; then
    rm -rf "$work/data"
    local cluster_id
    cluster_id=$(run_tool kafka.tools.StorageTool random-uuid)
    run_tool kafka.tools.StorageTool format -t "$cluster_id" -c "$work/server.properties" \
      >"$work/format.log" 2>&1 || {
      cat "$work/format.log" >&2
      die "formatting the storage failed"
    }
  fi
  local pid
  if ! pid=$(our_pid); then
    [[ -f $log_file ]] && mv -f "$log_file" "$log_file.1"
    # setsid: the broker outlives the shell that started it and ignores its Ctrl-C; it must not
    # inherit the lock (fd 9), or every later start/stop would wait for it to exit.
    setsid java -Xms512m -Xmx512m "${java_opts[@]}" \
      -Dlog4j2.configurationFile="$work/log4j2.properties" -Dkafka.logs.dir="$work" \
      -cp "$libs/*" kafka.Kafka "$work/server.properties" >"$log_file" 2>&1 </dev/null 9>&- &
    pid=$!
    disown "$pid" # not a job of this shell: no "Killed" notice if it has to be killed
    echo "$pid" >"$pid_file"
  fi
  local deadline=$((SECONDS + start_timeout))
  until answers; do
    # A fatal fault takes the JVM many seconds to exit; no need to wait for that.
    if ! kill -0 "$pid" 2>/dev/null || grep -qE "$fatal_pattern" "$log_file"; then
      kill -KILL "$pid" 2>/dev/null || true
      rm -f "$pid_file"
      show_failure
      die "the broker failed to start (log: $log_file)"
    fi
    if ((SECONDS >= deadline)); then
      show_failure
      die "the broker did not answer within ${start_timeout}s (log: $log_file); still running as pid $pid"
    fi
    sleep 0.2
  done
  say "running at $bootstrap (pid $pid, log $log_file)"
}

fatal_pattern='Encountered fatal fault|FATAL|Exiting Kafka due to fatal exception'

# The cause is usually an ERROR far above the tail, under pages of shutdown messages.
show_failure() {
  echo "--- errors in $log_file ---" >&2
  grep -E -A2 "ERROR|FATAL" "$log_file" | head -n 30 >&2 || true
  echo "--- last lines ---" >&2
  tail -n 15 "$log_file" >&2
}

stop() {
  if [[ -n ${KAFKA_BOOTSTRAP:-} ]]; then
    say "using KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP; nothing stopped"
    return 0
  fi
  mkdir -p "$work"
  exec 9>"$work/.lock"
  flock 9
  local pid
  if ! pid=$(our_pid); then
    rm -f "$pid_file"
    say "not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  # A controlled shutdown of a single node takes a few seconds; after 30 it gets no more.
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    say "no clean shutdown after 30s: killing pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$pid_file"
  say "stopped"
}

status() {
  local pid
  if [[ -n ${KAFKA_BOOTSTRAP:-} ]]; then
    if answers; then echo "running ($KAFKA_BOOTSTRAP)"; return 0; fi
    echo "stopped ($KAFKA_BOOTSTRAP does not answer)"
    return 3
  fi
  if pid=$(our_pid); then
    echo "running (pid $pid, $bootstrap)"
    return 0
  fi
  if answers; then
    echo "running (not started by kafka.sh, $bootstrap)"
    return 0
  fi
  echo "stopped"
  return 3
}

reset() {
  stop
  if [[ -z ${KAFKA_BOOTSTRAP:-} ]]; then
    rm -rf "$work/data"
    say "data deleted"
  fi
}

# ---- the cluster (--nodes N) ----

# Every node is in the metadata: registered and not fenced.
cluster_answers() {
  kcat -L -b "$bootstrap" -m 5 2>/dev/null | grep -q "^ $nodes brokers:"
}

# Starts node $node_id's JVM (after select_node) unless it runs; does not wait.
launch_node() {
  our_pid >/dev/null && return 0
  [[ -f $log_file ]] && mv -f "$log_file" "$log_file.1"
  setsid java -Xms"$heap" -Xmx"$heap" "${java_opts[@]}" \
    -Dlog4j2.configurationFile="$cluster_work/log4j2.properties" -Dkafka.logs.dir="$work" \
    -cp "$libs/*" kafka.Kafka "$work/server.properties" >"$log_file" 2>&1 </dev/null 9>&- &
  local pid=$!
  disown "$pid"
  echo "$pid" >"$pid_file"
}

cluster_start() {
  if [[ -n ${KAFKA_BOOTSTRAP:-} ]]; then
    start
    return
  fi
  fetch
  mkdir -p "$cluster_work"
  exec 9>"$cluster_work/.lock"
  flock 9
  work=$cluster_work write_logging
  # One cluster id for every node, kept so that a node formatted later joins the same cluster.
  local id_file=$cluster_work/cluster.id i
  [[ -s $id_file ]] || run_tool kafka.tools.StorageTool random-uuid >"$id_file"
  for ((i = 1; i <= nodes; i++)); do
    select_node "$i"
    mkdir -p "$work"
    write_config
    if [[ ! -f $work/data/meta.properties ]]; then
      rm -rf "$work/data"
      run_tool kafka.tools.StorageTool format -t "$(<"$id_file")" -c "$work/server.properties" \
        >"$work/format.log" 2>&1 || {
        cat "$work/format.log" >&2
        die "formatting node $i's storage failed"
      }
    fi
  done
  for ((i = 1; i <= nodes; i++)); do
    select_node "$i"
    launch_node
  done
  local deadline=$((SECONDS + start_timeout))
  until cluster_answers; do
    for ((i = 1; i <= nodes; i++)); do
      select_node "$i"
      if ! our_pid >/dev/null || grep -qE "$fatal_pattern" "$log_file"; then
        [[ -f $pid_file ]] && kill -KILL "$(<"$pid_file")" 2>/dev/null
        rm -f "$pid_file"
        show_failure
        die "node $i failed to start (log: $log_file)"
      fi
    done
    if ((SECONDS >= deadline)); then
      die "the cluster did not list $nodes brokers within ${start_timeout}s (logs: $cluster_work/node*/kafka.log)"
    fi
    sleep 0.3
  done
  say "cluster of $nodes nodes running at $bootstrap"
}

cluster_stop() {
  if [[ -n ${KAFKA_BOOTSTRAP:-} ]]; then
    stop
    return
  fi
  mkdir -p "$cluster_work"
  exec 9>"$cluster_work/.lock"
  flock 9
  local i pid pids=()
  # All at once: a node stopped alone waits for the others to take over its partitions.
  for ((i = 1; i <= nodes; i++)); do
    select_node "$i"
    if pid=$(our_pid); then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    rm -f "$pid_file"
  done
  local deadline=$((SECONDS + 30))
  for pid in "${pids[@]+"${pids[@]}"}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      say "no clean shutdown after 30s: killing pid $pid"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
  done
  say "cluster stopped"
}

cluster_status() {
  if [[ -n ${KAFKA_BOOTSTRAP:-} ]]; then
    status
    return
  fi
  local i pid running=0
  for ((i = 1; i <= nodes; i++)); do
    select_node "$i"
    if pid=$(our_pid); then
      echo "node $i: running (pid $pid, localhost:$port)"
      running=$((running + 1))
    else
      echo "node $i: stopped"
    fi
  done
  ((running > 0)) && cluster_answers && { echo "running ($bootstrap)"; return 0; }
  echo "stopped"
  return 3
}

pids() {
  local i pid
  if ((nodes == 1)); then
    pid=$(our_pid) && echo "1 $pid $port"
    return 0
  fi
  for ((i = 1; i <= nodes; i++)); do
    select_node "$i"
    pid=$(our_pid) && echo "$i $pid $port"
  done
  return 0
}

cluster_reset() {
  cluster_stop
  if [[ -z ${KAFKA_BOOTSTRAP:-} ]]; then
    rm -rf "$cluster_work"
    say "cluster data deleted"
  fi
}

cmd=${1:-}
[[ $# -gt 0 ]] && shift
if ((nodes > 1)); then
  work=$cluster_work
  log_file=$cluster_work/node1/kafka.log
  case $cmd in
    start) cluster_start && exit 0 ;;
    stop) cluster_stop && exit 0 ;;
    restart) cluster_stop && cluster_start && exit 0 ;;
    status) cluster_status; exit ;;
    reset) cluster_reset && exit 0 ;;
  esac
fi
case $cmd in
  start) start ;;
  stop) stop ;;
  restart) stop && start ;;
  status) status ;;
  reset) reset ;;
  pids) pids ;;
  fetch) fetch ;;
  topics) run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" "$@" ;;
  logs) tail -n "${1:-60}" "$log_file" ;;
  bootstrap) echo "$bootstrap" ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
