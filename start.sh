#!/usr/bin/env bash
# Runs Kurobe on this machine in one command: installs and starts PostgreSQL and Redis
# (unless DATABASE_URL / REDIS_URL are given), generates secrets once, builds, migrates,
# creates the demo organisation and serves the API on http://127.0.0.1:8000 and the web app
# on http://127.0.0.1:3000 until stopped.
#
# KUROBE_WEB_PORT picks the web app's port (3000 by default, KUROBE_PORT+3 when KUROBE_PORT
# is given); KUROBE_WEB=0 serves the API alone.
#
# Everything it makes lives in .kurobe/ (or $KUROBE_HOME); running it again reuses it.
set -euo pipefail
cd "$(dirname "$0")"

home=${KUROBE_HOME:-.kurobe/dev}
port=${KUROBE_PORT:-8000}
if [ -n "${KUROBE_PORT:-}" ]; then web_port=${KUROBE_WEB_PORT:-$((port + 3))}; else web_port=${KUROBE_WEB_PORT:-3000}; fi
web=${KUROBE_WEB:-1}
profile=${KUROBE_BUILD_PROFILE:-release}
say() { printf '\033[1;36m[kurobe]\033[0m %s\n' "$*" >&2; }

command -v cargo >/dev/null || { say "Rust is not installed: install it from https://rustup.rs and run ./start.sh again"; exit 1; }
command -v curl >/dev/null || { say "curl is needed"; exit 1; }

scripts/services.sh up "$home" "${KUROBE_PG_PORT:-54329}" "${KUROBE_REDIS_PORT:-63790}"
home=$(cd "$home" && pwd)
# shellcheck disable=SC1091
. "$home/services.env"

secrets=$home/secrets.env
if [ ! -f "$secrets" ]; then
  say "generating the signing key and the credentials master key in $secrets"
  umask 077
  {
    echo "export KUROBE_SECURITY__JWT_SECRET='$(head -c 48 /dev/urandom | base64 | tr -d '\n')'"
    echo "export KUROBE_SECURITY__MASTER_KEYS='1:$(head -c 32 /dev/urandom | base64 | tr -d '\n')'"
  } > "$secrets"
fi
# shellcheck disable=SC1090
. "$secrets"

export KUROBE_LOG__FORMAT=${KUROBE_LOG__FORMAT:-pretty}

# DuckDB's prebuilt library, which the build links against.
scripts/duckdb-lib.sh

say "building kurobe ($profile)"
cargo build --locked --profile "$profile" -p kurobe-cli
target_dir=${CARGO_TARGET_DIR:-target}
case "$profile" in dev) bin=$target_dir/debug/kurobe ;; *) bin=$target_dir/$profile/kurobe ;; esac

if [ -n "${KUROBE_DATABASE__MIGRATION_URL:-}" ]; then
  "$bin" migrate
else
  say "no KUROBE_DATABASE__MIGRATION_URL given with DATABASE_URL: skipping migrations"
fi
# The retail demo, generated once, is the demo organisation's data source; DuckDB files
# may only come from the folders listed in connectors.duckdb_dirs.
data=$home/data
mkdir -p "$data"
export KUROBE_CONNECTORS__DUCKDB_DIRS="[\"$data\"]"
if [ ! -f "$data/demo.duckdb" ]; then
  say "generating the retail demo dataset (scale ${KUROBE_DEMO_SCALE:-0.1})"
  "$bin" demo load --duckdb "$data/demo.duckdb" --scale "${KUROBE_DEMO_SCALE:-0.1}"
fi
"$bin" demo init --duckdb "$data/demo.duckdb"
# Whoever runs start.sh runs the server: its demo administrator is the server's operator
# (reloads the engines file from the web app), unless the environment names others.
export KUROBE_SECURITY__OPERATORS=${KUROBE_SECURITY__OPERATORS:-[admin@demo.kurobe.dev]}

export KUROBE_SERVER__BIND=${KUROBE_SERVER__BIND:-127.0.0.1:$port}
if [ "$web" = 0 ]; then
  say "serving on http://$KUROBE_SERVER__BIND (API docs at /docs); Ctrl-C stops"
  exec "$bin" serve
fi

# The web app: the production build of frontend/ (rebuilt only when its sources changed),
# served by Next.js, which forwards /api/v1/* to the API above.
frontend/scripts/ensure-built.sh
"$bin" serve &
api_pid=$!
api_host=${KUROBE_SERVER__BIND%:*}
[ "$api_host" = 0.0.0.0 ] && api_host=127.0.0.1
(
  cd frontend
  KUROBE_API_URL=${KUROBE_API_URL:-http://$api_host:${KUROBE_SERVER__BIND##*:}} \
    KUROBE_SEMANTIC_DIR=$(cd .. && realpath -m "${KUROBE_ENGINES__SEMANTIC_DIR:-config/semantic}") NEXT_TELEMETRY_DISABLED=1 \
    exec node_modules/.bin/next start --port "$web_port" --hostname "${KUROBE_WEB_HOST:-127.0.0.1}"
) &
web_pid=$!
stop() { kill -TERM "$api_pid" "$web_pid" 2>/dev/null || true; wait "$api_pid" "$web_pid" 2>/dev/null || true; }
trap 'stop; exit 0' INT TERM
say "serving the API on http://$KUROBE_SERVER__BIND (docs at /docs) and the web app on http://${KUROBE_WEB_HOST:-127.0.0.1}:$web_port; Ctrl-C stops"
# Either one stopping stops both.
set +e
wait -n "$api_pid" "$web_pid"
status=$?
stop
exit "$status"
