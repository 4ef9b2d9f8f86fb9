#!/bin/bash -eu
# Builds every target of fuzz/ with the sanitizer the fuzzing service asks
# for ($SANITIZER, through cargo fuzz's defaults) and copies the binaries,
# with each target's checked-in seeds as its seed corpus and an .options
# file, to $OUT. .clusterfuzzlite/run-local.sh runs this script and the
# targets it leaves the way the service does, without Docker.
cd "$SRC/plumb"
cargo fuzz build -O --debug-assertions
# Every target cargo fuzz knows (fuzz/Cargo.toml's [[bin]]s), so a new
# target needs no change here.
for t in $(cargo fuzz list); do
  cp "fuzz/target/x86_64-unknown-linux-gnu/release/$t" "$OUT/$t" 2>/dev/null \
    || cp "target/x86_64-unknown-linux-gnu/release/$t" "$OUT/$t"
  if [ -d "fuzz/seeds/$t" ]; then
    rm -f "$OUT/${t}_seed_corpus.zip"
    (cd "fuzz/seeds/$t" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)
  fi
  # The engine turns faults of guest code into traps with its own SIGSEGV,
  # SIGBUS, SIGILL and SIGFPE handlers, which chain to AddressSanitizer's
  # for every fault that is not a guest's. ClusterFuzz's defaults
  # (handle_segv=2, allow_user_segv_handler=0, ...) keep these signals to
  # AddressSanitizer, and Engine::new refuses to run under them; these
  # options, appended by the service to its own, let both handlers in.
  cat > "$OUT/$t.options" <<'OPTIONS'
[asan]
allow_user_segv_handler = 1
handle_segv = 1
handle_sigbus = 1
handle_sigill = 1
handle_sigfpe = 1
OPTIONS
done
