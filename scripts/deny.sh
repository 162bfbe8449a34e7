#!/usr/bin/env bash
# cargo-deny over the workspace with deny.toml: licences, bans (banned crates, wildcard
# requirements; duplicate versions listed as warnings), sources (crates.io only), and the
# RustSec advisories whenever their database can be fetched. `make test` runs it.
# cargo-deny itself is installed once, pinned, into the shared cache (scripts/cargo-tool.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

deny=$(scripts/cargo-tool.sh cargo-deny 0.20.2)
checks=(licenses bans sources)
# The advisory database is a git repository on GitHub, and no package registry carries a
# copy; machines that reach only the registries (this project's CI among them) cannot
# fetch it. The advisories are then not checked, and the script says so rather than
# passing as if they had been.
if fetch=$("$deny" fetch db 2>&1); then
  checks=(advisories "${checks[@]}")
  advisories="checked against the RustSec database"
else
  echo "$fetch" | tail -n 3 >&2
  advisories="NOT CHECKED: the RustSec advisory database could not be fetched from GitHub (error above)"
fi
# Without the inclusion graphs, each duplicate is a few lines rather than a page;
# `cargo tree -i CRATE` shows what pulls one in.
"$deny" --locked check --hide-inclusion-graph "${checks[@]}"
echo "[deny] ${checks[*]}: clean. Advisories: $advisories."
