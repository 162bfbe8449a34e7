#!/usr/bin/env bash
# Tests the web app: installs what it needs, typechecks, lints, runs the component tests,
# builds the production app, starts a real backend with ./start.sh (Postgres, Redis, the API
# and the production web app, on spare ports and a fresh state folder), runs the end-to-end
# suite in Debian's Chromium through playwright-core (with axe-core checks), writes
# screenshots to frontend/test-results/, and stops everything it started.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)

step() { printf '\n\033[1;32m==> %s\033[0m\n' "$*"; }
# Not exported as KUROBE_CACHE: the server reads every KUROBE_* variable as configuration,
# and `cache` is one of its sections.
cache_dir=${KUROBE_CACHE:-$HOME/.cache/kurobe}
export npm_config_cache=$cache_dir/npm NEXT_TELEMETRY_DISABLED=1

step "Debian's Chromium"
if ! command -v chromium >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  apt-cache policy chromium | grep -q 'Candidate: [0-9]' || { echo "no chromium package in the apt sources" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
chromium --version

step "packages"
scripts/ensure-built.sh --deps-only

step "typecheck"
npm run --silent typecheck
step "lint"
npm run --silent lint
step "component tests (Vitest)"
mkdir -p test-results
npx vitest run --reporter=default --reporter=json --outputFile=test-results/unit.json

step "production build"
scripts/ensure-built.sh

step "backend and web app (./start.sh)"
free() { ! (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 50); do
  port=$((20000 + RANDOM % 8000 * 5))
  free "$port" && free $((port + 1)) && free $((port + 2)) && free $((port + 3)) && break
done
home=$(mktemp -d /tmp/kurobe-web-e2e.XXXXXX)
log=$home/start.log
# The end of start.sh's log (API and web server), without stack-trace frames.
log_tail() { grep -v -E '^ +([0-9]+: |at )' "$log" | tail -"$1" >&2; }
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  "$root/scripts/services.sh" down "$home" >/dev/null 2>&1 || true
  rm -rf "$home"
}
trap cleanup EXIT
(
  unset DATABASE_URL REDIS_URL KUROBE_CACHE
  export KUROBE_HOME=$home KUROBE_PORT=$port KUROBE_PG_PORT=$((port + 1)) KUROBE_REDIS_PORT=$((port + 2)) KUROBE_WEB_PORT=$((port + 3))
  export KUROBE_BUILD_PROFILE=${KUROBE_BUILD_PROFILE:-dev} KUROBE_LOG__FORMAT=json
  exec "$root/start.sh"
) >"$log" 2>&1 &
pid=$!
ready=
for _ in $(seq 1200); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && curl -fsS -o /dev/null "http://127.0.0.1:$((port + 3))/login" 2>/dev/null; then ready=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
if [ -z "$ready" ]; then
  echo "start.sh did not become ready:" >&2
  log_tail 40
  exit 1
fi
creds=$(sed -n 's/^  sign in:  //p' "$log")
export E2E_BASE_URL="http://127.0.0.1:$((port + 3))" E2E_API_URL="http://127.0.0.1:$port"
export E2E_EMAIL=${creds% / *} E2E_PASSWORD=${creds#* / }
export E2E_API_KEY=$(sed -n 's/^  API key:  //p' "$log")
export E2E_DUCKDB=$home/data/demo.duckdb E2E_SCREENSHOTS=$PWD/test-results/screenshots
export E2E_CHROMIUM=$(command -v chromium)
[ -n "$E2E_EMAIL" ] && [ -n "$E2E_API_KEY" ] || { echo "start.sh printed no credentials" >&2; tail -50 "$log" >&2; exit 1; }

step "end-to-end tests (playwright-core + Chromium, axe-core)"
rm -rf "$E2E_SCREENSHOTS"
if ! npx vitest run --config vitest.e2e.config.ts --reporter=default --reporter=json --outputFile=test-results/e2e.json; then
  # What the API and the web server said while the suite ran, for the failure above.
  echo "--- the end of ./start.sh's log (API and web server):" >&2
  log_tail 60
fi

# One closing line for the whole run.
node -e '
const r = ["unit", "e2e"].map((n) => require(`./test-results/${n}.json`));
const passed = r.reduce((a, x) => a + x.numPassedTests, 0);
const failed = r.reduce((a, x) => a + x.numFailedTests, 0);
console.log(`frontend: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
'
