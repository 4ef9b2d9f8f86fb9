#!/usr/bin/env bash
# Runs every fuzz target under libFuzzer for SECONDS seconds each and prints
# a table: target, executions, executions per second, corpus size, crashes.
#
#   fuzz/run-all.sh 60                      # stable, no sanitizer
#   FUZZ_TOOLCHAIN=+nightly FUZZ_SANITIZER=address fuzz/run-all.sh 60
#   FUZZ_TARGETS="rules op_specs" fuzz/run-all.sh 30
#
# Corpora grow in fuzz/corpus/TARGET (seeded from fuzz/seeds/TARGET); crash
# inputs land in fuzz/artifacts/TARGET; each run's libFuzzer log is kept in
# fuzz/artifacts/TARGET.log.
set -euo pipefail
seconds=${1:?usage: fuzz/run-all.sh SECONDS}
cd "$(dirname "$0")"
toolchain=${FUZZ_TOOLCHAIN:-}
sanitizer=${FUZZ_SANITIZER:-none}
# A sanitizer build gets its own target folder, so it and the plain one do
# not rebuild each other.
target_dir=()
if [ "$sanitizer" != none ]; then target_dir=(--target-dir "../target/fuzz-$sanitizer"); fi
read -r -a targets <<< "${FUZZ_TARGETS:-differential validate instantiate api_calls op_specs rules}"

# shellcheck disable=SC2086 # $toolchain is empty or one word
cargo $toolchain fuzz build --sanitizer "$sanitizer" "${target_dir[@]}" >&2

count_crashes() { find "artifacts/$1" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) 2>/dev/null | wc -l; }

rows=()
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  before=$(count_crashes "$t")
  log="artifacts/$t.log"
  echo "== $t: ${seconds}s" >&2
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  cargo $toolchain fuzz run --sanitizer "$sanitizer" "${target_dir[@]}" "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
    > "$log" 2>&1 || true
  end=$(date +%s.%N)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ -z "$runs" ]; then # stopped by a crash: the last status line's count
    runs=$(grep -o '^#[0-9]*' "$log" | tr -d '#' | sort -n | tail -1)
  fi
  runs=${runs:-0}
  rate=$(awk -v r="$runs" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", r / (b - a) }')
  corpus=$(find "corpus/$t" -type f | wc -l)
  crashes=$(( $(count_crashes "$t") - before ))
  rows+=("$(printf '| %-12s | %10s | %7s | %6s | %7s |' "$t" "$runs" "$rate" "$corpus" "$crashes")")
done

printf '| %-12s | %10s | %7s | %6s | %7s |\n' target executions exec/s corpus crashes
printf '|%s|%s|%s|%s|%s|\n' -------------- ------------ --------- -------- ---------
printf '%s\n' "${rows[@]}"
