#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz, libFuzzer) of the SQL guard and of the offline
# engine's question reading: each target of fuzz/ runs for KUROBE_FUZZ_SECONDS (default 60),
# and any crash — a panic, a broken property the target asserts, a hang past 10 s, a
# stack overflow — fails the script with the input that caused it. `make test` runs it.
#
# - Tools: the nightly toolchain (minimal profile, in rustup's own folder) if it is missing,
#   and cargo-fuzz, pinned, in the shared cache (scripts/cargo-tool.sh).
# - The instrumented build has a target dir of its own in the cache, so it neither
#   thrashes the project's build nor starts from nothing each run.
# - Seeds are made at each run from the guard's corpus and the evaluation's questions; what
#   libFuzzer learns is kept in the cache (fuzz-corpus/), so later runs start further on.
#   A corpus is only inputs: one left by an older version of the code is still good.
# - No sanitizer: what runs per input is safe Rust (Kurobe's crates forbid unsafe code and
#   sqlparser has none), so AddressSanitizer would find nothing and only slow the search.
#   Debug assertions are on, so an integer overflow panics.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${KUROBE_FUZZ_SECONDS:-60}
# libFuzzer reads 0 as "no limit".
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "[fuzz] KUROBE_FUZZ_SECONDS must be a whole number of seconds above 0" >&2; exit 2; }
targets=(guard question)
cache=${KUROBE_CACHE:-$HOME/.cache/kurobe}
cargo_fuzz_version=0.13.2

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "[fuzz] installing the nightly toolchain (minimal profile)" >&2
  rustup toolchain install nightly --profile minimal --no-self-update
fi
bin=$(dirname "$(scripts/cargo-tool.sh cargo-fuzz "$cargo_fuzz_version")")
export PATH=$bin:$PATH

# The fuzzed crates at exactly the versions the workspace locks; cargo drops what fuzz/
# does not use and adds libFuzzer's few crates.
cp Cargo.lock fuzz/Cargo.lock
fuzz=(cargo +nightly fuzz)
flags=(--fuzz-dir fuzz --sanitizer none --debug-assertions --target-dir "$cache/fuzz-target")
echo "[fuzz] building ($(rustup run nightly rustc --version))"
"${fuzz[@]}" build "${flags[@]}"

seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
# One file per guard corpus entry (its dialect line and comments left out) and per question
# of the evaluation sets.
python3 - "$seeds" <<'EOF'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
def write(target, texts):
    (out / target).mkdir()
    for i, text in enumerate(texts):
        (out / target / f"{i:04}").write_text(text, encoding="utf-8")
corpus = pathlib.Path("backend/guard/tests/corpus")
write("guard", [
    "\n".join(l for l in entry.splitlines() if not l.startswith(("#", "@")))
    for name in ("valid.txt", "hostile.txt")
    for entry in (corpus / name).read_text(encoding="utf-8").split("\n---\n")
])
write("question", [
    json.loads(line)["question"]
    for name in ("dev.jsonl", "clinic.jsonl")
    for line in pathlib.Path("backend/semantic/eval", name).read_text(encoding="utf-8").splitlines() if line.strip()
])
EOF

failed=0
for target in "${targets[@]}"; do
  corpus=$cache/fuzz-corpus/$target
  # Not in fuzz/artifacts/, where cargo-fuzz takes the newest file for the failing input.
  log=.kurobe/fuzz/$target.log
  mkdir -p "$corpus" .kurobe/fuzz
  echo "[fuzz] $target: ${seconds}s from $(find "$seeds/$target" -type f | wc -l) seeds and $(find "$corpus" -type f | wc -l) kept inputs"
  if "${fuzz[@]}" run "${flags[@]}" "$target" "$corpus" "$seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    echo "[fuzz] $target: no crash in $runs runs ($rate executions/s); corpus now $(find "$corpus" -type f | wc -l) inputs"
    # Kept from run to run, the corpus would grow without end: past 10,000 inputs it is
    # merged down to those that add coverage (a few seconds; 12,000 became 4,800 here).
    if [ "$(find "$corpus" -type f | wc -l)" -gt 10000 ] && ! "${fuzz[@]}" cmin "${flags[@]}" "$target" "$corpus" >"$log" 2>&1; then
      failed=1
      tail -n 40 "$log"
    fi
  else
    failed=1
    # The panic without its backtrace (or libFuzzer's report of a signal, hang or leak),
    # then cargo-fuzz's summary: the failing input, its text and the command that replays it.
    awk '/panicked at|ERROR: libFuzzer/ && !seen { on = seen = 1 } /^stack backtrace:/ { on = 0 }
         /^Failing input:/ { on = 1 } /^Minimize test case/ { exit } on' "$log" | head -n 60
    echo "[fuzz] $target: CRASH (full log: $log)"
  fi
done
exit "$failed"
