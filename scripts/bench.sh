#!/usr/bin/env bash
# make bench (issue 10): builds, starts Postgres and Redis, loads the benchmark dataset into
# Postgres and DuckDB and the demo at each scale into DuckDB, then runs kurobe-bench, which
# starts `kurobe serve` itself (to time start-up and read its memory). Results:
# bench/results/<date>-<commit>.json and .md. Figures are reported, never asserted.
#
# Data is kept in the state folder between runs (loading it is most of a first run's time);
# KUROBE_BENCH_FRESH=1 reloads it, KUROBE_BENCH_CLEAN=1 deletes the folder at the end.
#
#   KUROBE_BENCH_HOME         state folder (.kurobe/bench)
#   KUROBE_BENCH_PORT         the server's port (18900); Postgres and Redis: _PG_PORT, _REDIS_PORT
#   KUROBE_BENCH_SCALES       demo scale factors for the ask growth ("1 10"; 100 needs ~20 GB and an hour)
#   KUROBE_BENCH_LOAD_SECONDS duration of each fixed-duration load run (4)
#   KUROBE_BENCH_POSTGRES=0   leave Postgres out of the engine comparison
#   KUROBE_BENCH_TRINO=0      leave Trino out (otherwise scripts/trino.sh starts one on
#                             KUROBE_BENCH_TRINO_PORT, 18081, with a `postgresql` catalog over
#                             the Postgres data; the test suites' Trino is on 18080)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

log() { printf '\033[1;34m[bench]\033[0m %s\n' "$*" >&2; }

state=${KUROBE_BENCH_HOME:-$root/.kurobe/bench}
port=${KUROBE_BENCH_PORT:-18900}
pg_port=${KUROBE_BENCH_PG_PORT:-55440}
redis_port=${KUROBE_BENCH_REDIS_PORT:-63800}
trino_port=${KUROBE_BENCH_TRINO_PORT:-18081}
with_trino=${KUROBE_BENCH_TRINO:-1}
scales=${KUROBE_BENCH_SCALES:-1 10}
load_seconds=${KUROBE_BENCH_LOAD_SECONDS:-4}
dataset=${KUROBE_BENCH_DATASET:-$root/../shared/bench/retail_dataset.sql}
target=${CARGO_TARGET_DIR:-$root/target}
unset DATABASE_URL REDIS_URL KUROBE_DATABASE__URL KUROBE_DATABASE__MIGRATION_URL KUROBE_REDIS__URL

[ -f "$dataset" ] || { echo "no benchmark dataset at $dataset (KUROBE_BENCH_DATASET)" >&2; exit 1; }
if [ "${KUROBE_BENCH_FRESH:-0}" = 1 ] && [ -d "$state" ]; then
  scripts/services.sh down "$state" >/dev/null 2>&1 || true
  rm -rf "$state"
fi
mkdir -p "$state/data" "$state/semantic" "$state/out"
state=$(cd "$state" && pwd)

log "building"
cargo build --release --locked -p kurobe-cli -p kurobe-bench
kurobe=$target/release/kurobe
bench=$target/release/kurobe-bench

stop_services() {
  if [ "$with_trino" != 0 ]; then scripts/trino.sh down "$state" >/dev/null 2>&1 || true; fi
  scripts/services.sh down "$state" >/dev/null 2>&1 || true
  if [ "${KUROBE_BENCH_CLEAN:-0}" = 1 ]; then rm -rf "$state"; fi
}
trap stop_services EXIT
scripts/services.sh up "$state" "$pg_port" "$redis_port"
# shellcheck disable=SC1091
. "$state/services.env"

# Secrets of this folder's platform database, made once.
if [ ! -f "$state/secrets.env" ]; then
  {
    echo "export KUROBE_SECURITY__JWT_SECRET='$(head -c 48 /dev/urandom | base64 | tr -d '\n')'"
    echo "export KUROBE_SECURITY__MASTER_KEYS='1:$(head -c 32 /dev/urandom | base64 | tr -d '\n')'"
  } > "$state/secrets.env"
  chmod 600 "$state/secrets.env"
fi
# shellcheck disable=SC1091
. "$state/secrets.env"
export KUROBE_CONNECTORS__DUCKDB_DIRS="[$state/data]"
export KUROBE_ENGINES__SEMANTIC_DIR=$state/semantic
export KUROBE_RATE_LIMITS__PER_IP_PER_SECOND=0 KUROBE_RATE_LIMITS__PER_CREDENTIAL_PER_MINUTE=0
export KUROBE_LOG__FILTER=warn

setup_json=$state/out/setup.json
steps=()
# `timed NAME command...`: runs it and records its wall time for the report.
timed() {
  local name=$1; shift
  local t0 t1 seconds
  t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N)
  # printf, not bc alone: bc writes .2 for a step under a second, which is not JSON.
  seconds=$(LC_NUMERIC=C printf '%.3f' "$(echo "$t1 - $t0" | bc)")
  steps+=("\"$name\": $seconds")
  log "$name: $seconds s"
}

pg_admin=$SERVICES_PG_ADMIN_URL
pg_data_url=${pg_admin%/postgres}/retail_bench
pg_password=$(cat "$state/postgres.password")
if ! psql -qXtA "$pg_admin" -c "SELECT 1 FROM pg_database WHERE datname = 'retail_bench'" | grep -q 1; then
  psql -qX "$pg_admin" -c "CREATE DATABASE retail_bench" >/dev/null
fi
if [ "$(psql -qXtA "$pg_data_url" -c "SELECT to_regclass('retail.order_items') IS NOT NULL")" != t ]; then
  log "loading $dataset into Postgres (1M orders)"
  timed "postgres: retail_dataset.sql (psql)" psql -qX -v ON_ERROR_STOP=1 -d "$pg_data_url" -f "$dataset" -o /dev/null
fi
if [ ! -f "$state/data/bench.duckdb" ]; then
  log "copying the Postgres dataset into DuckDB"
  timed "duckdb: copy of the Postgres dataset (kurobe-bench load-duckdb)" \
    env KUROBE_BENCH_PG_DSN="host=127.0.0.1 port=$pg_port dbname=retail_bench user=postgres password=$pg_password" \
    "$bench" load-duckdb --out "$state/data/bench.duckdb"
fi
trino_args=()
if [ "$with_trino" != 0 ]; then
  # Trino reads the same rows as the Postgres source, through its postgresql connector.
  log "starting Trino on port $trino_port"
  KUROBE_TRINO_PG_URL="jdbc:postgresql://127.0.0.1:$pg_port/retail_bench" KUROBE_TRINO_PG_USER=postgres \
    KUROBE_TRINO_PG_PASSWORD=$pg_password timed "trino: start to ready (scripts/trino.sh up)" \
    scripts/trino.sh up "$state" "$trino_port"
  # Read in a subshell: KUROBE_TRINO_URL in the environment would be read as server configuration.
  # shellcheck disable=SC1091
  trino_args=(--trino-url "$(. "$state/trino.env" && echo "$KUROBE_TRINO_URL")")
fi
demo_args=()
for scale in $scales; do
  file=$state/data/demo-sf$scale.duckdb
  if [ ! -f "$file" ]; then
    log "generating the demo at scale $scale into DuckDB"
    timed "duckdb: kurobe demo load --scale $scale" "$kurobe" demo load --duckdb "$file" --scale "$scale"
  fi
  demo_args+=(--demo "SF$scale=$file")
done
printf '{%s}\n' "$(IFS=,; echo "${steps[*]}")" > "$setup_json"

# Every benchmark data source uses the demo's semantic model, found by its name.
for name in bench-duckdb bench-postgres bench-trino $(for s in $scales; do echo "bench-demo-sf$s"; done); do
  for suffix in "" -uncached; do
    cp config/semantic/retail-demo-duckdb.yaml "$state/semantic/$name$suffix.yaml"
  done
done

"$kurobe" migrate >/dev/null
if [ ! -f "$state/api_key" ]; then
  init=$("$kurobe" demo init)
  key=$(sed -n 's/^  API key:  //p' <<<"$init")
  if [ -z "$key" ]; then
    org=$(sed -n 's/.*(\([0-9a-f-]\{36\}\)).*/\1/p' <<<"$init" | head -1)
    key=$("$kurobe" apikey create --org "$org" --email admin@demo.kurobe.dev --name "bench $(date +%s)")
  fi
  echo "$key" > "$state/api_key"; chmod 600 "$state/api_key"
fi
export KUROBE_BENCH_API_KEY KUROBE_BENCH_PG_PASSWORD=$pg_password
KUROBE_BENCH_API_KEY=$(cat "$state/api_key")

pg_args=()
[ "${KUROBE_BENCH_POSTGRES:-1}" = 0 ] || pg_args=(--pg-host 127.0.0.1 --pg-port "$pg_port")

# An empty platform database, made anew each run, for start-up with every migration and for
# idle memory before anything is set up (the kept state above has the bench's data sources).
psql -qX "$pg_admin" -c "DROP DATABASE IF EXISTS kurobe_empty" -c "CREATE DATABASE kurobe_empty OWNER kurobe_owner" >/dev/null
export KUROBE_BENCH_EMPTY_DATABASE_URL=${KUROBE_DATABASE__URL%/kurobe}/kurobe_empty
export KUROBE_BENCH_EMPTY_MIGRATION_URL=${KUROBE_DATABASE__MIGRATION_URL%/kurobe}/kurobe_empty

log "offline engine growth"
"$bench" offline --out "$state/out/offline.json"
log "server scenarios (each load run lasts $load_seconds s)"
"$bench" http --kurobe "$kurobe" --addr "127.0.0.1:$port" --log "$state/out/server.log" \
  --duckdb "$state/data/bench.duckdb" "${pg_args[@]}" "${trino_args[@]}" "${demo_args[@]}" \
  --load-seconds "$load_seconds" --out "$state/out/http.json"

commit=$(git describe --always --dirty --abbrev=10)
mkdir -p bench/results
prefix=bench/results/$(date -u +%Y-%m-%d)-$commit
"$bench" report --commit "$commit" --section "setup=$setup_json" --section "http=$state/out/http.json" \
  --section "offline=$state/out/offline.json" --out-prefix "$prefix"
log "results: $prefix.json and $prefix.md"
