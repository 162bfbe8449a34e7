#!/usr/bin/env bash
# Starts (or reuses) the services Kurobe needs, on loopback, with their state in one folder:
# a private PostgreSQL cluster and a Redis server. Installs the Debian packages when missing.
#
#   scripts/services.sh up   STATE_DIR PG_PORT REDIS_PORT   # start what is not running
#   scripts/services.sh down STATE_DIR                      # stop them
#   scripts/services.sh stop-postgres STATE_DIR             # stop Postgres only (fault tests)
#   scripts/services.sh install                             # only install the packages
#
# `up` writes STATE_DIR/services.env with the URLs and passwords; source it afterwards.
# DATABASE_URL or REDIS_URL in the environment means "use that one, start nothing".
set -euo pipefail

log() { printf '\033[1;34m[services]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[services]\033[0m %s\n' "$*" >&2; exit 1; }

apt_updated=""
install_packages() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get to install them"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing ${missing[*]}"
  if [ -z "$apt_updated" ]; then $sudo apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$dir" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql"
  echo "$dir"
}

# A random secret that is safe inside URLs and shell files.
secret() { head -c 32 /dev/urandom | base64 | tr -d '/+=\n' | head -c 40; }

# Postgres refuses to run as root; run it as the `postgres` system user then.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_up() {
  local state=$1 port=$2 bin data=$1/postgres
  install_packages postgresql
  bin=$(pg_bin)
  local pwfile=$state/postgres.password
  [ -f "$pwfile" ] || { secret > "$pwfile"; chmod 600 "$pwfile"; }
  if [ ! -f "$data/PG_VERSION" ]; then
    log "creating a PostgreSQL cluster in $data"
    mkdir -p "$data"
    if [ "$(id -u)" -eq 0 ]; then
      # The postgres user must reach its data folder; the secrets beside it stay 0600.
      chmod o+x "$state"
      chown postgres "$data" "$pwfile"
    fi
    as_pg "$bin/initdb" -D "$data" -U postgres --pwfile="$pwfile" --auth=scram-sha-256 \
      --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    [ "$(id -u)" -eq 0 ] && chown root "$pwfile"
  fi
  if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "PostgreSQL already running on port $port"
  else
    if pg_isready -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
      die "port $port already has a PostgreSQL that is not the one in $data: stop it, or choose another port"
    fi
    log "starting PostgreSQL on 127.0.0.1:$port"
    as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start \
      -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      >/dev/null || { tail -20 "$data/server.log" >&2; die "PostgreSQL did not start"; }
  fi
}

redis_up() {
  local state=$1 port=$2
  install_packages redis-server
  if redis-cli -p "$port" ping >/dev/null 2>&1; then
    log "Redis already running on port $port"
  else
    log "starting Redis on 127.0.0.1:$port"
    mkdir -p "$state/redis"
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
      --dir "$state/redis" --pidfile "$state/redis/redis.pid" --logfile "$state/redis/redis.log"
    for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
    die "Redis did not start (see $state/redis/redis.log)"
  fi
}

# Creates the owner and server roles and the database, once; passwords live in the state dir.
pg_roles() {
  local state=$1 port=$2 db=$3
  local owner_pw app_pw
  [ -f "$state/owner.password" ] || { secret > "$state/owner.password"; chmod 600 "$state/owner.password"; }
  [ -f "$state/app.password" ] || { secret > "$state/app.password"; chmod 600 "$state/app.password"; }
  owner_pw=$(cat "$state/owner.password"); app_pw=$(cat "$state/app.password")
  PGPASSWORD=$(cat "$state/postgres.password") psql -qX -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
    -v owner_pw="$owner_pw" -v app_pw="$app_pw" -v db="$db" >/dev/null <<'SQL'
SELECT format('CREATE ROLE kurobe_owner LOGIN CREATEROLE PASSWORD %L', :'owner_pw')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kurobe_owner') \gexec
SELECT format('CREATE ROLE kurobe_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD %L', :'app_pw')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kurobe_app') \gexec
SELECT format('ALTER ROLE kurobe_app LOGIN PASSWORD %L', :'app_pw') \gexec
SELECT format('CREATE DATABASE %I OWNER kurobe_owner', :'db')
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
}

cmd=${1:-}; state=${2:-}
if [ "$cmd" = install ]; then install_packages postgresql redis-server; exit 0; fi
[ -n "$cmd" ] && [ -n "$state" ] || die "usage: $0 up STATE_DIR PG_PORT REDIS_PORT | down STATE_DIR | stop-postgres STATE_DIR"
mkdir -p "$state"; state=$(cd "$state" && pwd)

case "$cmd" in
  up)
    pg_port=${3:?PG_PORT}; redis_port=${4:?REDIS_PORT}
    env_file=$state/services.env
    : > "$env_file.tmp"
    if [ -n "${DATABASE_URL:-}" ]; then
      log "using DATABASE_URL from the environment"
      echo "export KUROBE_DATABASE__URL='$DATABASE_URL'" >> "$env_file.tmp"
    else
      pg_up "$state" "$pg_port"
      pg_roles "$state" "$pg_port" kurobe
      {
        echo "export KUROBE_DATABASE__URL='postgres://kurobe_app:$(cat "$state/app.password")@127.0.0.1:$pg_port/kurobe'"
        echo "export KUROBE_DATABASE__MIGRATION_URL='postgres://kurobe_owner:$(cat "$state/owner.password")@127.0.0.1:$pg_port/kurobe'"
        echo "export SERVICES_PG_ADMIN_URL='postgres://postgres:$(cat "$state/postgres.password")@127.0.0.1:$pg_port/postgres'"
        echo "export SERVICES_PG_APP_PASSWORD='$(cat "$state/app.password")'"
      } >> "$env_file.tmp"
    fi
    if [ -n "${REDIS_URL:-}" ]; then
      log "using REDIS_URL from the environment"
      echo "export KUROBE_REDIS__URL='$REDIS_URL'" >> "$env_file.tmp"
    else
      redis_up "$state" "$redis_port"
      echo "export KUROBE_REDIS__URL='redis://127.0.0.1:$redis_port'" >> "$env_file.tmp"
    fi
    mv "$env_file.tmp" "$env_file"; chmod 600 "$env_file"
    ;;
  stop-postgres)
    as_pg "$(pg_bin)/pg_ctl" -D "$state/postgres" -m fast stop >/dev/null
    ;;
  down)
    if [ -f "$state/postgres/PG_VERSION" ]; then as_pg "$(pg_bin)/pg_ctl" -D "$state/postgres" -m fast stop >/dev/null 2>&1 || true; fi
    if [ -f "$state/redis/redis.pid" ]; then kill "$(cat "$state/redis/redis.pid")" 2>/dev/null || true; fi
    log "stopped services in $state"
    ;;
  *) die "unknown command $cmd" ;;
esac
