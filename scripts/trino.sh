#!/usr/bin/env bash
# Installs (once) and runs a real single-node Trino 435 server on loopback, for Kurobe's tests.
#
#   scripts/trino.sh up   STATE_DIR PORT   # start it (or reuse the one on PORT), wait until ready
#   scripts/trino.sh down STATE_DIR        # stop it; fine when it is not running
#
# Why this shape:
# - The server comes from Maven Central (io.trino:trino-server:435:tar.gz), the only place this
#   project can fetch it from. It is unpacked, pruned to the memory, tpch and postgresql plugins
#   (smaller cache, faster start) and moved into ${KUROBE_CACHE:-$HOME/.cache/kurobe}/trino-server-435
#   in one `mv`, so an interrupted install never leaves a half-made cache. Later runs, also after a
#   reboot, start from that cache without any download.
# - The cache stays read-only and shareable: config, catalogs, data, pid and logs all live under
#   STATE_DIR/trino (launcher --etc-dir / --data-dir / --pid-file / --*-log-file).
# - `up` writes STATE_DIR/trino.env with KUROBE_TRINO_URL; source it afterwards.
# - KUROBE_TRINO_PG_URL (jdbc:postgresql://host:port/db), KUROBE_TRINO_PG_USER and
#   KUROBE_TRINO_PG_PASSWORD, when all set, add a `postgresql` catalog.
#
# Needs java (17.0.3 or newer; Trino 435 does not run on older), python3 (the launcher), mvn, curl.
set -euo pipefail

TRINO_VERSION=435
READY_TIMEOUT=${KUROBE_TRINO_READY_TIMEOUT:-240}
CACHE_ROOT=${KUROBE_CACHE:-$HOME/.cache/kurobe}
INSTALL_DIR=$CACHE_ROOT/trino-server-$TRINO_VERSION
KEEP_PLUGINS=(memory tpch postgresql)

log() { printf '[trino] %s\n' "$*" >&2; }
die() { printf '[trino] ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
  die "usage: $0 up STATE_DIR PORT | $0 down STATE_DIR"
}

need() {
  local cmd
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null || die "'$cmd' is not installed; install it (Debian: apt-get install $cmd) and retry"
  done
}

# --- install ---------------------------------------------------------------------------------

# Trino 435 refuses to run on a JVM older than 17.0.3; say so before the launcher does, clearly.
check_java() {
  need java
  local ver
  ver=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.version = //p' | head -1)
  [ -n "$ver" ] || die "cannot read the Java version from 'java'; install OpenJDK 17 (apt-get install openjdk-17-jdk-headless)"
  local major minor patch
  IFS=.- read -r major minor patch _ <<<"$ver.0.0"
  if [ "$major" -lt 17 ] || { [ "$major" -eq 17 ] && [ "$minor" -eq 0 ] && [ "${patch%%[!0-9]*}" -lt 3 ]; }; then
    die "Trino $TRINO_VERSION needs Java 17.0.3 or newer, 'java' is $ver; put a newer JDK first on PATH"
  fi
}

installed() { [ -x "$INSTALL_DIR/bin/launcher" ] && [ -d "$INSTALL_DIR/lib" ]; }

# Fetches the tarball into a private local repository inside $1 (so nothing lingers in ~/.m2)
# and prints its path.
download_tarball() {
  local work=$1 start size
  need mvn
  start=$(date +%s)
  log "downloading io.trino:trino-server:$TRINO_VERSION:tar.gz from Maven Central (about 1 GB, once)"
  mvn -q -B -Dmaven.repo.local="$work/m2" \
    org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
    -Dartifact="io.trino:trino-server:$TRINO_VERSION:tar.gz" -DoutputDirectory="$work" \
    -Dmdep.overWriteReleases=true >&2 \
    || die "mvn could not fetch io.trino:trino-server:$TRINO_VERSION:tar.gz; check that Maven Central is reachable (mvn settings/proxy) and retry"
  local tarball=$work/trino-server-$TRINO_VERSION.tar.gz
  [ -f "$tarball" ] || die "mvn finished but $tarball is missing"
  # The copy is all we need; the private repository's copy would double the disk use.
  rm -rf "$work/m2"
  size=$(du -m "$tarball" | cut -f1)
  log "downloaded ${size} MB in $(( $(date +%s) - start ))s"
  echo "$tarball"
}

# Unpacks into a temp folder beside the cache, prunes plugins, then moves it into place at once.
install_server() {
  installed && return 0
  mkdir -p "$CACHE_ROOT"
  # One installer at a time; a second caller waits and then finds it installed.
  exec 8>"$CACHE_ROOT/.trino-install.lock"
  flock 8
  if installed; then exec 8>&-; return 0; fi
  [ -e "$INSTALL_DIR" ] && { log "removing an incomplete $INSTALL_DIR"; rm -rf "$INSTALL_DIR"; }
  local work
  work=$(mktemp -d "$CACHE_ROOT/.trino-install.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" EXIT
  local tarball start
  tarball=$(download_tarball "$work")
  start=$(date +%s)
  tar -xzf "$tarball" -C "$work" || die "could not unpack $tarball (disk full?)"
  rm -f "$tarball"
  local unpacked=$work/trino-server-$TRINO_VERSION plugin keep p
  [ -x "$unpacked/bin/launcher" ] || die "the tarball has no trino-server-$TRINO_VERSION/bin/launcher"
  for plugin in "$unpacked"/plugin/*; do
    keep=""
    for p in "${KEEP_PLUGINS[@]}"; do [ "$(basename "$plugin")" = "$p" ] && keep=1; done
    [ -n "$keep" ] || rm -rf "$plugin"
  done
  for p in "${KEEP_PLUGINS[@]}"; do
    [ -d "$unpacked/plugin/$p" ] || die "the tarball has no plugin/$p"
  done
  # The shipped etc/ and var/ are never used (config lives under STATE_DIR); drop them.
  rm -rf "$unpacked/etc" "$unpacked/var"
  mv "$unpacked" "$INSTALL_DIR"
  rm -rf "$work"
  trap - EXIT
  exec 8>&-  # closing the lock file releases the lock (and keeps it out of the server)
  log "installed in $INSTALL_DIR ($(du -sm "$INSTALL_DIR" | cut -f1) MB, unpacked in $(( $(date +%s) - start ))s)"
}

# --- config ----------------------------------------------------------------------------------

write_config() {
  local trino=$1 port=$2 etc=$1/etc
  mkdir -p "$etc/catalog" "$trino/data" "$trino/log"
  cat >"$etc/node.properties" <<EOF
node.environment=test
node.id=kurobe-trino-$port
node.data-dir=$trino/data
node.internal-address=127.0.0.1
node.bind-ip=127.0.0.1
EOF
  # Small heap, G1, and the flags Trino 435 expects on Java 17. C1-only JIT (TieredStopAtLevel=1)
  # roughly halves start-up CPU on 2 cores; the test queries are tiny, so peak speed does not matter.
  cat >"$etc/jvm.config" <<EOF
-server
-Xmx1G
-Xss2M
-XX:+UseG1GC
-XX:G1HeapRegionSize=4M
-XX:+ExplicitGCInvokesConcurrent
-XX:+ExitOnOutOfMemoryError
-XX:-OmitStackTraceInFastThrow
-XX:ReservedCodeCacheSize=256M
-XX:PerMethodRecompilationCutoff=10000
-XX:PerBytecodeRecompilationCutoff=10000
-XX:TieredStopAtLevel=1
-XX:+UnlockDiagnosticVMOptions
-XX:-G1UsePreventiveGC
-Djdk.attach.allowAttachSelf=true
-Djdk.nio.maxCachedBufferSize=2000000
-Dfile.encoding=UTF-8
EOF
  cat >"$etc/config.properties" <<EOF
coordinator=true
node-scheduler.include-coordinator=true
http-server.http.port=$port
discovery.uri=http://127.0.0.1:$port
query.max-memory=512MB
query.max-memory-per-node=512MB
memory.heap-headroom-per-node=256MB
web-ui.enabled=false
http-server.log.enabled=false
catalog.management=static
task.concurrency=2
task.max-worker-threads=4
EOF
  cat >"$etc/log.properties" <<EOF
io.trino=WARN
EOF
  rm -f "$etc/catalog/"*.properties
  echo "connector.name=memory" >"$etc/catalog/memory.properties"
  echo "connector.name=tpch" >"$etc/catalog/tpch.properties"
  if [ -n "${KUROBE_TRINO_PG_URL:-}" ]; then
    [ -n "${KUROBE_TRINO_PG_USER:-}" ] && [ -n "${KUROBE_TRINO_PG_PASSWORD+set}" ] \
      || die "KUROBE_TRINO_PG_URL is set; also set KUROBE_TRINO_PG_USER and KUROBE_TRINO_PG_PASSWORD"
    case $KUROBE_TRINO_PG_URL in
      jdbc:postgresql://*) ;;
      *) die "KUROBE_TRINO_PG_URL must look like jdbc:postgresql://127.0.0.1:5432/dbname, got $KUROBE_TRINO_PG_URL" ;;
    esac
    (
      umask 077
      cat >"$etc/catalog/postgresql.properties" <<EOF
connector.name=postgresql
connection-url=$KUROBE_TRINO_PG_URL
connection-user=$KUROBE_TRINO_PG_USER
connection-password=$KUROBE_TRINO_PG_PASSWORD
EOF
    )
  fi
}

# --- run -------------------------------------------------------------------------------------

# Runs the cached launcher with everything pointed at STATE_DIR/trino.
launcher() {
  local trino=$1; shift
  "$INSTALL_DIR/bin/launcher" \
    --etc-dir="$trino/etc" --data-dir="$trino/data" \
    --pid-file="$trino/launcher.pid" \
    --launcher-log-file="$trino/log/launcher.log" \
    --server-log-file="$trino/log/server.log" \
    "$@"
}

# Prints /v1/info of whatever answers on PORT (empty when nothing does).
info() { curl -fsS --max-time 2 "http://127.0.0.1:$1/v1/info" 2>/dev/null || true; }

is_trino() { grep -q '"nodeVersion"' <<<"$1"; }
is_ready() { grep -Eq '"starting" *: *false' <<<"$1"; }

pid_alive() {
  local pidfile=$1/launcher.pid pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

show_logs() {
  local trino=$1 f
  for f in "$trino/log/launcher.log" "$trino/log/server.log"; do
    [ -s "$f" ] || continue
    printf '[trino] ---- last 40 lines of %s ----\n' "$f" >&2
    tail -40 "$f" >&2
  done
}

wait_ready() {
  local trino=$1 port=$2 start=$SECONDS body
  while :; do
    body=$(info "$port")
    if is_ready "$body"; then
      log "ready on http://127.0.0.1:$port after $(( SECONDS - start ))s"
      return 0
    fi
    if [ -z "$body" ] && ! pid_alive "$trino"; then
      show_logs "$trino"
      die "the Trino server exited during start-up; see the log above (full logs in $trino/log)"
    fi
    if (( SECONDS - start >= READY_TIMEOUT )); then
      show_logs "$trino"
      die "Trino on port $port was not ready after ${READY_TIMEOUT}s; see the log above (full logs in $trino/log)"
    fi
    sleep 1
  done
}

write_env() {
  local state=$1 port=$2
  printf "export KUROBE_TRINO_URL='http://127.0.0.1:%s'\n" "$port" >"$state/trino.env"
}

raise_fd_limit() {
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  local n; n=$(ulimit -n)
  if [ "$n" != unlimited ] && [ "$n" -lt 4096 ]; then
    die "the open-file limit is $n and Trino needs at least 4096; raise the hard limit (ulimit -Hn) and retry"
  fi
}

cmd_up() {
  [ $# -eq 2 ] || usage
  local state=$1 port=$2
  [[ $port =~ ^[0-9]+$ ]] || die "PORT must be a number, got '$port'"
  mkdir -p "$state"
  state=$(cd "$state" && pwd)
  local trino=$state/trino body
  body=$(info "$port")
  if [ -n "$body" ]; then
    is_trino "$body" || die "port $port is taken by something that is not Trino; pick another port"
    log "a Trino is already answering on port $port; reusing it"
    wait_ready "$trino" "$port"
    write_env "$state" "$port"
    return 0
  fi
  if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
    die "port $port is in use (not answering HTTP); stop that process or pick another port"
  fi
  check_java
  need python3 curl flock
  install_server
  mkdir -p "$trino"
  if pid_alive "$trino"; then
    # Ours, but on another port or hung: restart it with the wanted config.
    log "stopping the Trino of $trino that does not answer on port $port"
    launcher "$trino" stop >/dev/null || true
  fi
  write_config "$trino" "$port"
  raise_fd_limit
  log "starting Trino $TRINO_VERSION on 127.0.0.1:$port (state in $trino)"
  launcher "$trino" start >&2 || { show_logs "$trino"; die "the Trino launcher failed to start the server"; }
  wait_ready "$trino" "$port"
  write_env "$state" "$port"
}

cmd_down() {
  [ $# -eq 1 ] || usage
  local trino=$1/trino
  if ! pid_alive "$trino"; then
    log "not running (no live pid in $trino/launcher.pid)"
    rm -f "$trino/launcher.pid"
    return 0
  fi
  if installed; then
    launcher "$trino" stop >&2 || true
  fi
  if pid_alive "$trino"; then
    # No install to run the launcher from, or it failed: stop the JVM ourselves.
    local pid; pid=$(cat "$trino/launcher.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$trino/launcher.pid"
  log "stopped"
}

main() {
  [ $# -ge 1 ] || usage
  local cmd=$1; shift
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    *) usage ;;
  esac
}

main "$@"
