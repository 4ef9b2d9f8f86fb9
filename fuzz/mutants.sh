#!/usr/bin/env bash
# Proof of teeth for the rule set: each fuzz/mutants/*.isle slips one wrong
# rule in. For each, `plumb verify` must refute it, and the `rules` fuzz
# target (built with the `mutants` feature, which loads the file named by
# PLUMB_MUTANT_RULES) must find a wrong lowering within SECONDS. Prints a
# table with the time each took.
#
#   fuzz/mutants.sh 60
set -uo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release --bin plumb >&2 || exit 1
cargo fuzz build --sanitizer none --features mutants rules >&2 || exit 1

printf '| %-32s | %-18s | %-22s |\n' mutant "plumb verify" "rules fuzzer"
printf '|%s|%s|%s|\n' ---------------------------------- -------------------- ------------------------
caught_all=0
for file in fuzz/mutants/*.isle; do
  name=$(basename "$file" .isle)
  rule=$(grep -o '(rule [a-z0-9_]*' "$file" | head -1 | cut -d' ' -f2)
  start=$(date +%s.%N)
  if target/release/plumb verify --rules "$file" --rule "$rule" > /dev/null 2>&1; then
    verify="NOT REFUTED"; caught_all=1
  else
    verify=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "refuted in %.1f s", b - a }')
  fi
  workdir=$(mktemp -d)
  start=$(date +%s.%N)
  if PLUMB_MUTANT_RULES="$root/$file" cargo fuzz run --sanitizer none --features mutants rules \
      "$workdir" fuzz/seeds/rules -- -max_total_time="$seconds" -artifact_prefix="$workdir/" \
      > "$workdir/log" 2>&1; then
    fuzz="NOT FOUND in ${seconds} s"; caught_all=1
  elif grep -q 'panicked at fuzz/src/oracles/rules.rs' "$workdir/log"; then
    fuzz=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "found in %.1f s", b - a }')
  else
    fuzz="failed otherwise"; caught_all=1
  fi
  rm -rf "$workdir"
  printf '| %-32s | %-18s | %-22s |\n' "$name" "$verify" "$fuzz"
done
exit $caught_all
