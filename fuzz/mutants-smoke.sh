#!/usr/bin/env bash
# Teeth in every test run: with each code mutant of
# plumb_rules::mutant::MUTANTS switched on, the fuzz smoke run (fixed seeds
# and deterministic inputs, no libFuzzer) must fail with an oracle's
# finding. Part of `bash .ci/test`; `fuzz/mutants.sh` is the libFuzzer
# version with detection times.
set -uo pipefail
cd "$(dirname "$0")/.."
cargo test -q -p plumb-fuzz --features mutants --test smoke --locked --no-run || exit 1
names=$(sed -n 's/^  "\([a-z0-9-]*\) .*"$/\1/p' fuzz/mutants.sh)
[ -n "$names" ] || { echo "no code mutants listed in fuzz/mutants.sh" >&2; exit 1; }
status=0
for name in $names; do
  out=$(PLUMB_MUTANT="$name" cargo test -q -p plumb-fuzz --features mutants --test smoke --locked 2>&1)
  if grep -q " failed on " <<< "$out"; then
    echo "mutant $name: found ($(grep -o '^[a-z_]* failed on [^(]*' <<< "$out" | head -1))"
  else
    echo "mutant $name: NOT FOUND by the smoke run" >&2
    status=1
  fi
done
exit $status
