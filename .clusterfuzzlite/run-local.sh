#!/usr/bin/env bash
# Does here what ClusterFuzzLite does in its container, without Docker:
# builds the targets with .clusterfuzzlite/build.sh (nightly, AddressSanitizer,
# SRC/OUT as the base-builder image sets them), checks what it left in $OUT,
# then runs every target from $OUT the way the service's batch mode does:
# its seed corpus unzipped, ClusterFuzz's sanitizer options plus the target's
# .options file, for SECONDS seconds. Prints a table and exits non-zero when
# a check fails or a target crashes.
#
#   .clusterfuzzlite/run-local.sh 60          # ~10 min build from clean on 2 cores, then 6 x 60 s
#   CFL_WORK=/tmp/cfl .clusterfuzzlite/run-local.sh 10
#
# It also runs one target once with ClusterFuzz's options alone (no .options
# file) and requires the engine's clear refusal, not a crash: that is what the
# .options files are for.
set -euo pipefail
seconds=${1:?usage: .clusterfuzzlite/run-local.sh SECONDS}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${CFL_WORK:-$repo/target/cflite}
mkdir -p "$work/src" "$work/out" "$work/run"
ln -sfn "$repo" "$work/src/plumb"
export SRC=$work/src OUT=$work/out SANITIZER=address FUZZING_LANGUAGE=rust
# The base-builder-rust image builds with nightly Rust.
export RUSTUP_TOOLCHAIN=${RUSTUP_TOOLCHAIN:-nightly}

echo "== build.sh (RUSTUP_TOOLCHAIN=$RUSTUP_TOOLCHAIN, SANITIZER=$SANITIZER, OUT=$OUT)" >&2
bash "$repo/.clusterfuzzlite/build.sh" >&2

# ClusterFuzz's AddressSanitizer options for fuzzing runs, as ClusterFuzzLite
# sets them (google/clusterfuzzlite, infra/cifuzz sanitizer options, which
# mirror google/clusterfuzz src/clusterfuzz/_internal/system/environment.py).
service_asan="alloc_dealloc_mismatch=0:allocator_may_return_null=1:allocator_release_to_os_interval_ms=500"
service_asan+=":allow_user_segv_handler=0:check_malloc_usable_size=0:detect_odr_violation=0:detect_leaks=1"
service_asan+=":detect_stack_use_after_return=1:fast_unwind_on_fatal=0:max_uar_stack_size_log=16"
service_asan+=":quarantine_size_mb=64:strict_memcmp=1:handle_abort=2:handle_sigbus=2:handle_sigfpe=2"
service_asan+=":handle_segv=2:handle_sigill=2:symbolize=0:abort_on_error=1"

# The [asan] section of a target's .options file, joined with ':'.
target_asan() {
  awk '/^\[/ { on = ($0 == "[asan]"); next } on && /=/ { gsub(/[ \t]/, ""); print }' "$1" | paste -sd: -
}

failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }
rows=()
mapfile -t targets < <(cd "$repo" && cargo fuzz list)
for t in "${targets[@]}"; do
  bin=$OUT/$t
  [ -x "$bin" ] || { fail "$t: no binary in \$OUT"; continue; }
  symbols=$(nm "$bin")
  grep -q ' T LLVMFuzzerTestOneInput$' <<< "$symbols" || fail "$t: not a libFuzzer target"
  grep -q ' T __asan_init$' <<< "$symbols" || fail "$t: not built with AddressSanitizer"
  [ -f "$OUT/${t}_seed_corpus.zip" ] || fail "$t: no seed corpus"
  [ -f "$OUT/$t.options" ] || fail "$t: no .options file"
  corpus=$work/run/$t
  rm -rf "$corpus" && mkdir -p "$corpus"
  unzip -q -o "$OUT/${t}_seed_corpus.zip" -d "$corpus"
  seeds=$(find "$corpus" -type f | wc -l)
  log=$work/run/$t.log
  echo "== $t: ${seconds}s from $seeds seeds" >&2
  status=0
  (cd "$work/run" && ASAN_OPTIONS="$service_asan:$(target_asan "$OUT/$t.options")" \
    "$bin" -rss_limit_mb=2560 -timeout=25 -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$work/run/$t-" "$corpus" > "$log" 2>&1) || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  crashed=no
  if [ "$status" != 0 ]; then crashed="yes (exit $status, $log)"; fail "$t crashed"; fi
  rows+=("$(printf '| %-12s | %5s | %10s | %7s | %s |' "$t" "$seeds" "${runs:-0}" \
    "$(find "$corpus" -type f | wc -l)" "$crashed")")
done

# Without the .options file the service's options keep SIGSEGV and SIGILL to
# AddressSanitizer; the engine must say so instead of crashing at the first
# guest trap.
probe=differential
if [ -x "$OUT/$probe" ]; then
  log=$work/run/$probe-no-options.log
  one=$(find "$work/run/$probe" -type f | head -1)
  if (cd "$work/run" && ASAN_OPTIONS="$service_asan" "$OUT/$probe" -runs=1 "$one" > "$log" 2>&1); then
    fail "$probe ran with the service's options alone: the engine did not notice its signal handlers were refused"
  elif grep -q 'handler that turns faults of guest code into traps could not be installed' "$log"; then
    echo "== $probe without its .options file: the engine refuses clearly ($log)" >&2
  else
    fail "$probe without its .options file failed without the engine's message ($log)"
  fi
fi

printf '| %-12s | %5s | %10s | %7s | %s |\n' target seeds executions corpus crashed
printf '|%s|%s|%s|%s|%s|\n' -------------- ------- ------------ --------- --------
printf '%s\n' "${rows[@]}"
exit "$failed"
