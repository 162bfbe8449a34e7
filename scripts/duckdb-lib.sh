#!/usr/bin/env bash
# Puts DuckDB's official prebuilt libduckdb.so (from the npm package that DuckDB publishes)
# at .kurobe/duckdb/, where .cargo/config.toml points the linker, and at
# <target dir>/duckdb/, where the programs' rpath finds it. Compiling DuckDB
# from source takes over an hour on a 2-core machine; this takes seconds. The download is
# kept in a cache folder shared by every clone.
#
# The crate version `duckdb =1.10505.0` (backend/connector-duckdb) must match this release.
set -euo pipefail
cd "$(dirname "$0")/.."

version=1.5.5
package=@duckdb/node-bindings-linux-x64@1.5.5-r.5
cache=${KUROBE_CACHE:-$HOME/.cache/kurobe}/duckdb-$version
link=.kurobe/duckdb

if [ ! -f "$cache/libduckdb.so" ]; then
  command -v npm >/dev/null || { echo "[duckdb] npm is needed to fetch $package" >&2; exit 1; }
  echo "[duckdb] fetching libduckdb.so $version from $package" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$package" >/dev/null && tar xzf ./*.tgz package/libduckdb.so)
  mkdir -p "$cache"
  mv "$tmp/package/libduckdb.so" "$cache/libduckdb.so.partial"
  mv "$cache/libduckdb.so.partial" "$cache/libduckdb.so"
fi
for dir in "$link" "${CARGO_TARGET_DIR:-target}/duckdb"; do
  mkdir -p "$dir"
  ln -sfn "$cache/libduckdb.so" "$dir/libduckdb.so"
done
