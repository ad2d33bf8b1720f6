#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft, combined broker+controller) for development
# and CI, run straight from the jars Maven fetches from Maven Central.
#
#   bash infra/kafka/kafka.sh start|stop|status|tool CLASS [ARGS...]
#
#   start   fetch the jars on first use (Maven, into .data/kafka/libs), format
#           the storage on first use, start the broker in the background and
#           wait until it answers metadata requests. Already running: says so.
#   stop    SIGTERM, then SIGKILL after 30 s. Not running: says so.
#   status  exit 0 when running, 3 when not.
#   tool    run a Kafka command-line class with the broker's classpath, e.g.
#             kafka.sh tool org.apache.kafka.tools.TopicCommand \
#               --bootstrap-server 127.0.0.1:9092 --list
#
# Environment:
#   KAFKA_BROKERS          if set, an existing cluster is used: start/stop do nothing
#   KAFKA_PORT             PLAINTEXT listener on 127.0.0.1 (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft CONTROLLER listener on 127.0.0.1 (default 9093)
#   KAFKA_HEAP             broker heap flags (default "-Xmx512m -Xms256m")
#   KAFKA_OPTS             extra JVM flags for the broker
#   KAFKA_START_TIMEOUT    seconds to wait for readiness (default 90)
#
# Everything it writes is under .data/kafka/: libs/ (jars, with the marker
# libs/.fetched), data/ (log dirs and KRaft metadata), server.properties,
# kafka.log, kafka.pid, maven.log, format.log, ready-check.log, .lock.
# Maven itself caches what it downloads in ~/.m2 as usual.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
DATA="$ROOT/.data/kafka"
LIBS="$DATA/libs"
LOG_DIRS="$DATA/data"
PROPS="$DATA/server.properties"
LOG_FILE="$DATA/kafka.log"
PID_FILE="$DATA/kafka.pid"
MAVEN_LOG="$DATA/maven.log"
POM="$SCRIPT_DIR/pom.xml"

KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1)"
DEP_PLUGIN_VERSION=3.8.1
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP="${KAFKA_HEAP:--Xmx512m -Xms256m}"
KAFKA_OPTS="${KAFKA_OPTS:-}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"

# infra/platform.mjs sets KAFKA_LOG_PREFIX to show these lines as its own
PREFIX="${KAFKA_LOG_PREFIX:-[kafka]}"
say() { echo "$PREFIX $*"; }
die() { echo "$PREFIX ERROR: $*" >&2; exit 1; }

# --- helpers -----------------------------------------------------------------

running_pid() {
  # Prints the broker's pid when the pid file names a live kafka.Kafka process.
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # a zombie (killed, not yet reaped) is not running
  [[ "$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)" != Z ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
  echo "$pid"
}

port_answers() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

port_owner() {
  # "name (pid N)" of whatever listens on 127.0.0.1/0.0.0.0:$1, when ss can tell.
  command -v ss >/dev/null 2>&1 || return 0
  ss -Hltnp "sport = :$1" 2>/dev/null \
    | sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 (pid \2)/p' | head -n1
}

check_port_free() {
  local port="$1" what="$2" owner
  if port_answers "$port"; then
    owner="$(port_owner "$port")"
    die "port $port ($what) on 127.0.0.1 is already taken by ${owner:-another process}." \
        "Stop it, or choose other ports with KAFKA_PORT / KAFKA_CONTROLLER_PORT," \
        "or point KAFKA_BROKERS at a running cluster."
  fi
}

check_java() {
  command -v java >/dev/null 2>&1 ||
    die "no 'java' on PATH: Kafka $KAFKA_VERSION needs a Java 17+ runtime (e.g. apt-get install openjdk-17-jre-headless)."
  local v major
  v="$(java -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n1)"
  major="${v%%.*}"
  [[ "$major" == 1 ]] && major="$(echo "$v" | cut -d. -f2)"
  if [[ "$major" =~ ^[0-9]+$ ]] && (( major < 17 )); then
    die "java on PATH is version $v; Kafka $KAFKA_VERSION brokers need Java 17 or newer."
  fi
}

fetch_jars() {
  local marker="$LIBS/.fetched" want
  want="kafka $KAFKA_VERSION pom-sha256 $(sha256sum "$POM" | cut -d' ' -f1)"
  if [[ -f "$marker" && "$(cat "$marker")" == "$want" ]]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 ||
    die "Kafka's jars are not in $LIBS yet and there is no 'mvn' on PATH to fetch them (apt-get install maven)."
  say "fetching Kafka $KAFKA_VERSION jars with Maven (first run only; log: ${MAVEN_LOG#$ROOT/})..."
  local tmp="$DATA/libs.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$DATA"
  if ! mvn -B -q -Dstyle.color=never -f "$POM" \
        "org.apache.maven.plugins:maven-dependency-plugin:$DEP_PLUGIN_VERSION:copy-dependencies" \
        -DincludeScope=runtime -DoutputDirectory="$tmp" >"$MAVEN_LOG" 2>&1; then
    rm -rf "$tmp"
    tail -n 20 "$MAVEN_LOG" | sed "s/\x1b\[[0-9;]*m//g" >&2 || true
    if grep -qiE 'Could not transfer|Unknown ?host|No plugin found|Plugin .* could not be resolved|Connection (refused|timed out)|Network is unreachable|resolve dependencies|Could not resolve' "$MAVEN_LOG"; then
      die "Maven could not download Kafka $KAFKA_VERSION: is Maven Central reachable from here (network, proxy, ~/.m2/settings.xml mirrors)? Full log: $MAVEN_LOG"
    fi
    die "Maven failed to fetch Kafka $KAFKA_VERSION; full log: $MAVEN_LOG"
  fi
  ls "$tmp"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null 2>&1 ||
    die "Maven finished but $tmp has no kafka_2.13-$KAFKA_VERSION.jar; see $MAVEN_LOG"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  echo "$want" >"$marker"
  say "fetched $(ls "$LIBS"/*.jar | wc -l) jars into ${LIBS#$ROOT/}"
}

# A Kafka command-line class: small heap, fast-starting JIT, quiet logs.
TOOL_JAVA=(java -Xmx256m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$SCRIPT_DIR/tools-log4j2.properties" -cp "$LIBS/*")
run_tool() { "${TOOL_JAVA[@]}" "$@"; }

write_properties() {
  mkdir -p "$LOG_DIRS"
  cat >"$PROPS" <<EOF
# Generated by infra/kafka/kafka.sh on every start; edit the script, not this.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$LOG_DIRS

# one node: every replication factor and ISR is 1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1

num.partitions=3
auto.create.topics.enable=true
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=168
EOF
}

format_storage_once() {
  if [[ -f "$LOG_DIRS/meta.properties" ]]; then
    return 0
  fi
  local cluster_id
  cluster_id="$(run_tool kafka.tools.StorageTool random-uuid)"
  say "formatting storage in ${LOG_DIRS#$ROOT/} (first run only; cluster id $cluster_id)"
  run_tool kafka.tools.StorageTool format --config "$PROPS" --cluster-id "$cluster_id" \
    >>"$DATA/format.log" 2>&1 || { cat "$DATA/format.log" >&2; die "storage format failed"; }
}

wait_ready() {
  local pid="$1" log_offset="$2" deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  # 1) this start's part of the log says the server is up, and the port answers
  until tail -c +"$((log_offset + 1))" "$LOG_FILE" | grep -q 'Kafka Server started' &&
        port_answers "$KAFKA_PORT"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -c +"$((log_offset + 1))" "$LOG_FILE" | tail -n 40 >&2 || true
      rm -f "$PID_FILE"
      die "the broker exited during start-up; see ${LOG_FILE#$ROOT/} (last lines above)"
    fi
    if (( SECONDS >= deadline )); then
      tail -c +"$((log_offset + 1))" "$LOG_FILE" | tail -n 40 >&2 || true
      die "the broker did not come up on $BOOTSTRAP within ${KAFKA_START_TIMEOUT}s (pid $pid still running; see ${LOG_FILE#$ROOT/})"
    fi
    sleep 0.5
  done
  # 2) a real client can fetch metadata from it
  local left=$((deadline - SECONDS)); (( left < 10 )) && left=10
  until timeout "$left" "${TOOL_JAVA[@]}" org.apache.kafka.tools.TopicCommand \
        --bootstrap-server "$BOOTSTRAP" --list >/dev/null 2>>"$DATA/ready-check.log"; do
    if ! kill -0 "$pid" 2>/dev/null || (( SECONDS >= deadline )); then
      tail -n 20 "$DATA/ready-check.log" >&2 || true
      die "the broker on $BOOTSTRAP does not answer metadata requests (see ${LOG_FILE#$ROOT/})"
    fi
    sleep 1
    left=$((deadline - SECONDS)); (( left < 10 )) && left=10
  done
}

# --- commands ----------------------------------------------------------------

external_cluster() {
  if [[ -n "${KAFKA_BROKERS:-}" ]]; then
    say "KAFKA_BROKERS=$KAFKA_BROKERS is set: that cluster is used; nothing to $1."
    return 0
  fi
  return 1
}

cmd_start() {
  external_cluster start && return 0
  local pid
  if pid="$(running_pid)"; then
    say "already running (pid $pid) on $BOOTSTRAP"
    return 0
  fi
  rm -f "$PID_FILE"
  check_java
  check_port_free "$KAFKA_PORT" "KAFKA_PORT, PLAINTEXT listener"
  check_port_free "$KAFKA_CONTROLLER_PORT" "KAFKA_CONTROLLER_PORT, KRaft controller listener"
  mkdir -p "$DATA"
  fetch_jars
  write_properties
  format_storage_once

  local started=$SECONDS
  say "starting Kafka $KAFKA_VERSION (KRaft, single node) on $BOOTSTRAP, controller 127.0.0.1:$KAFKA_CONTROLLER_PORT; log: ${LOG_FILE#$ROOT/}"
  # keep one previous log when it grows past 50 MB
  if [[ -f "$LOG_FILE" ]] && (( $(stat -c %s "$LOG_FILE") > 50 * 1024 * 1024 )); then
    mv -f "$LOG_FILE" "$LOG_FILE.1"
  fi
  : >"$DATA/ready-check.log"
  echo "===== $(date -u +%FT%TZ) kafka.sh start =====" >>"$LOG_FILE"
  local log_offset; log_offset="$(stat -c %s "$LOG_FILE")"
  # Own session (setsid), so a Ctrl-C at the terminal does not reach it. setsid
  # may fork, so the process writes its own pid before becoming the JVM.
  rm -f "$PID_FILE"
  # shellcheck disable=SC2086,SC2016  # KAFKA_HEAP / KAFKA_OPTS are lists of flags
  nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" java $KAFKA_HEAP -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true -Dkafka.logs.dir="$DATA" \
    -Dlog4j2.configurationFile="$SCRIPT_DIR/log4j2.properties" \
    $KAFKA_OPTS -cp "$LIBS/*" kafka.Kafka "$PROPS" \
    </dev/null >>"$LOG_FILE" 2>&1 9>&- &  # 9: the lock, not for the broker
  local i
  for ((i = 0; i < 50; i++)); do [[ -s "$PID_FILE" ]] && break; sleep 0.1; done
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || die "the broker process did not start; see ${LOG_FILE#$ROOT/}"
  wait_ready "$pid" "$log_offset"
  say "ready on $BOOTSTRAP (pid $pid, $((SECONDS - started))s)"
}

cmd_stop() {
  external_cluster stop && return 0
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    say "not running"
    return 0
  fi
  say "stopping (pid $pid)..."
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "still running after 30s: sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$PID_FILE"
  say "stopped"
}

cmd_status() {
  if [[ -n "${KAFKA_BROKERS:-}" ]]; then
    say "KAFKA_BROKERS=$KAFKA_BROKERS is set: that cluster is used (not managed here)"
    return 0
  fi
  local pid
  if pid="$(running_pid)"; then
    say "running (pid $pid) on $BOOTSTRAP"
    return 0
  fi
  say "not running"
  return 3
}

# One start/stop at a time per checkout (two shells, or the platform script
# and a test run, starting it together would race).
lock() {
  mkdir -p "$DATA"
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$DATA/.lock"
  flock -w 180 9 || die "another kafka.sh start/stop in this checkout holds ${DATA#$ROOT/}/.lock"
}

case "${1:-}" in
  start) lock; cmd_start ;;
  stop) lock; cmd_stop ;;
  status) cmd_status ;;
  tool)
    shift
    [[ $# -ge 1 ]] || die "usage: $0 tool CLASS [ARGS...]"
    check_java
    fetch_jars
    run_tool "$@"
    ;;
  *) echo "usage: $0 start|stop|status|tool CLASS [ARGS...]" >&2; exit 2 ;;
esac
