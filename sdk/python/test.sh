#!/usr/bin/env bash
# The Python SDK's checks: a venv with the package and its dev extras, ruff, pyright (strict)
# and pytest against a real Kurobe that the tests start with ./start.sh (Postgres, Redis,
# the API) and stop at the end. Downloads are cached under ${KUROBE_CACHE:-~/.cache/kurobe}.
set -euo pipefail
cd "$(dirname "$0")"

cache=${KUROBE_CACHE:-$HOME/.cache/kurobe}
mkdir -p "$cache/pip" "$cache/pyright"
export PIP_CACHE_DIR=$cache/pip PYRIGHT_PYTHON_CACHE_DIR=$cache/pyright
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$(cd ../.. && pwd)/target}

python=$(command -v python3.11 || command -v python3)
venv=.venv
if ! [ -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sys; sys.exit(0)' 2>/dev/null; then
  rm -rf "$venv"
  if ! "$python" -m venv "$venv" 2>/dev/null; then
    # Debian's python3 lacks ensurepip until python3-venv is installed.
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    rm -rf "$venv"
    "$python" -m venv "$venv"
  fi
fi
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -e '.[dev]'

echo "== ruff"
"$venv/bin/ruff" check src tests
"$venv/bin/ruff" format --check src tests
echo "== pyright (strict)"
"$venv/bin/pyright" --pythonpath "$venv/bin/python" src tests
echo "== pytest"
"$venv/bin/python" -m pytest "$@"
