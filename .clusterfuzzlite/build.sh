#!/bin/bash -eu
# Builds every target of fuzz/ with the sanitizer the fuzzing service asks
# for ($SANITIZER, through cargo fuzz's defaults) and copies the binaries,
# with each target's checked-in seeds as its seed corpus, to $OUT.
cd "$SRC/plumb"
cargo fuzz build -O --debug-assertions
# Every target cargo fuzz knows (fuzz/Cargo.toml's [[bin]]s), so a new
# target needs no change here.
for t in $(cargo fuzz list); do
  cp "fuzz/target/x86_64-unknown-linux-gnu/release/$t" "$OUT/$t" 2>/dev/null \
    || cp "target/x86_64-unknown-linux-gnu/release/$t" "$OUT/$t"
  if [ -d "fuzz/seeds/$t" ]; then
    (cd "fuzz/seeds/$t" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)
  fi
done
