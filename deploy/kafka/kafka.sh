#!/usr/bin/env bash
# Run a real single-node Apache Kafka 4.x broker (KRaft combined mode) without Docker.
#
# The jars come from Maven Central through pom.xml beside this script; the broker runs as a plain
# background JVM whose state (config, topic data, pid, logs) lives in one data dir, so several
# brokers with different ports and data dirs can run side by side.
#
#   kafka.sh fetch            download the jars (skipped when already there)
#   kafka.sh start            fetch if needed, format storage once, start, wait until it answers
#   kafka.sh stop             SIGTERM, wait, SIGKILL after KAFKA_STOP_TIMEOUT
#   kafka.sh status           print running/stopped; exit 0 when running, 3 when stopped
#   kafka.sh logs [-f] [N]    last N (100) lines of the server log; -f follows it
#   kafka.sh reset            stop, then delete the data dir
#   kafka.sh topics ARGS...   kafka-topics (TopicCommand) against this broker, e.g. `topics --list`
#
# Environment (defaults in brackets):
#   KAFKA_PORT [9092]  KAFKA_CONTROLLER_PORT [9093]  KAFKA_HOST [127.0.0.1] (bind address)
#   KAFKA_ADVERTISED_HOST [KAFKA_HOST, or 127.0.0.1 when that is 0.0.0.0]
#   KAFKA_DATA_DIR [deploy/kafka/.data/broker-$KAFKA_PORT]  (git-ignored)
#   KAFKA_LIB_DIR [deploy/kafka/.lib/$KAFKA_VERSION]        (git-ignored)
#   KAFKA_VERSION [4.1.1]  KAFKA_LOG4J_VERSION [2.24.3 for 4.0/4.1, else 2.25.3]
#   KAFKA_HEAP [-Xms256m -Xmx512m]  KAFKA_JVM_OPTS [G1, small pauses]  JAVA [java from JAVA_HOME/PATH]
#   KAFKA_START_TIMEOUT [90]  KAFKA_STOP_TIMEOUT [60]  (seconds)
#   KAFKA_EXTRA_CONFIG  file whose lines are appended to the generated server.properties
#   KAFKA_MVN_OPTS      extra arguments for mvn (e.g. -o, -Dmaven.repo.local=...)
set -euo pipefail

KAFKA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
case "$KAFKA_VERSION" in
  # Kafka's own build pins log4j2 per release; using the same avoids mixing API/impl generations.
  4.0.* | 4.1.*) _default_log4j=2.24.3 ;;
  *) _default_log4j=2.25.3 ;;
esac
KAFKA_LOG4J_VERSION="${KAFKA_LOG4J_VERSION:-$_default_log4j}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HOST="${KAFKA_HOST:-127.0.0.1}"
if [[ -z "${KAFKA_ADVERTISED_HOST:-}" ]]; then
  # A wildcard bind address is not something a client can connect to.
  case "$KAFKA_HOST" in
    0.0.0.0 | "" | "::" | "[::]") KAFKA_ADVERTISED_HOST=127.0.0.1 ;;
    *) KAFKA_ADVERTISED_HOST="$KAFKA_HOST" ;;
  esac
fi
# Default data dir is per port, so `KAFKA_PORT=19092 kafka.sh start` alone gives a separate broker.
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$KAFKA_DIR/.data/broker-$KAFKA_PORT}"
KAFKA_LIB_DIR="${KAFKA_LIB_DIR:-$KAFKA_DIR/.lib/$KAFKA_VERSION}"
KAFKA_HEAP="${KAFKA_HEAP:--Xms256m -Xmx512m}"
# Kafka's own defaults (kafka-run-class.sh) minus what does not matter on a dev box; exit on OOM
# instead of limping along half-dead.
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-60}"
KAFKA_EXTRA_CONFIG="${KAFKA_EXTRA_CONFIG:-}"
KAFKA_MVN_OPTS="${KAFKA_MVN_OPTS:-}"

# Relative dirs are taken relative to where the user runs the script, then made absolute because
# they end up in server.properties and in the JVM's command line.
[[ "$KAFKA_DATA_DIR" == /* ]] || KAFKA_DATA_DIR="$PWD/$KAFKA_DATA_DIR"
[[ "$KAFKA_LIB_DIR" == /* ]] || KAFKA_LIB_DIR="$PWD/$KAFKA_LIB_DIR"

BOOTSTRAP="$KAFKA_ADVERTISED_HOST:$KAFKA_PORT"
PID_FILE="$KAFKA_DATA_DIR/kafka.pid"
LOG_DIR="$KAFKA_DATA_DIR/logs"
SERVER_LOG="$LOG_DIR/server.log"
STDOUT_LOG="$LOG_DIR/stdout.log"
PROPS="$KAFKA_DATA_DIR/server.properties"
ADMIN_PROPS="$KAFKA_DATA_DIR/admin.properties"
CLUSTER_ID_FILE="$KAFKA_DATA_DIR/cluster.id"
LOG_DIRS="$KAFKA_DATA_DIR/kraft"
# Only a dir carrying this marker is ever deleted by `reset` (guards against KAFKA_DATA_DIR=$HOME).
MARKER="$KAFKA_DATA_DIR/.stancewire-kafka"
STAMP="$KAFKA_LIB_DIR/.complete"

say() { printf 'kafka[%s]: %s\n' "$KAFKA_PORT" "$*"; }
warn() { printf 'kafka[%s]: WARNING: %s\n' "$KAFKA_PORT" "$*" >&2; }
die() {
  printf 'kafka[%s]: ERROR: %s\n' "$KAFKA_PORT" "$*" >&2
  exit 1
}

# Size of server.log when this launch began: error messages show only what this launch wrote, not
# the previous run's shutdown (a JVM that dies before logging would otherwise look like a clean stop).
SERVER_LOG_OFFSET=0

# Last lines of the broker's logs, for error messages.
show_log_tail() {
  if [[ -s "$STDOUT_LOG" ]]; then
    printf -- '----- last lines of %s -----\n' "$STDOUT_LOG" >&2
    tail -n 20 "$STDOUT_LOG" >&2
  fi
  if [[ -s "$SERVER_LOG" ]]; then
    local size
    size="$(wc -c <"$SERVER_LOG" | tr -d ' ')"
    # Smaller than at launch means it was rotated meanwhile: then just show its end.
    ((size >= SERVER_LOG_OFFSET)) || SERVER_LOG_OFFSET=0
    if ((size > SERVER_LOG_OFFSET)); then
      printf -- '----- last lines of %s -----\n' "$SERVER_LOG" >&2
      tail -c +"$((SERVER_LOG_OFFSET + 1))" "$SERVER_LOG" | tail -n 40 >&2
    else
      printf -- '----- (nothing new in %s) -----\n' "$SERVER_LOG" >&2
    fi
  fi
}

# Serialise start/stop/reset on one data dir (two `start`s racing would both launch a JVM).
# flock is util-linux; without it (e.g. macOS) we simply run unlocked.
lock_data_dir() {
  mkdir -p "$KAFKA_DATA_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$KAFKA_DATA_DIR/.lock"
    flock -w 120 9 || die "another kafka.sh is busy with $KAFKA_DATA_DIR (lock held > 120 s)"
  fi
}

# Mark the data dir as ours (the marker is what lets `reset` delete it). Only a new or empty dir is
# claimed, so pointing KAFKA_DATA_DIR at an existing folder by mistake neither fills it with broker
# files nor makes it deletable.
claim_data_dir() {
  if [[ -d "$KAFKA_DATA_DIR" && ! -f "$MARKER" ]] && [[ -n "$(ls -A "$KAFKA_DATA_DIR")" ]]; then
    die "$KAFKA_DATA_DIR is not empty and was not created by kafka.sh; choose another KAFKA_DATA_DIR"
  fi
  mkdir -p "$KAFKA_DATA_DIR"
  touch "$MARKER"
}

find_java() {
  if [[ -n "${JAVA:-}" ]]; then
    :
  elif [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    JAVA="$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    JAVA="$(command -v java)"
  else
    die "no java found (Kafka 4.x needs Java 17+): install a JDK or set JAVA_HOME"
  fi
  local line major
  line="$("$JAVA" -version 2>&1 | head -n 1)"
  major="$(sed -E 's/^[^"]*"([0-9]+)(\.[0-9]+)?.*/\1/' <<<"$line")"
  # Old-style "1.8.0_x" versions parse as 1.
  if [[ "$major" =~ ^[0-9]+$ ]] && ((major < 17)); then
    die "$JAVA is Java $major; Kafka 4.x brokers need Java 17+ (set JAVA_HOME)"
  fi
}

# ---------------------------------------------------------------------------------------------
# fetch
# ---------------------------------------------------------------------------------------------

# What the jar folder was built from; a different pom or version means fetch again.
fetch_fingerprint() {
  local pom_sum
  pom_sum="$(cksum <"$KAFKA_DIR/pom.xml" | cut -d' ' -f1)"
  printf 'kafka=%s log4j=%s pom=%s\n' "$KAFKA_VERSION" "$KAFKA_LOG4J_VERSION" "$pom_sum"
}

jars_ready() {
  [[ -f "$STAMP" ]] && [[ "$(cat "$STAMP")" == "$(fetch_fingerprint)" ]]
}

cmd_fetch() {
  if jars_ready; then
    say "jars already in $KAFKA_LIB_DIR (kafka $KAFKA_VERSION, log4j $KAFKA_LOG4J_VERSION)"
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn (Maven 3.6.3+) is needed to fetch the Kafka jars"
  local parent lock_name
  parent="$(dirname "$KAFKA_LIB_DIR")"
  mkdir -p "$parent"
  lock_name="$parent/.$(basename "$KAFKA_LIB_DIR").fetch.lock"
  # Two brokers started at once must not both write the same jar folder.
  if command -v flock >/dev/null 2>&1; then
    exec 8>"$lock_name"
    flock -w 600 8 || die "timed out waiting for another fetch into $KAFKA_LIB_DIR"
    if jars_ready; then
      say "jars fetched meanwhile by another kafka.sh"
      exec 8>&-
      return 0
    fi
  fi

  say "fetching Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_LIB_DIR ..."
  # Copy into a scratch folder and swap it in only when Maven succeeded, so an interrupted fetch
  # never leaves a half-filled classpath that looks complete.
  local tmp mvn_log rc=0 extra=()
  tmp="$KAFKA_LIB_DIR.tmp.$$"
  mvn_log="$parent/.mvn-$KAFKA_VERSION.log"
  rm -rf "$tmp"
  if [[ -n "$KAFKA_MVN_OPTS" ]]; then
    read -r -a extra <<<"$KAFKA_MVN_OPTS"
  fi
  # Maven 3.8 prints bare ANSI resets even with -q -B, so its output goes to a log that is shown
  # only when something failed.
  mvn -q -B -f "$KAFKA_DIR/pom.xml" \
    -Dkafka.version="$KAFKA_VERSION" \
    -Dlog4j.version="$KAFKA_LOG4J_VERSION" \
    -Dkafka.lib.dir="$tmp" \
    ${extra[@]+"${extra[@]}"} \
    package >"$mvn_log" 2>&1 || rc=$?
  if ((rc != 0)) || ! compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null; then
    sed -e $'s/\x1b\\[[0-9;]*m//g' "$mvn_log" | tail -n 40 >&2
    rm -rf "$tmp"
    die "maven could not fetch Kafka $KAFKA_VERSION (full log: $mvn_log)"
  fi
  fetch_fingerprint >"$tmp/.complete"
  rm -rf "$KAFKA_LIB_DIR"
  mv "$tmp" "$KAFKA_LIB_DIR"
  rm -f "$mvn_log"
  say "fetched $(find "$KAFKA_LIB_DIR" -name '*.jar' | wc -l | tr -d ' ') jars"
  if command -v flock >/dev/null 2>&1; then exec 8>&-; fi
}

# ---------------------------------------------------------------------------------------------
# process helpers
# ---------------------------------------------------------------------------------------------

read_pid() {
  local pid=""
  if [[ -f "$PID_FILE" ]]; then read -r pid <"$PID_FILE" || true; fi
  [[ "$pid" =~ ^[0-9]+$ ]] && printf '%s\n' "$pid"
}

# True when $1 is a live (not zombie) process that is *this* data dir's broker, so a recycled pid
# or another broker is never mistaken for ours (and never signalled).
is_our_broker() {
  local pid="$1" state="" cmdline=""
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/stat" ]]; then
    # The broker may be our own child while `start` waits; if it died it is a zombie until we exit,
    # and kill -0 still succeeds on zombies.
    read -r _ _ state _ <"/proc/$pid/stat" || true
    [[ "$state" != Z ]] || return 1
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  else
    cmdline="$(ps -p "$pid" -o args= 2>/dev/null || true)"
  fi
  [[ "$cmdline" == *kafka.Kafka* && "$cmdline" == *"$PROPS"* ]]
}

# Pid of this data dir's running broker, or nothing.
running_pid() {
  local pid
  pid="$(read_pid)" || return 1
  is_our_broker "$pid" || return 1
  printf '%s\n' "$pid"
}

# Is anything accepting TCP connections on host:port? (bash's /dev/tcp: no extra tools needed)
port_open() {
  # shellcheck disable=SC2016  # $1/$2 are the inner shell's arguments
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

classpath() { printf '%s/*' "$KAFKA_LIB_DIR"; }

# Run a Kafka CLI class with a small, fast-starting JVM (tools are short-lived: C1 only, serial GC).
run_tool() {
  local class="$1"
  shift
  "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_DIR/tools-log4j2.yaml" \
    -cp "$(classpath)" "$class" "$@"
}

# A real metadata round trip: the broker lists its topics. Bounded by the admin timeouts in
# admin.properties and by `timeout` as a backstop.
probe() {
  mkdir -p "$LOG_DIR"
  timeout 30 "$JAVA" -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_DIR/tools-log4j2.yaml" \
    -cp "$(classpath)" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_PROPS" --list \
    >"$LOG_DIR/probe.log" 2>&1
}

# ---------------------------------------------------------------------------------------------
# start
# ---------------------------------------------------------------------------------------------

write_config() {
  local tmp line name
  tmp="$PROPS.tmp"
  : >"$tmp"
  while IFS= read -r line || [[ -n "$line" ]]; do
    for name in KAFKA_HOST KAFKA_ADVERTISED_HOST KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_LOG_DIRS; do
      local value
      if [[ "$name" == KAFKA_LOG_DIRS ]]; then value="$LOG_DIRS"; else value="${!name}"; fi
      # Quoted replacement: bash 5.2 would otherwise treat '&' in a value as the matched text.
      line="${line//"@$name@"/"$value"}"
    done
    printf '%s\n' "$line" >>"$tmp"
  done <"$KAFKA_DIR/server.properties.in"
  if [[ -n "$KAFKA_EXTRA_CONFIG" ]]; then
    [[ -r "$KAFKA_EXTRA_CONFIG" ]] || die "KAFKA_EXTRA_CONFIG=$KAFKA_EXTRA_CONFIG is not readable"
    # Later keys win in a Java properties file, so these override the template.
    {
      printf '\n# ---- appended from %s ----\n' "$KAFKA_EXTRA_CONFIG"
      cat "$KAFKA_EXTRA_CONFIG"
    } >>"$tmp"
  fi
  mv "$tmp" "$PROPS"

  # Client settings for the readiness probe: fail each attempt within seconds, not after the
  # 60 s default, so the wait loop notices a dead broker quickly.
  cat >"$ADMIN_PROPS" <<EOF
request.timeout.ms=5000
default.api.timeout.ms=8000
socket.connection.setup.timeout.ms=2000
socket.connection.setup.timeout.max.ms=4000
EOF
}

# KRaft refuses to start on an unformatted log dir ("No readable meta.properties files found").
# Format exactly once; the cluster id is kept in the data dir so it stays stable across restarts.
format_storage() {
  [[ -f "$LOG_DIRS/meta.properties" ]] && return 0
  local cluster_id="" out
  [[ -s "$CLUSTER_ID_FILE" ]] && read -r cluster_id <"$CLUSTER_ID_FILE"
  if [[ -z "$cluster_id" ]]; then
    cluster_id="$(run_tool kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    [[ "$cluster_id" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "StorageTool random-uuid gave '$cluster_id'"
    printf '%s\n' "$cluster_id" >"$CLUSTER_ID_FILE"
  fi
  say "formatting storage in $LOG_DIRS (cluster id $cluster_id)"
  # No --standalone: the quorum is the static controller.quorum.voters (see server.properties.in).
  if ! out="$(run_tool kafka.tools.StorageTool format --cluster-id "$cluster_id" \
    --config "$PROPS" --ignore-formatted 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "formatting $LOG_DIRS failed"
  fi
}

# Wait until the broker answers a metadata request, or fail with its last log lines.
wait_ready() {
  local pid="$1" start_s="$2" deadline now
  deadline=$((start_s + KAFKA_START_TIMEOUT))
  # Cheap phase first: poll the socket (no JVM) until the listener is up; KRaft only opens the
  # client listener once the broker has caught up with the metadata log and registered.
  while ! port_open "$KAFKA_ADVERTISED_HOST" "$KAFKA_PORT"; do
    is_our_broker "$pid" || {
      show_log_tail
      rm -f "$PID_FILE"
      die "broker (pid $pid) exited during startup"
    }
    now="$(date +%s)"
    if ((now >= deadline)); then
      show_log_tail
      die "broker (pid $pid) not listening on $BOOTSTRAP after ${KAFKA_START_TIMEOUT}s (still running; 'kafka.sh stop' to stop it)"
    fi
    sleep 0.5
  done
  # Then the real check: a metadata round trip through the admin client.
  until probe; do
    is_our_broker "$pid" || {
      show_log_tail
      rm -f "$PID_FILE"
      die "broker (pid $pid) exited during startup"
    }
    now="$(date +%s)"
    if ((now >= deadline)); then
      cat "$LOG_DIR/probe.log" >&2 || true
      show_log_tail
      die "broker (pid $pid) does not answer metadata requests on $BOOTSTRAP after ${KAFKA_START_TIMEOUT}s"
    fi
    sleep 1
  done
}

cmd_start() {
  local start_s pid
  start_s="$(date +%s)"
  find_java
  cmd_fetch
  claim_data_dir
  lock_data_dir

  if pid="$(running_pid)"; then
    # Already running (or still starting after another `start` gave up waiting): make sure it
    # answers, then succeed, so `start` can be called unconditionally by scripts and tests.
    wait_ready "$pid" "$start_s"
    say "already running (pid $pid), answering on $BOOTSTRAP"
    return 0
  fi
  if [[ -f "$PID_FILE" ]]; then
    warn "removing stale pid file (pid $(cat "$PID_FILE" 2>/dev/null || true) is not this broker)"
    rm -f "$PID_FILE"
  fi
  # Fail clearly rather than letting the JVM die with a BindException buried in its log.
  local port
  for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open "$KAFKA_ADVERTISED_HOST" "$port"; then
      die "port $port on $KAFKA_ADVERTISED_HOST is already in use by another process (another broker? set KAFKA_PORT / KAFKA_CONTROLLER_PORT)"
    fi
  done

  mkdir -p "$LOG_DIR" "$LOG_DIRS"
  write_config
  format_storage

  local heap=() jvm=()
  read -r -a heap <<<"$KAFKA_HEAP"
  read -r -a jvm <<<"$KAFKA_JVM_OPTS"
  if [[ -f "$SERVER_LOG" ]]; then SERVER_LOG_OFFSET="$(wc -c <"$SERVER_LOG" | tr -d ' ')"; fi
  printf '\n===== %s starting Kafka %s =====\n' "$(date '+%F %T')" "$KAFKA_VERSION" >>"$STDOUT_LOG"
  # - setsid (when present): own session, so a Ctrl-C or a test runner killing its process group
  #   does not take the broker down mid-write; nohup for the same reason with SIGHUP.
  # - the inner bash writes its own pid and then execs java, so the pid file names the JVM itself
  #   whether or not setsid had to fork.
  # - fd 9 (the data-dir lock) is closed for the broker, or it would hold the lock for its lifetime.
  local launcher=()
  if command -v setsid >/dev/null 2>&1; then launcher=(setsid); fi
  rm -f "$PID_FILE"
  # shellcheck disable=SC2016  # $$ and $1 are meant for the inner shell
  ${launcher[@]+"${launcher[@]}"} nohup bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PID_FILE" \
    "$JAVA" ${heap[@]+"${heap[@]}"} ${jvm[@]+"${jvm[@]}"} \
    -Dkafka.logs.dir="$LOG_DIR" \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.yaml" \
    -cp "$(classpath)" kafka.Kafka "$PROPS" \
    </dev/null >>"$STDOUT_LOG" 2>&1 9>&- &

  local i
  for ((i = 0; i < 50; i++)); do
    pid="$(read_pid)" && break
    sleep 0.1
  done
  [[ -n "${pid:-}" ]] || {
    show_log_tail
    die "broker did not start (no pid written)"
  }
  say "started pid $pid (data $KAFKA_DATA_DIR), waiting up to ${KAFKA_START_TIMEOUT}s for $BOOTSTRAP ..."
  wait_ready "$pid" "$start_s"
  say "ready on $BOOTSTRAP (pid $pid) after $(($(date +%s) - start_s))s"
}

# ---------------------------------------------------------------------------------------------
# stop / status / logs / reset / topics
# ---------------------------------------------------------------------------------------------

cmd_stop() {
  if [[ ! -d "$KAFKA_DATA_DIR" ]]; then
    say "not running (no data dir $KAFKA_DATA_DIR)"
    return 0
  fi
  lock_data_dir
  local pid
  if ! pid="$(running_pid)"; then
    if [[ -f "$PID_FILE" ]]; then
      rm -f "$PID_FILE"
      say "not running (removed stale pid file)"
    else
      say "not running"
    fi
    return 0
  fi
  say "stopping pid $pid ..."
  # SIGTERM runs Kafka's shutdown hook: controlled shutdown, flush, clean-shutdown marker (so the
  # next start skips log recovery).
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while is_our_broker "$pid"; do
    if ((waited >= KAFKA_STOP_TIMEOUT * 10)); then
      warn "pid $pid still alive after ${KAFKA_STOP_TIMEOUT}s, sending SIGKILL (next start will run log recovery)"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  rm -f "$PID_FILE"
  say "stopped"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    if port_open "$KAFKA_ADVERTISED_HOST" "$KAFKA_PORT"; then
      say "running (pid $pid), listening on $BOOTSTRAP, data $KAFKA_DATA_DIR"
    else
      say "running (pid $pid), not yet listening on $BOOTSTRAP, data $KAFKA_DATA_DIR"
    fi
    return 0
  fi
  if [[ -f "$PID_FILE" ]]; then
    say "stopped (stale pid file $PID_FILE), data $KAFKA_DATA_DIR"
  else
    say "stopped, data $KAFKA_DATA_DIR"
  fi
  return 3
}

cmd_logs() {
  local follow=0 lines=100 arg
  for arg in "$@"; do
    case "$arg" in
      -f | --follow) follow=1 ;;
      *[!0-9]* | "") die "usage: kafka.sh logs [-f] [LINES]" ;;
      *) lines="$arg" ;;
    esac
  done
  [[ -f "$SERVER_LOG" ]] || die "no server log yet at $SERVER_LOG"
  if ((follow)); then
    exec tail -n "$lines" -F "$SERVER_LOG"
  fi
  tail -n "$lines" "$SERVER_LOG"
}

cmd_reset() {
  cmd_stop
  if [[ ! -e "$KAFKA_DATA_DIR" ]]; then
    say "nothing to reset"
    return 0
  fi
  [[ -f "$MARKER" ]] || die "$KAFKA_DATA_DIR was not created by kafka.sh (no $(basename "$MARKER")); refusing to delete it"
  rm -rf -- "$KAFKA_DATA_DIR"
  say "deleted $KAFKA_DATA_DIR"
}

cmd_topics() {
  find_java
  jars_ready || die "jars not fetched yet: run 'kafka.sh fetch' or 'kafka.sh start'"
  # The admin client would otherwise retry for a minute before saying anything.
  port_open "$KAFKA_ADVERTISED_HOST" "$KAFKA_PORT" || die "nothing listening on $BOOTSTRAP (kafka.sh start?)"
  run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" "$@"
}

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

main() {
  local cmd="${1:-help}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    fetch) cmd_fetch ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    logs) cmd_logs "$@" ;;
    reset) cmd_reset ;;
    topics) cmd_topics "$@" ;;
    help | -h | --help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
