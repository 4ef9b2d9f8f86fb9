#!/usr/bin/env bash
# Proof of teeth: each mutant is one deliberate bug, and the fuzzers must
# find it within SECONDS (per target tried). Prints a table with the time
# each detection took.
#
#   fuzz/mutants.sh 60                 # every mutant
#   fuzz/mutants.sh 60 load8-s-zero-extends rule-isub-swapped   # some
#
# Two kinds, both only in a build with the `mutants` feature (off by default):
# - rule mutants, fuzz/mutants/*.isle: one wrong rule slipped into the rule
#   set (PLUMB_MUTANT_RULES names the file). `plumb verify` must refute it,
#   and the `rules` target must find a wrong lowering.
# - code mutants, plumb_rules::mutant::MUTANTS: a bug in the engine, the
#   evaluator or constant folding (PLUMB_MUTANT names it). The targets listed
#   for it below are run in turn until one finds it.
#
# A mutant counts as found only when an oracle's own check fails (a panic in
# fuzz/src/oracles/), not on any other crash; the libFuzzer log of a mutant
# not found is kept in target/mutants/NAME.log.
set -uo pipefail
seconds=${1:-60}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Code mutants and the targets that should find each, best first. Must list
# every entry of plumb_rules::mutant::MUTANTS (tests/mutants_listed.rs).
code_mutants=(
  "load8-s-zero-extends differential"
  "emit-ushr-as-sshr rules op_specs differential"
  "memory-grow-returns-new-size differential"
  "bulk-memory-bounds-off-by-one differential"
  "memory-fill-wrong-trap-code differential"
  "data-segment-bounds-off-by-one differential"
  "rounding-keeps-signalling-nan op_specs differential"
  "fuel-drop-costs-one differential"
  "const-fold-shift-unmasked rules differential"
  "heap-index-sign-extended differential"
  "heap-offset-in-signed-displacement differential"
  "stack-limit-check-dropped differential"
  "call-indirect-type-check-dropped differential"
  "table-bound-off-by-one differential"
  "swizzle-index-unchecked op_specs rules differential"
  "narrow-wraps op_specs rules differential"
  "bitmask-wrong-bit op_specs rules differential"
  "load-lane-reversed differential"
  "tail-call-args-swapped differential"
  "memory-index-ignored differential"
  "memory64-index-truncated-before-check differential"
  "exception-caught-by-wrong-tag differential"
  "br-on-null-inverted differential"
  "extended-const-sub-swapped differential"
  "relaxed-laneselect-operands-swapped differential"
)

selected=("$@")
wanted() { [ ${#selected[@]} -eq 0 ] || [[ " ${selected[*]} " == *" $1 "* ]]; }

cargo build --release --bin plumb >&2 || exit 1
cargo fuzz build --sanitizer none --features mutants >&2 || exit 1
mkdir -p target/mutants

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# Runs TARGET for at most SECONDS with the environment already set for the
# mutant NAME; prints the seconds until an oracle failed, or nothing.
hunt() {
  local name=$1 target=$2 workdir start
  workdir=$(mktemp -d)
  start=$(date +%s.%N)
  cargo fuzz run --sanitizer none --features mutants "$target" "$workdir" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -artifact_prefix="$workdir/" \
    > "$workdir/log" 2>&1
  local status=$?
  local took
  took=$(elapsed "$start")
  if [ $status -ne 0 ] && grep -q "panicked at fuzz/src/oracles/" "$workdir/log"; then
    echo "$took"
  else
    cp "$workdir/log" "target/mutants/$name.$target.log"
  fi
  rm -rf "$workdir"
}

printf '| %-32s | %-20s | %-34s |\n' mutant "plumb verify" "found by"
printf '|%s|%s|%s|\n' ---------------------------------- ---------------------- ------------------------------------
caught_all=0

for file in fuzz/mutants/*.isle; do
  name=$(basename "$file" .isle)
  wanted "$name" || continue
  rule=$(grep -o '(rule [a-z0-9_]*' "$file" | head -1 | cut -d' ' -f2)
  start=$(date +%s.%N)
  # Refuted: a failing exit and a counterexample (not just any error).
  if ! target/release/plumb verify --rules "$file" --rule "$rule" > "target/mutants/$name.verify" 2>&1 \
      && grep -q "counterexample" "target/mutants/$name.verify"; then
    verify="refuted in $(elapsed "$start") s"
  else
    verify="NOT REFUTED"; caught_all=1
  fi
  took=$(PLUMB_MUTANT_RULES="$root/$file" hunt "$name" rules)
  if [ -n "$took" ]; then found="rules in $took s"; else found="NOT FOUND in ${seconds} s"; caught_all=1; fi
  printf '| %-32s | %-20s | %-34s |\n' "$name" "$verify" "$found"
done

for entry in "${code_mutants[@]}"; do
  read -r name targets <<< "$entry"
  wanted "$name" || continue
  found="NOT FOUND in ${seconds} s by $targets"
  for target in $targets; do
    took=$(PLUMB_MUTANT="$name" hunt "$name" "$target")
    if [ -n "$took" ]; then found="$target in $took s"; break; fi
  done
  [[ $found == NOT* ]] && caught_all=1
  printf '| %-32s | %-20s | %-34s |\n' "$name" "(no rule)" "$found"
done
exit $caught_all
