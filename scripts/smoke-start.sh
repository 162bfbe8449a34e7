#!/usr/bin/env bash
# Runs ./start.sh as a user would, on a fresh state folder and spare ports: waits until it
# is ready, uses the printed API key, stops it, then runs it again and checks that it
# reuses what the first run made. Uses the debug build the tests already made.
set -euo pipefail
cd "$(dirname "$0")/.."

home=$(mktemp -d /tmp/kurobe-smoke.XXXXXX)
port=$((18000 + RANDOM % 1000 * 3))
log=$home/start.log
export KUROBE_HOME=$home KUROBE_PORT=$port KUROBE_PG_PORT=$((port + 1)) KUROBE_REDIS_PORT=$((port + 2))
export KUROBE_BUILD_PROFILE=dev
# The API alone: the web app's suite (frontend/test.sh) runs start.sh with the web app, at
# the same time, and two builds of it into one folder would collide.
export KUROBE_WEB=0
unset DATABASE_URL REDIS_URL

fail() { echo "smoke: $*" >&2; sed 's/^/  start.sh| /' "$log" >&2; exit 1; }
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; scripts/services.sh down "$home" >/dev/null 2>&1 || true; rm -rf "$home"; }
trap cleanup EXIT

run_once() {
  ./start.sh >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || fail "start.sh exited early"
    sleep 0.5
  done
  fail "not ready after 300 s"
}

stop() { kill -TERM "$pid"; wait "$pid" || true; pid=; }

run_once
key=$(sed -n 's/^  API key:  //p' "$log")
[ -n "$key" ] || fail "no API key printed on the first run"
me=$(curl -fsS -H "Authorization: Bearer $key" "http://127.0.0.1:$port/v1/auth/me") || fail "the printed key does not work"
echo "$me" | grep -q '"name":"Demo"' || fail "unexpected /v1/auth/me: $me"
api() { curl -fsS -H "Authorization: Bearer $key" "$@"; }
sources=$(api "http://127.0.0.1:$port/v1/datasources") || fail "cannot list data sources"
id=$(echo "$sources" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])') || fail "no demo data source: $sources"
api -X POST "http://127.0.0.1:$port/v1/datasources/$id/test" | grep -q '"ok":true' || fail "the demo data source does not answer"
tables=$(api "http://127.0.0.1:$port/v1/datasources/$id/schema" | python3 -c 'import json,sys; print(" ".join(sorted(t["name"] for t in json.load(sys.stdin)["schema"]["tables"])))')
[ "$tables" = "customers order_items orders products regions stores" ] || fail "unexpected demo tables: $tables"
# The README's SQL example, as a script would run it.
answer=$(api -H 'content-type: application/json' -d "{\"datasource_id\": \"$id\", \"sql\": \"SELECT status, count(*) AS orders FROM retail.orders GROUP BY status ORDER BY orders DESC\"}" "http://127.0.0.1:$port/v1/sql") \
  || fail "POST /v1/sql failed"
echo "$answer" | python3 -c 'import json,sys; a=json.load(sys.stdin); assert a["row_count"] == 5 and a["rows"][0][0] == "completed", a' \
  || fail "unexpected answer: $answer"
refused=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" -H 'content-type: application/json' \
  -d "{\"datasource_id\": \"$id\", \"sql\": \"DROP TABLE retail.orders\"}" "http://127.0.0.1:$port/v1/sql")
[ "$refused" = 422 ] || fail "a DROP was not refused ($refused)"
# The README's question, answered by the offline engine through the API and through the CLI.
answer=$(api -H 'content-type: application/json' -d "{\"datasource_id\": \"$id\", \"question\": \"How many orders are there?\"}" "http://127.0.0.1:$port/v1/query") \
  || fail "POST /v1/query failed"
echo "$answer" | python3 -c 'import json,sys; a=json.load(sys.stdin); assert a["generation"]["engine"] == "offline" and a["rows"][0][0] > 0, a' \
  || fail "unexpected answer: $answer"
kurobe=${CARGO_TARGET_DIR:-target}/debug/kurobe
cli=$("$kurobe" ask --url "http://127.0.0.1:$port" --api-key "$key" --json "How many orders are there?" 2>/dev/null) \
  || fail "kurobe ask --url failed: $cli"
echo "$cli" | python3 -c 'import json,sys; a=json.load(sys.stdin); assert a["sql"].startswith("SELECT count(*)"), a' \
  || fail "unexpected CLI answer: $cli"
stop

run_once
grep -q "Demo organisation exists" "$log" || fail "the second run did not reuse the demo organisation"
curl -fsS -H "Authorization: Bearer $key" "http://127.0.0.1:$port/v1/auth/me" >/dev/null || fail "the first key stopped working"
stop
echo "1 passed, 0 failed: start.sh ran twice and reused its state"
