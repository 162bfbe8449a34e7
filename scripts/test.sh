#!/usr/bin/env bash
# `make test`: starts Postgres, Redis and Trino for the tests (installing them if needed),
# then runs the format and lint checks and every test suite of the project. Trino starts in
# the background while the code compiles.
set -euo pipefail
cd "$(dirname "$0")/.."

state=${KUROBE_TEST_STATE:-.kurobe/test}
mkdir -p "$state"
step() { printf '\n\033[1;32m==> %s\033[0m\n' "$*"; }

scripts/duckdb-lib.sh
scripts/services.sh up "$state" "${KUROBE_TEST_PG_PORT:-54339}" "${KUROBE_TEST_REDIS_PORT:-63799}"
# shellcheck disable=SC1091
. "$state/services.env"
export KUROBE_TEST_ADMIN_URL=$SERVICES_PG_ADMIN_URL
export KUROBE_TEST_APP_PASSWORD=$SERVICES_PG_APP_PASSWORD
export KUROBE_TEST_REDIS_URL=$KUROBE_REDIS__URL
# The test binaries build their own settings; these belong to start.sh's server only.
unset KUROBE_DATABASE__URL KUROBE_DATABASE__MIGRATION_URL KUROBE_REDIS__URL SERVICES_PG_ADMIN_URL SERVICES_PG_APP_PASSWORD

psql -qAtX "$KUROBE_TEST_ADMIN_URL" -c "SELECT 'CREATE DATABASE kurobe_test_demo' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'kurobe_test_demo')" \
  | psql -qX "$KUROBE_TEST_ADMIN_URL" >/dev/null
trino_port=${KUROBE_TEST_TRINO_PORT:-18080}
# Trino's postgresql catalog reads the demo dataset the tests load into this database.
export KUROBE_TRINO_PG_URL="jdbc:postgresql://127.0.0.1:${KUROBE_TEST_PG_PORT:-54339}/kurobe_test_demo"
export KUROBE_TRINO_PG_USER=postgres
KUROBE_TRINO_PG_PASSWORD=$(cat "$state/postgres.password")
export KUROBE_TRINO_PG_PASSWORD
scripts/trino.sh up "$state" "$trino_port" >"$state/trino-up.log" 2>&1 &
trino_pid=$!

# Databases left by an interrupted earlier run.
psql -qAtX "$KUROBE_TEST_ADMIN_URL" -c "SELECT format('DROP DATABASE %I WITH (FORCE);', datname) FROM pg_database WHERE datname LIKE 'kurobe\_test\_%' AND datname <> 'kurobe_test_demo'" \
  | psql -qX "$KUROBE_TEST_ADMIN_URL" >/dev/null

step "docker/ files (scripts/check-docker.sh)"
scripts/check-docker.sh
step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
step "cargo test (build)"
cargo test --workspace --locked --no-run

step "waiting for Trino"
if ! wait "$trino_pid"; then
  cat "$state/trino-up.log" >&2
  exit 1
fi
# shellcheck disable=SC1091
. "$state/trino.env"
export KUROBE_TEST_TRINO_URL=$KUROBE_TRINO_URL

step "cargo test"
cargo test --workspace --locked

# The binary every suite below starts through start.sh, built once here: `cargo test`
# built the crates with the test-only features on, so this build differs, and five suites
# racing to make it (while fuzzing and cargo-deny compile too) ran past the smoke test's
# wait for readiness.
step "cargo build -p kurobe-cli (for the suites that start Kurobe)"
cargo build --locked -p kurobe-cli

# The suites that drive a whole running Kurobe each start their own (services on their own
# ports, from the debug build just made), so they run side by side; each one's output is
# shown when it is done. Fuzzing and cargo-deny need no service and join them.
step "start.sh smoke test, Schemathesis, Python SDK and web app suites, fuzzing and cargo-deny, side by side"
suites=(scripts/smoke-start.sh scripts/schemathesis.sh sdk/python/test.sh scripts/fuzz.sh scripts/deny.sh)
[ -x frontend/test.sh ] && suites+=(frontend/test.sh)
pids=()
for suite in "${suites[@]}"; do
  log="$state/$(echo "$suite" | tr '/.' '__').log"
  "$suite" >"$log" 2>&1 &
  pids+=("$!")
done
failed=0
for i in "${!suites[@]}"; do
  log="$state/$(echo "${suites[$i]}" | tr '/.' '__').log"
  if wait "${pids[$i]}"; then status=passed; else status=FAILED; failed=1; fi
  step "${suites[$i]}: $status"
  tail -n 40 "$log"
done
exit "$failed"
