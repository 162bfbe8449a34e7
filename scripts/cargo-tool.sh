#!/usr/bin/env bash
# Usage: scripts/cargo-tool.sh CRATE VERSION — prints the path of the crate's binary,
# installing it first (`cargo install --locked`, pinned) into a cache folder shared by
# every clone: ${KUROBE_CACHE:-~/.cache/kurobe}/CRATE-VERSION/bin. The build happens in a
# scratch folder beside it (not the project's target dir, which it would bloat) and the
# result is moved into place in one `mv`, so an interrupted install leaves nothing
# half-made and two concurrent installs cannot mix.
set -euo pipefail

crate=$1
version=$2
cache=${KUROBE_CACHE:-$HOME/.cache/kurobe}
dir=$cache/$crate-$version
if [ ! -x "$dir/bin/$crate" ]; then
  mkdir -p "$cache"
  scratch=$(mktemp -d "$cache/.$crate-$version.XXXXXX")
  trap 'rm -rf "$scratch"' EXIT
  echo "[$crate] installing $crate $version into $dir" >&2
  CARGO_TARGET_DIR=$scratch/target cargo install --locked --quiet --root "$scratch/root" "$crate@$version" >&2
  # Another clone may have finished first; its install is as good as ours.
  mv -T "$scratch/root" "$dir" 2>/dev/null || [ -x "$dir/bin/$crate" ]
fi
echo "$dir/bin/$crate"
