#!/usr/bin/env bash
# Installs the web app's packages and builds the production app, each only when its inputs
# changed since the last time (package-lock.json for the packages; sources, configuration
# and ../openapi.json for the build). Used by ./start.sh and frontend/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1;35m[web]\033[0m %s\n' "$*" >&2; }
export npm_config_cache=${npm_config_cache:-${KUROBE_CACHE:-$HOME/.cache/kurobe}/npm}
export NEXT_TELEMETRY_DISABLED=1 npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  command -v apt-get >/dev/null || { say "Node.js 20 or newer is needed for the web app"; exit 1; }
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing Node.js"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 18 ] || { say "Node.js $(node -v) is too old: the web app needs 18.18 or newer"; exit 1; }

lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.kurobe-lock 2>/dev/null)" != "$lock_hash" ]; then
  say "installing packages (npm ci)"
  # The registry reachable here serves only this platform's optional binaries (Next's SWC,
  # Rollup, the resolver), so the lock lacks the other platforms' and `npm ci` may refuse it
  # as out of sync; `npm install` then installs the same locked versions.
  if ! npm ci --no-audit --no-fund --loglevel=error 2>"${TMPDIR:-/tmp}/kurobe-npm-ci.log"; then
    if grep -q "Missing: .* from lock file" "${TMPDIR:-/tmp}/kurobe-npm-ci.log"; then
      say "npm ci refused the lock for other platforms' optional binaries; installing the locked versions with npm install"
      npm install --no-audit --no-fund --loglevel=error
    else
      cat "${TMPDIR:-/tmp}/kurobe-npm-ci.log" >&2
      exit 1
    fi
  fi
  echo "$lock_hash" > node_modules/.kurobe-lock
fi

if [ "${1:-}" = "--deps-only" ]; then exit 0; fi

src_hash=$( (find src public -type f 2>/dev/null; ls package.json package-lock.json next.config.ts postcss.config.mjs tsconfig.json ../openapi.json) \
  | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
if [ "$(cat .next/.kurobe-build 2>/dev/null)" != "$src_hash" ] || [ ! -f .next/BUILD_ID ]; then
  say "building the production web app"
  npm run --silent build
  echo "$src_hash" > .next/.kurobe-build
else
  say "the production web app is up to date"
fi
